import { KeyObject, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';

/**
 * Access tokens as auth-service signs them (ES256 through @nestjs/jwt, `kid`, issuer, audience,
 * `at+jwt`), with a key pair of the test's own, for integration specs that boot one service without
 * auth: `announcement()` is the key as auth's signing_key.published carries it, for the spec to put in
 * that service's identity projection, so the service's real guard verifies the tokens:
 * `await inTransaction(orm, (em) => new IdentityProjectionRepository({}).upsertSigningKey(em, tokens.announcement(), at))`.
 * (libs/testing imports no @tally library at run time: identity's and persistence's own specs use it.)
 */
export class TestAccessTokens {
  private readonly keys: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  private readonly jwt = new JwtService();

  constructor(readonly kid = `k-${randomBytes(4).toString('hex')}`) {}

  /** The key, active, as auth announces it (the shape IdentityProjectionRepository.upsertSigningKey takes). */
  announcement(): { kid: string; alg: 'ES256'; status: 'active'; createdAt: string; publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string } } {
    const { x, y } = this.keys.publicKey.export({ format: 'jwk' });
    return { kid: this.kid, alg: 'ES256', status: 'active', createdAt: new Date().toISOString(), publicJwk: { kty: 'EC', crv: 'P-256', x: x!, y: y! } };
  }

  /** An access token of `userId` (role `user` unless said; valid `ttlS` seconds, 900 by default). */
  sign(userId: string, opts: { role?: 'user' | 'admin'; ttlS?: number } = {}): string {
    const now = Math.floor(Date.now() / 1000);
    return this.jwt.sign(
      { typ: 'access', sub: userId, role: opts.role ?? 'user', username: `u${userId.slice(0, 8)}`, iss: 'tally-auth', aud: 'tally-api', iat: now, exp: now + (opts.ttlS ?? 900), jti: randomUUID() },
      { privateKey: this.keys.privateKey, algorithm: 'ES256', header: { alg: 'ES256', kid: this.kid, typ: 'at+jwt' } as never },
    );
  }
}
