/**
 * The token lifetime auth publishes with each signing key, against real PostgreSQL (auth's own
 * migrations): every announcement carries it, a replica with longer tokens raises it before it signs
 * and none lowers it, and auth's own JWKS keeps a retired key exactly as long as its tokens live.
 */
import { randomBytes } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { MikroORM } from '@mikro-orm/postgresql';
import { Pool } from 'pg';
import { OutboxWriter } from '@tally/messaging';
import { initOrm, runMigrations } from '@tally/persistence';
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_HEADER_TYP, accessTokenJwtOptions } from '@tally/security';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { AuthServiceConfig } from '../config/auth.config';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { OwnSigningKeySource } from './own-key-source';
import { AuthSecrets } from './secrets';
import { SigningKeyRepository } from './signing-key.repository';
import { SigningKeyService } from './signing-key.service';

const infra = infraFromEnv();
const dbName = `it_auth_key_lifetime_${randomBytes(4).toString('hex')}`;
let orm: MikroORM;
let pool: Pool;

function replica(ttlSeconds: number): { keys: SigningKeyService; config: AuthServiceConfig } {
  const config = Object.assign(new AuthServiceConfig(), { ACCESS_TOKEN_TTL_SECONDS: ttlSeconds });
  const jwt = new JwtService({
    signOptions: {
      algorithm: ACCESS_TOKEN_ALG, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, expiresIn: ttlSeconds,
      header: { alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_HEADER_TYP },
    },
    ...accessTokenJwtOptions({ issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
  });
  return { keys: new SigningKeyService(orm, new SigningKeyRepository(), new OutboxWriter('auth-service'), new AuthSecrets(config), jwt, config), config };
}

/** The lifetimes announced for a kid, in order. */
async function announced(kid: string): Promise<(number | null)[]> {
  const { rows } = await pool.query(
    `SELECT (payload->'data'->>'tokenLifetimeSeconds')::int AS s FROM outbox WHERE type = 'signing_key.published' AND key = $1 ORDER BY seq`,
    [kid],
  );
  return rows.map((r) => r.s);
}

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 4 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 2 });
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

describe('signing keys publish their token lifetime', () => {
  it('announces the lifetime with the key, raises it for a replica with longer tokens, never lowers it', async () => {
    const short = replica(600);
    await short.keys.maintain();
    const kid = short.keys.activeKid!;
    expect(await announced(kid)).toEqual([600]);

    // A replica configured with hour-long tokens starts: before it signs, the key's lifetime covers its tokens.
    const long = replica(3600);
    await long.keys.maintain();
    expect(long.keys.activeKid).toBe(kid);
    expect(await announced(kid)).toEqual([600, 3600]);

    // The short replica checks again (or restarts and re-announces): the lifetime stays 3600.
    await short.keys.maintain({ republish: true });
    expect((await announced(kid)).at(-1)).toBe(3600);
    expect((await pool.query('SELECT token_lifetime_seconds FROM signing_keys WHERE kid = $1', [kid])).rows[0].token_lifetime_seconds).toBe(3600);
  });

  it("keeps a retired key in auth's JWKS and own verifier for its own lifetime, whatever this replica's ACCESS_TOKEN_TTL_SECONDS", async () => {
    const { keys, config } = replica(900);
    const kid = keys.activeKid ?? (await keys.maintain(), keys.activeKid!);
    // It retired 40 minutes ago; it had signed hour-long tokens (so some still live for 20 minutes).
    await pool.query(`UPDATE signing_keys SET status = 'retired', retired_at = now() - interval '40 minutes', token_lifetime_seconds = 3600 WHERE kid = $1`, [kid]);
    await keys.maintain(); // a new key signs at once: none is active
    expect(keys.activeKid).not.toBe(kid);
    expect((await keys.jwks()).keys.map((k) => k.kid)).toContain(kid);
    expect(await new OwnSigningKeySource(orm, config).getKey(kid)).not.toBeNull();

    // Once its tokens are all gone (60 minutes + 5 of skew), it leaves.
    await pool.query(`UPDATE signing_keys SET retired_at = now() - interval '66 minutes' WHERE kid = $1`, [kid]);
    expect((await keys.jwks()).keys.map((k) => k.kid)).not.toContain(kid);
    expect(await new OwnSigningKeySource(orm, config).getKey(kid)).toBeNull();
  });
});
