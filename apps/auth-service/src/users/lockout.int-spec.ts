/**
 * The lockout of AuthService against real PostgreSQL (auth's own migrations): concurrent wrong
 * passwords get exactly LOCKOUT_THRESHOLD password checks, and the lock is written in the same
 * transaction as its `user.locked` event (if the event cannot be written, neither is the lock).
 * Only what a failed login touches is real here; token signing is never reached.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { Pool } from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventType } from '@tally/contracts';
import { NewEvent, OutboxWriter } from '@tally/messaging';
import { initOrm, runMigrations } from '@tally/persistence';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { AuthServiceConfig } from '../config/auth.config';
import type { SigningKeyService } from '../keys/signing-key.service';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { AccountRepository } from './account.repository';
import { AuthService } from './auth.service';
import { PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';
import { UserRepository } from './user.repository';

const infra = infraFromEnv();
const dbName = `it_auth_lockout_${randomBytes(4).toString('hex')}`;
const THRESHOLD = 3;
let orm: MikroORM;
let pool: Pool;

/** The real outbox, except that it can be told to fail on one event type (as a full disk or a bad payload would). */
class FlakyOutbox extends OutboxWriter {
  failOn?: EventType;
  override append<T extends EventType>(em: EntityManager, event: NewEvent<T>) {
    if (event.type === this.failOn) return Promise.reject(new Error(`outbox unavailable for ${event.type}`));
    return super.append(em, event);
  }
}

/** Counts the checks against a real account's hash (the dummy checks of unknown or locked logins are not counted). */
class CountingHasher extends PasswordHasher {
  readonly accountHashes = new Set<string>();
  checks = 0;
  override check(hash: string, password: string): ReturnType<PasswordHasher['check']> {
    if (this.accountHashes.has(hash)) this.checks++;
    return super.check(hash, password);
  }
}

function service(outbox: OutboxWriter, hasher: PasswordHasher): AuthService {
  const config = Object.assign(new AuthServiceConfig(), { LOCKOUT_THRESHOLD: THRESHOLD, LOCKOUT_DURATION_SECONDS: 600 });
  const keys = {} as SigningKeyService; // a failed login never signs
  return new AuthService(orm, new UserRepository(), new AccountRepository(), hasher, new PasswordPolicy(), keys, outbox, config);
}

async function newUser(hasher: PasswordHasher): Promise<{ id: string; username: string; password: string }> {
  const id = randomUUID();
  const username = `u_${id.slice(0, 8)}`;
  const password = `Pw-${id}`;
  const hash = await hasher.hash(password);
  if (hasher instanceof CountingHasher) hasher.accountHashes.add(hash);
  await pool.query(
    `INSERT INTO users (id, username, email, password, is_verified) VALUES ($1, $2, $3, $4, TRUE)`,
    [id, username, `${username}@example.com`, hash],
  );
  return { id, username, password };
}

async function lockState(id: string) {
  const { rows } = await pool.query(
    `SELECT failed_login_attempts AS attempts, account_locked_until IS NOT NULL AS locked,
            (SELECT count(*)::int FROM outbox WHERE type = 'user.locked' AND key = $1::text) AS events
       FROM users WHERE id = $1::uuid`,
    [id],
  );
  return rows[0];
}

const codeOf = (r: PromiseSettledResult<unknown>) => (r.status === 'fulfilled' ? 'ok' : ((r.reason as { code?: string }).code ?? String(r.reason)));

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 6 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 2 });
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

describe('AuthService lockout (PostgreSQL)', () => {
  it('checks the password exactly THRESHOLD times for a burst of concurrent wrong logins', async () => {
    const hasher = new CountingHasher();
    const auth = service(new FlakyOutbox('auth-service'), hasher);
    const u = await newUser(hasher);
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => auth.login({ login: u.username, password: `wrong-${i}` })));
    const codes = results.map(codeOf).sort();
    expect(codes).toEqual([...Array(THRESHOLD).fill('INVALID_CREDENTIALS'), ...Array(12 - THRESHOLD).fill('ACCOUNT_LOCKED')].sort());
    expect(hasher.checks).toBe(THRESHOLD);
    expect(await lockState(u.id)).toEqual({ attempts: THRESHOLD, locked: true, events: 1 });
    // The right password after the lock: refused without a check, and the lock stays.
    await expect(auth.login({ login: u.username, password: u.password })).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
    expect(hasher.checks).toBe(THRESHOLD);
    expect(await lockState(u.id)).toMatchObject({ locked: true });
  });

  it('writes the lock and user.locked in one transaction: no event, no lock', async () => {
    const hasher = new PasswordHasher();
    const outbox = new FlakyOutbox('auth-service');
    const auth = service(outbox, hasher);
    const u = await newUser(hasher);
    for (let i = 0; i < THRESHOLD - 1; i++) await expect(auth.login({ login: u.username, password: 'wrong' })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    outbox.failOn = 'user.locked';
    await expect(auth.login({ login: u.username, password: 'wrong' })).rejects.toThrow('outbox unavailable for user.locked');
    // Neither the lock nor its event (the first test shows both written when the outbox works).
    expect(await lockState(u.id)).toMatchObject({ locked: false, events: 0 });
  });
});
