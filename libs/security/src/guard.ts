import { CanActivate, ExecutionContext, Injectable, Optional, ServiceUnavailableException, UnauthorizedException, createParamDecorator, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AccessTokenClaims } from '@tally/contracts';
import { currentContext } from '@tally/observability';
import { AccessTokenVerifier, InvalidTokenError } from './jwt';
import { SigningKeysUnavailableError } from './signing-keys';

export const IS_PUBLIC = 'tally:isPublic';
/** Marks a route as reachable without an access token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export interface AuthenticatedUser {
  id: string;
  role: AccessTokenClaims['role'];
  username: string;
  claims: AccessTokenClaims;
}

type RequestWithUser = FastifyRequest & { user?: AuthenticatedUser };

export function bearerToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  const m = /^Bearer ([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)$/.exec(value.trim());
  return m ? m[1] : null;
}

/** Whether a user may still act: a deactivated account's unexpired tokens stop working at once. */
export abstract class UserStatusSource {
  abstract isActive(userId: string): Promise<boolean>;
}

/** Global guard: every route needs a valid access token unless marked @Public(). */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly reflector: Reflector,
    @Optional() private readonly status?: UserStatusSource,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<RequestWithUser>();
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new UnauthorizedException('A bearer access token is required.');
    try {
      const claims = await this.verifier.verify(token);
      if (this.status && !(await this.status.isActive(claims.sub))) throw new InvalidTokenError('account deactivated');
      req.user = { id: claims.sub, role: claims.role, username: claims.username, claims };
      const ctx = currentContext();
      if (ctx) ctx.userId = claims.sub;
      return true;
    } catch (err) {
      if (err instanceof InvalidTokenError) throw new UnauthorizedException(`The access token is not valid: ${err.message}.`);
      // Not the token's fault: a 401 would read as "logged out".
      if (err instanceof SigningKeysUnavailableError) throw new ServiceUnavailableException('Authentication is temporarily unavailable; try again shortly.');
      throw err;
    }
  }
}

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthenticatedUser => {
  const req = ctx.switchToHttp().getRequest<RequestWithUser>();
  if (!req.user) throw new UnauthorizedException();
  return req.user;
});
