import type { KeyObject } from 'node:crypto';
import { JsonWebTokenError, JwtModuleOptions, JwtService, NotBeforeError, TokenExpiredError } from '@nestjs/jwt';
import type { AccessTokenClaims } from '@tally/contracts';
import { JwksKeySource } from './jwks-key-source';
import { PublicKeySource } from './signing-keys';
import { VerifiedTokenCache } from './token-cache';

export const ACCESS_TOKEN_ALG = 'ES256';
/** RFC 9068 media type of access tokens, in the JWT header. */
export const ACCESS_TOKEN_HEADER_TYP = 'at+jwt';

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

export interface AccessTokenJwtOptions {
  issuer: string;
  audience: string;
  /** Tolerated clock difference, seconds. */
  clockTolerance?: number;
}

/**
 * The `@nestjs/jwt` options every verifier of access tokens uses (`JwtModule.register(...)`): the
 * algorithm pinned to ES256 (so `none` and HS256-with-the-public-key are refused), issuer, audience,
 * expiry with a little clock tolerance. The key is chosen per token, by its `kid`.
 */
export function accessTokenJwtOptions(opts: AccessTokenJwtOptions): JwtModuleOptions {
  return {
    verifyOptions: { algorithms: [ACCESS_TOKEN_ALG], issuer: opts.issuer, audience: opts.audience, clockTolerance: opts.clockTolerance ?? 5 },
  };
}

export interface VerifierOptions extends AccessTokenJwtOptions {
  /** The JwtService of a `JwtModule.register(accessTokenJwtOptions(...))`; made from these options when absent. */
  jwt?: JwtService;
  /** Tokens already verified; absent: every request verifies its token. */
  cache?: VerifiedTokenCache;
}

interface JwtHeader {
  alg?: unknown;
  kid?: unknown;
  typ?: unknown;
}

function decodeHeader(token: string): JwtHeader {
  const dot = token.indexOf('.');
  if (dot <= 0) throw new InvalidTokenError('malformed token');
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as unknown;
    if (header && typeof header === 'object' && !Array.isArray(header)) return header as JwtHeader;
  } catch {
    // not JSON
  }
  throw new InvalidTokenError('malformed token');
}

/**
 * Verifies access tokens the same way everywhere (the gateway and every service's guard), through
 * `@nestjs/jwt`: ES256 only, issuer, audience, expiry, the `at+jwt` header type, `typ: access`, and
 * the claims every token carries. The key comes from a PublicKeySource by the token's `kid`: the
 * services' signing-key projection, auth's own table, or (at the gateway) auth's JWKS.
 * With a VerifiedTokenCache, a token is verified once and then answered from the cache until it
 * expires, as long as its key may still verify (asked of the key source on every hit).
 */
export class AccessTokenVerifier {
  readonly keys: PublicKeySource;
  private readonly jwt: JwtService;
  private readonly cache?: VerifiedTokenCache;
  private readonly toleranceMs: number;

  constructor(source: PublicKeySource | { jwksUrl: string }, private readonly opts: VerifierOptions) {
    this.keys = 'jwksUrl' in source ? new JwksKeySource({ url: source.jwksUrl }) : source;
    this.jwt = opts.jwt ?? new JwtService(accessTokenJwtOptions(opts));
    this.cache = opts.cache;
    this.toleranceMs = (opts.clockTolerance ?? 5) * 1000;
    const cache = this.cache;
    if (cache) this.keys.onKeyDropped?.((kid) => cache.dropKid(kid));
  }

  /**
   * A token verified before, answered without waiting: its claims when the cache holds it and its key
   * source can say at once that the key still verifies (`peekKey`); otherwise undefined, and `verify`
   * decides. Never verifies anything itself, so undefined says nothing about the token.
   */
  verifyCached(token: string): AccessTokenClaims | undefined {
    if (!this.cache || !this.keys.peekKey) return undefined;
    const hit = this.cache.get(VerifiedTokenCache.keyOf(token));
    return hit && this.keys.peekKey(hit.kid) ? hit.claims : undefined;
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    const cacheKey = this.cache ? VerifiedTokenCache.keyOf(token) : '';
    const hit = this.cache?.get(cacheKey);
    if (hit) {
      if (await this.keys.getKey(hit.kid)) return hit.claims;
      this.cache!.delete(cacheKey);
    }

    const header = decodeHeader(token);
    if (header.alg !== ACCESS_TOKEN_ALG) throw new InvalidTokenError('invalid token (algorithm)');
    if (header.typ !== ACCESS_TOKEN_HEADER_TYP) throw new InvalidTokenError('invalid token (header typ)');
    if (typeof header.kid !== 'string' || !header.kid) throw new InvalidTokenError('token has no kid');
    const key = await this.keys.getKey(header.kid);
    if (!key) throw new InvalidTokenError('unknown signing key');

    let payload: Record<string, unknown>;
    try {
      // The options of accessTokenJwtOptions (algorithm, issuer, audience, tolerance) apply; the key is this token's.
      payload = this.jwt.verify<Record<string, unknown>>(token, { publicKey: key as KeyObject as unknown as Buffer });
    } catch (err) {
      if (err instanceof TokenExpiredError) throw new InvalidTokenError('token expired');
      if (err instanceof JsonWebTokenError || err instanceof NotBeforeError) throw new InvalidTokenError(`invalid token (${err.message})`);
      // The key is known and sound, so whatever else the library throws is about the token (a signature of the wrong size, say).
      throw new InvalidTokenError('malformed token');
    }
    if (!payload || typeof payload !== 'object') throw new InvalidTokenError('malformed token');
    if (payload.typ !== 'access') throw new InvalidTokenError('not an access token');
    if (typeof payload.sub !== 'string' || !payload.sub) throw new InvalidTokenError('token has no subject');
    if (typeof payload.exp !== 'number') throw new InvalidTokenError('token has no expiry');
    if (typeof payload.iat !== 'number') throw new InvalidTokenError('token has no issue time');
    if (typeof payload.jti !== 'string' || !payload.jti) throw new InvalidTokenError('token has no id');
    const claims = payload as unknown as AccessTokenClaims;
    this.cache?.set(cacheKey, { claims, kid: header.kid, validUntil: claims.exp * 1000 + this.toleranceMs });
    return claims;
  }

  /** A key's state changed (revoked, say): forget what is cached about it and every token it verified. */
  forgetKey(kid: string): void {
    this.keys.invalidate?.(kid);
    this.cache?.dropKid(kid);
  }
}
