/**
 * Pruning of `login_throttles` against real PostgreSQL (auth's migrations): counters that no
 * longer count go, in bounded batches within one pass; a lock in force and a recent count stay;
 * the timer prunes on its own once started and stops when told.
 */
import { randomBytes } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { Pool } from 'pg';
import { initOrm, runMigrations } from '@tally/persistence';
import { createTestDatabase, dropTestDatabase, expectEventually, infraFromEnv } from '@tally/testing';
import { AuthServiceConfig } from '../config/auth.config';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { AccountRepository } from './account.repository';
import { LoginThrottleRetention } from './login-throttle.retention';

const infra = infraFromEnv();
const dbName = `it_auth_throttles_${randomBytes(4).toString('hex')}`;
let orm: MikroORM;
let pool: Pool;
const LOCK_SECONDS = 900;

function retention(over: Partial<AuthServiceConfig> = {}): LoginThrottleRetention {
  const config = Object.assign(new AuthServiceConfig(), { LOCKOUT_DURATION_SECONDS: LOCK_SECONDS, LOGIN_THROTTLE_PRUNE_BATCH: 10, ...over });
  return new LoginThrottleRetention(orm, new AccountRepository(), config);
}

/** `n` counters with a tag, last attempt `updatedAgo` ago and a lock until `lockedUntil` (SQL, relative to now) or none. */
async function rows(tag: string, n: number, updatedAgo: string, lockedUntil: string | null = null): Promise<void> {
  await pool.query(
    `INSERT INTO login_throttles (login_hash, failed_attempts, locked_until, updated_at)
     SELECT md5($1 || g), 3, now() + $3::interval, now() - $2::interval FROM generate_series(1, $4) g`,
    [tag, updatedAgo, lockedUntil, n],
  );
}

const left = async () => (await pool.query(`SELECT count(*)::int AS n FROM login_throttles`)).rows[0].n as number;

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 3 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 2 });
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

beforeEach(() => pool.query('DELETE FROM login_throttles'));

describe('login throttle retention (PostgreSQL)', () => {
  it('deletes every counter that no longer counts, in batches, and keeps the rest', async () => {
    await rows('old', 25, '2 hours'); // counted long ago, never locked
    await rows('lock-over', 3, '2 hours', '-1 hour'); // a lock that ran out
    await rows('recent', 2, '1 minute'); // still counting
    await rows('locked', 2, '20 minutes', '1 hour'); // a lock in force
    expect(await retention().pruneOnce()).toBe(28);
    const kept = await pool.query(`SELECT count(*)::int AS n FROM login_throttles WHERE login_hash IN (SELECT md5(t || g) FROM unnest(ARRAY['recent','locked']) t, generate_series(1, 2) g)`);
    expect(kept.rows[0].n).toBe(4);
    expect(await left()).toBe(4);
    expect(await retention().pruneOnce()).toBe(0);
  });

  it('prunes on its own once started, and stops', async () => {
    const r = retention({ LOGIN_THROTTLE_PRUNE_INTERVAL_SECONDS: 1 });
    r.start();
    try {
      await rows('a', 3, '2 hours');
      await expectEventually(async () => expect(await left()).toBe(0), { timeoutMs: 10000 });
    } finally {
      await r.stop();
    }
    await rows('b', 3, '2 hours');
    await new Promise((done) => setTimeout(done, 2000));
    expect(await left()).toBe(3);
  });
});
