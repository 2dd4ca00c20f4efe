/**
 * Passwords against real PostgreSQL (auth's own migrations) and auth's real signing keys: a login
 * with an old-form hash stores the current form in its place, and a password change or reset clears
 * the lockout of the account and of both its logins in its own transaction.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as argon2 from 'argon2';
import { JwtService } from '@nestjs/jwt';
import { MikroORM } from '@mikro-orm/postgresql';
import { Pool } from 'pg';
import { OutboxWriter } from '@tally/messaging';
import { initOrm, runMigrations } from '@tally/persistence';
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_HEADER_TYP, accessTokenJwtOptions } from '@tally/security';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { AuthServiceConfig } from '../config/auth.config';
import { AuthSecrets } from '../keys/secrets';
import { SigningKeyRepository } from '../keys/signing-key.repository';
import { SigningKeyService } from '../keys/signing-key.service';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { AccountRepository } from './account.repository';
import { AuthService, loginKey } from './auth.service';
import { ARGON2_OPTIONS, PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';
import { UserRepository } from './user.repository';

const infra = infraFromEnv();
const dbName = `it_auth_passwords_${randomBytes(4).toString('hex')}`;
const THRESHOLD = 3;
let orm: MikroORM;
let pool: Pool;
let auth: AuthService;
const hasher = new PasswordHasher();

// U+FB01 (the "fi" ligature) and full-width letters; NFKC: "fine-Pass-phrase-1".
const TYPED = 'ﬁne-Ｐａｓｓ-phrase-1';
const NFKC = 'fine-Pass-phrase-1';
const CURRENT_PREFIX = `$argon2id$v=19$m=${ARGON2_OPTIONS.memoryCost},p=${ARGON2_OPTIONS.parallelism},t=${ARGON2_OPTIONS.timeCost}$`;

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 6 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 2 });
  const config = Object.assign(new AuthServiceConfig(), { LOCKOUT_THRESHOLD: THRESHOLD, LOCKOUT_DURATION_SECONDS: 600 });
  const jwt = new JwtService({
    signOptions: {
      algorithm: ACCESS_TOKEN_ALG, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, expiresIn: config.ACCESS_TOKEN_TTL_SECONDS,
      header: { alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_HEADER_TYP },
    },
    ...accessTokenJwtOptions({ issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
  });
  const outbox = new OutboxWriter('auth-service');
  const keys = new SigningKeyService(orm, new SigningKeyRepository(), outbox, new AuthSecrets(config), jwt, config);
  await keys.maintain(); // the first key, active at once
  auth = new AuthService(orm, new UserRepository(), new AccountRepository(), hasher, new PasswordPolicy(), keys, outbox, config);
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

async function newUser(hash: string): Promise<{ id: string; username: string; email: string }> {
  const id = randomUUID();
  const username = `u_${id.slice(0, 8)}`;
  const email = `${username}@example.com`;
  await pool.query(`INSERT INTO users (id, username, email, password, is_verified) VALUES ($1, $2, $3, $4, TRUE)`, [id, username, email, hash]);
  return { id, username, email };
}

const storedHash = async (id: string): Promise<string> => (await pool.query('SELECT password FROM users WHERE id = $1', [id])).rows[0].password;
const outboxCount = async (id: string, type: string): Promise<number> =>
  (await pool.query(`SELECT count(*)::int AS n FROM outbox WHERE type = $1 AND key = $2`, [type, id])).rows[0].n;
const throttles = async (...logins: string[]): Promise<number> =>
  (await pool.query(`SELECT count(*)::int AS n FROM login_throttles WHERE login_hash = ANY($1)`, [logins.map(loginKey)])).rows[0].n;

async function lockOut(u: { id: string; username: string }): Promise<void> {
  for (let i = 0; i < THRESHOLD; i++) await expect(auth.login({ login: u.username, password: `wrong-${i}` })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
  await expect(auth.login({ login: u.username, password: 'wrong' })).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
  const { rows } = await pool.query('SELECT account_locked_until IS NOT NULL AS locked FROM users WHERE id = $1', [u.id]);
  expect(rows[0].locked).toBe(true);
}

describe('old-form password hashes are rehashed at login', () => {
  it('a hash of the typed text (made before NFKC) becomes the NFKC form, in the login', async () => {
    const legacy = await argon2.hash(TYPED, ARGON2_OPTIONS);
    const u = await newUser(legacy);
    // Before the login only the typed text opens it.
    await expect(auth.login({ login: u.username, password: NFKC })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    const session = await auth.login({ login: u.username, password: TYPED });
    expect(session.accessToken).toEqual(expect.any(String));
    const now = await storedHash(u.id);
    expect(now).not.toBe(legacy);
    expect(await argon2.verify(now, NFKC)).toBe(true);
    // So now either way of typing it logs in, and the hash is left alone from then on.
    expect((await auth.login({ login: u.username, password: NFKC })).accessToken).toEqual(expect.any(String));
    expect(await storedHash(u.id)).toBe(now);
  });

  it('a hash with older argon2 parameters (or argon2i) gets the current ones', async () => {
    for (const old of [
      await argon2.hash(NFKC, { type: argon2.argon2id, memoryCost: 4096, timeCost: 3, parallelism: 1 }),
      await argon2.hash(NFKC, { ...ARGON2_OPTIONS, type: argon2.argon2i }),
    ]) {
      const u = await newUser(old);
      await auth.login({ login: u.email, password: NFKC });
      const now = await storedHash(u.id);
      expect(now.startsWith(CURRENT_PREFIX)).toBe(true);
      expect(await argon2.verify(now, NFKC)).toBe(true);
    }
  });

  it('a current hash is not rewritten, and a wrong password rewrites nothing', async () => {
    const current = await hasher.hash(NFKC);
    const u = await newUser(current);
    await auth.login({ login: u.username, password: NFKC });
    expect(await storedHash(u.id)).toBe(current);
    const legacy = await argon2.hash(TYPED, ARGON2_OPTIONS);
    const v = await newUser(legacy);
    await expect(auth.login({ login: v.username, password: 'not it at all' })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(await storedHash(v.id)).toBe(legacy);
  });
});

describe('a new password clears the lockout', () => {
  it('a password change clears the login throttles and the account lock in its transaction, with user.unlocked', async () => {
    const u = await newUser(await hasher.hash(NFKC));
    await lockOut(u);
    // A wrong try through the email too: both logins have counters.
    await expect(auth.login({ login: u.email, password: 'wrong' })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(await throttles(u.username, u.email)).toBe(2);

    await auth.changePassword(u.id, { currentPassword: NFKC, newPassword: 'a brand new passphrase' });
    expect(await throttles(u.username, u.email)).toBe(0);
    expect(await outboxCount(u.id, 'user.unlocked')).toBe(1);
    // The owner logs in at once through the login that was locked, and through the other.
    expect((await auth.login({ login: u.username, password: 'a brand new passphrase' })).accessToken).toEqual(expect.any(String));
    expect((await auth.login({ login: u.email, password: 'a brand new passphrase' })).accessToken).toEqual(expect.any(String));
  });

  it('a password reset clears them too, with user.unlocked', async () => {
    const u = await newUser(await hasher.hash(NFKC));
    await lockOut(u);
    await auth.forgotPassword({ email: u.email });
    const { rows } = await pool.query(`SELECT payload->'data'->>'token' AS token FROM outbox WHERE type = 'password_reset.requested' AND key = $1`, [u.id]);
    await auth.resetPassword({ token: rows[0].token, newPassword: 'reset to this passphrase' });
    expect(await throttles(u.username, u.email)).toBe(0);
    expect(await outboxCount(u.id, 'user.unlocked')).toBe(1);
    expect((await auth.login({ login: u.username, password: 'reset to this passphrase' })).accessToken).toEqual(expect.any(String));
  });

  it('a change while nothing is locked publishes no user.unlocked', async () => {
    const u = await newUser(await hasher.hash(NFKC));
    await auth.changePassword(u.id, { currentPassword: NFKC, newPassword: 'another new passphrase' });
    expect(await outboxCount(u.id, 'user.unlocked')).toBe(0);
  });
});
