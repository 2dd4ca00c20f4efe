import { KeyObject, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { IdentityProjectionRepository } from '@tally/identity';
import { inTransaction } from '@tally/persistence';

type Orm = Parameters<typeof inTransaction>[0];

/**
 * Access tokens as auth-service signs them (ES256 through @nestjs/jwt, `kid`, issuer, audience,
 * `at+jwt`), with a key pair of the test's own, for integration specs that boot one service without
 * auth: `announceTo` puts the public key in that service's identity projection, as auth's
 * signing_key.published would, so the service's real guard verifies the tokens.
 */
export class TestAccessTokens {
  private readonly keys: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  private readonly jwt = new JwtService();

  constructor(readonly kid = `k-${randomBytes(4).toString('hex')}`) {}

  /** Makes the key known (active) to the service whose ORM this is. */
  async announceTo(orm: Orm): Promise<void> {
    const { kty, crv, x, y } = this.keys.publicKey.export({ format: 'jwk' });
    const now = new Date().toISOString();
    await inTransaction(orm, (em) => new IdentityProjectionRepository({}).upsertSigningKey(em, {
      kid: this.kid, alg: 'ES256', status: 'active', createdAt: now, publicJwk: { kty: kty as 'EC', crv: crv as 'P-256', x: x!, y: y! },
    }, now));
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
