import { JWK, JWTPayload, KeyLike, errors, importJWK, jwtVerify, createRemoteJWKSet, JWTVerifyGetKey } from 'jose';
import { AccessTokenClaims } from '@tally/contracts';

export const ACCESS_TOKEN_ALG = 'ES256';
/** RFC 9068 media type of access tokens, in the JWT header. */
export const ACCESS_TOKEN_HEADER_TYP = 'at+jwt';
const KEY_CACHE_MS = 60_000;

/** Finds the public key for a `kid`; null when unknown. */
export interface PublicKeySource {
  getKey(kid: string): Promise<JWK | null>;
}

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

export interface VerifierOptions {
  issuer: string;
  audience: string;
  /** Tolerated clock difference, seconds. */
  clockTolerance?: number;
}

/**
 * Verifies access tokens the same way everywhere: algorithm pinned to ES256 (so `none` and
 * HS256-with-the-public-key are refused), issuer, audience, expiry, header type and token type.
 */
export class AccessTokenVerifier {
  /** Imported keys by kid, re-read from the source after KEY_CACHE_MS so a revoked key stops working. */
  private readonly imported = new Map<string, { key: KeyLike | Uint8Array; at: number }>();
  private readonly getKey: JWTVerifyGetKey;

  constructor(source: PublicKeySource | { jwksUrl: string }, private readonly opts: VerifierOptions) {
    if ('jwksUrl' in source) {
      this.getKey = createRemoteJWKSet(new URL(source.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 3000 });
    } else {
      this.getKey = async (header) => {
        if (!header.kid) throw new InvalidTokenError('token has no kid');
        const cached = this.imported.get(header.kid);
        if (cached && Date.now() - cached.at < KEY_CACHE_MS) return cached.key;
        const jwk = await source.getKey(header.kid);
        if (!jwk) {
          this.imported.delete(header.kid);
          throw new InvalidTokenError('unknown signing key');
        }
        const key = await importJWK(jwk, ACCESS_TOKEN_ALG);
        this.imported.set(header.kid, { key, at: Date.now() });
        return key;
      };
    }
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        algorithms: [ACCESS_TOKEN_ALG],
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        typ: ACCESS_TOKEN_HEADER_TYP,
        clockTolerance: this.opts.clockTolerance ?? 5,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      }));
    } catch (err) {
      if (err instanceof InvalidTokenError) throw err;
      if (err instanceof errors.JWTExpired) throw new InvalidTokenError('token expired');
      // The key set could not be fetched: not the caller's fault, so not a 401.
      if (err instanceof errors.JWKSTimeout) throw new Error('signing keys are unavailable');
      if (err instanceof errors.JWKSNoMatchingKey) throw new InvalidTokenError('unknown signing key');
      if (err instanceof errors.JOSEError) throw new InvalidTokenError(`invalid token (${err.code})`);
      throw err;
    }
    if (payload.typ !== 'access') throw new InvalidTokenError('not an access token');
    if (typeof payload.sub !== 'string' || !payload.sub) throw new InvalidTokenError('token has no subject');
    return payload as unknown as AccessTokenClaims;
  }
}
