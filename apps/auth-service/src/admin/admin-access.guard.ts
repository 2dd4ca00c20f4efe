import { CanActivate, ExecutionContext, Injectable, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyRequest } from 'fastify';
import { freshEm } from '@tally/persistence';
import type { AuthenticatedUser } from '@tally/security';
import { AdminCaller, accessModeOf, authorizeAdmin } from './admin-policy';
import { AdminUserRepository } from './admin-user.repository';

type AdminRequest = FastifyRequest & { user?: AuthenticatedUser; adminCaller?: AdminCaller };

/**
 * On every admin controller, after the global access-token guard: loads the caller's account from
 * the database (the token's role claim is not trusted, so a demotion or deactivation applies to the
 * next request) and requires an active admin or superuser, or staff for GET. 403 otherwise.
 */
@Injectable()
export class AdminAccessGuard implements CanActivate {
  constructor(
    private readonly orm: MikroORM,
    private readonly users: AdminUserRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AdminRequest>();
    if (!req.user) throw new UnauthorizedException('A bearer access token is required.');
    const account = await this.users.findById(freshEm(this.orm), req.user.id);
    req.adminCaller = authorizeAdmin(account, accessModeOf(req.method));
    return true;
  }
}

/** The caller as AdminAccessGuard found it in the database. */
export const CurrentAdmin = createParamDecorator((_: unknown, ctx: ExecutionContext): AdminCaller => {
  const req = ctx.switchToHttp().getRequest<AdminRequest>();
  if (!req.adminCaller) throw new Error('CurrentAdmin used on a route without AdminAccessGuard');
  return req.adminCaller;
});
