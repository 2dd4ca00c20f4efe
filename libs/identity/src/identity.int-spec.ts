/**
 * The identity projections' repository against real PostgreSQL, with the tables as the services'
 * migrations create them (v1, v2, v3): what a user of another service would see after each event,
 * and that an older event arriving late (a DLQ replay) never rolls a projection back.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { EventData } from '@tally/contracts';
import { freshEm, initOrm, inTransaction } from '@tally/persistence';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { identityEntities } from './identity.entities';
import { IdentityProjectionRepository } from './identity.repository';
import { ProjectedKeySource, ProjectedUserStatus } from './identity.sources';
import { IDENTITY_PROJECTION_SQL, IDENTITY_PROJECTION_SQL_V2, IDENTITY_PROJECTION_SQL_V3 } from './schema';

const infra = infraFromEnv();
const dbName = `it_identity_${randomBytes(4).toString('hex')}`;
let pool: Pool;
let orm: MikroORM;
const mailing = new IdentityProjectionRepository({ keepEmail: true });
const minimal = new IdentityProjectionRepository({});

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  pool = new Pool({ connectionString: url, max: 2 });
  for (const sql of [...IDENTITY_PROJECTION_SQL, ...IDENTITY_PROJECTION_SQL_V2, ...IDENTITY_PROJECTION_SQL_V3]) await pool.query(sql);
  orm = await initOrm({ databaseUrl: url, entities: identityEntities, migrations: [], poolMax: 2 });
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

const at = (minutes: number) => new Date(Date.UTC(2026, 11, 1, 9, minutes)).toISOString();

function registered(userId: string, over: Partial<EventData<'user.registered'>> = {}): EventData<'user.registered'> {
  return { userId, username: 'ann', email: 'ann@example.com', firstName: 'Ann', lastName: null, preferredCurrency: 'EUR', timezone: 'Europe/Lisbon', dateJoined: at(0), ...over };
}

function profile(userId: string, over: Partial<EventData<'user.profile_updated'>> = {}): EventData<'user.profile_updated'> {
  return { userId, username: 'ann', firstName: 'Ann', lastName: null, preferredCurrency: 'EUR', timezone: 'Europe/Lisbon', profileVisibility: 'public', updatedAt: at(0), ...over };
}

async function user(id: string) {
  return (await pool.query('SELECT username, first_name, email, email_verified, is_active, preferred_currency FROM users WHERE id = $1', [id])).rows[0];
}

describe('IdentityProjectionRepository (PostgreSQL)', () => {
  it('follows a user through registration, verification, a profile change and deactivation', async () => {
    const id = randomUUID();
    await inTransaction(orm, (em) => mailing.upsertRegistered(em, registered(id), at(1)));
    await inTransaction(orm, (em) => mailing.markEmailVerified(em, { userId: id, email: 'ann@example.com', verifiedAt: at(2) }, at(2)));
    await inTransaction(orm, (em) => mailing.updateProfile(em, profile(id, { username: 'annie', preferredCurrency: 'USD' }), at(3)));
    await inTransaction(orm, (em) => mailing.setActive(em, id, false, at(4)));
    expect(await user(id)).toEqual({ username: 'annie', first_name: 'Ann', email: 'ann@example.com', email_verified: true, is_active: false, preferred_currency: 'USD' });
    expect(await new ProjectedUserStatus(orm, 0).isActive(id)).toBe(false);
  });

  it('reads users by id, one or many, leaving unknown ids out', async () => {
    const [ann, bob] = [randomUUID(), randomUUID()];
    await inTransaction(orm, (em) => mailing.upsertRegistered(em, registered(ann), at(1)));
    await inTransaction(orm, (em) => mailing.upsertRegistered(em, registered(bob, { username: 'bob', email: 'bob@example.com', firstName: null, timezone: 'Asia/Tokyo' }), at(1)));
    const one = await mailing.findUsers(freshEm(orm), [ann]);
    expect([...one.values()]).toEqual([{ id: ann, username: 'ann', firstName: 'Ann', lastName: null, email: 'ann@example.com', emailVerified: false, isActive: true, timezone: 'Europe/Lisbon' }]);
    const many = await mailing.findUsers(freshEm(orm), [bob, ann, randomUUID(), ann]);
    expect([...many.keys()].sort()).toEqual([ann, bob].sort());
    expect(many.get(bob)).toMatchObject({ username: 'bob', timezone: 'Asia/Tokyo' });
    expect((await mailing.findUsers(freshEm(orm), [])).size).toBe(0);
  });

  it('keeps no email address in a service that sends no mail', async () => {
    const id = randomUUID();
    await inTransaction(orm, (em) => minimal.upsertRegistered(em, registered(id), at(1)));
    await inTransaction(orm, (em) => minimal.markEmailVerified(em, { userId: id, email: 'ann@example.com', verifiedAt: at(2) }, at(2)));
    expect(await user(id)).toMatchObject({ email: null, email_verified: true });
  });

  it('ignores an event older than what the row reflects (a replayed registration, a late deactivation)', async () => {
    const id = randomUUID();
    await inTransaction(orm, (em) => minimal.upsertRegistered(em, registered(id), at(1)));
    await inTransaction(orm, (em) => minimal.updateProfile(em, profile(id, { username: 'annie' }), at(5)));
    await inTransaction(orm, (em) => minimal.setActive(em, id, false, at(6)));
    await inTransaction(orm, (em) => minimal.setActive(em, id, true, at(7)));

    // replays of earlier events, in any order
    await inTransaction(orm, (em) => minimal.setActive(em, id, false, at(6)));
    await inTransaction(orm, (em) => minimal.upsertRegistered(em, registered(id), at(1)));
    await inTransaction(orm, (em) => minimal.updateProfile(em, profile(id, { username: 'old-name' }), at(4)));
    expect(await user(id)).toMatchObject({ username: 'annie', is_active: true });
  });

  /** A real P-256 public key, as auth announces it. */
  function publicJwk(): EventData<'signing_key.published'>['publicJwk'] {
    const { kty, crv, x, y } = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    return { kty: kty as 'EC', crv: crv as 'P-256', x: x!, y: y! };
  }

  const keyEvent = (kid: string, jwk: EventData<'signing_key.published'>['publicJwk'], status: EventData<'signing_key.published'>['status']): EventData<'signing_key.published'> =>
    ({ kid, alg: 'ES256', status, createdAt: at(0), publicJwk: jwk });

  it('does not bring a retired signing key back to active when its older announcement is replayed', async () => {
    const kid = `k-${randomUUID()}`;
    const jwk = publicJwk();
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, keyEvent(kid, jwk, 'active'), minutesAgo(10)));
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, keyEvent(kid, jwk, 'retired'), minutesAgo(1)));
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, keyEvent(kid, jwk, 'active'), minutesAgo(10)));
    expect((await pool.query('SELECT status FROM signing_keys WHERE kid = $1', [kid])).rows[0].status).toBe('retired');
    // a key retired just now still verifies the tokens it signed until they expire
    expect(await new ProjectedKeySource(orm).getKey(kid)).not.toBeNull();
  });

  it('verifies with a pending key (announced before it signs), and with a retired key only until its tokens have expired', async () => {
    const pending = `k-${randomUUID()}`;
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, keyEvent(pending, publicJwk(), 'pending'), new Date().toISOString()));
    expect(await new ProjectedKeySource(orm).getKey(pending)).not.toBeNull();

    const ttl = 900;
    const retiredAt = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    const recent = `k-${randomUUID()}`;
    const old = `k-${randomUUID()}`;
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, keyEvent(recent, publicJwk(), 'retired'), retiredAt(ttl * 1000)));
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, keyEvent(old, publicJwk(), 'retired'), retiredAt(ttl * 1000 + 6 * 60_000)));
    const keys = new ProjectedKeySource(orm, { accessTokenTtlSeconds: ttl });
    // within the lifetime plus the 5-minute skew allowance: still verifies; past it: nothing
    expect(await keys.getKey(recent)).not.toBeNull();
    expect(await keys.getKey(old)).toBeNull();
  });

  it('keeps a retired key for the token lifetime auth published with it, not an assumed 900 s', async () => {
    const retiredAt = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const withLifetime = (kid: string, status: EventData<'signing_key.published'>['status'], tokenLifetimeSeconds?: number) =>
      ({ ...keyEvent(kid, publicJwk(), status), ...(tokenLifetimeSeconds ? { tokenLifetimeSeconds } : {}) });
    // auth signs hour-long tokens: a key retired 40 minutes ago still has live tokens (40 > 15 + 5 minutes).
    const hourLong = `k-${randomUUID()}`;
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, withLifetime(hourLong, 'active', 3600), retiredAt(90)));
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, withLifetime(hourLong, 'retired', 3600), retiredAt(40)));
    // and 66 minutes after retirement (past 60 + 5), nothing.
    const hourLongOld = `k-${randomUUID()}`;
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, withLifetime(hourLongOld, 'retired', 3600), retiredAt(66)));
    // Short tokens: 2 minutes plus 5 of skew, so a key retired 8 minutes ago verifies nothing.
    const short = `k-${randomUUID()}`;
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, withLifetime(short, 'retired', 120), retiredAt(8)));
    // Without a published lifetime (an older auth's event): the default (900 s) applies.
    const unknown = `k-${randomUUID()}`;
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, withLifetime(unknown, 'retired'), retiredAt(25)));
    const keys = new ProjectedKeySource(orm);
    expect(await keys.getKey(hourLong)).not.toBeNull();
    expect(await keys.getKey(hourLongOld)).toBeNull();
    expect(await keys.getKey(short)).toBeNull();
    expect(await keys.getKey(unknown)).toBeNull();
    // A later announcement with a shorter lifetime (a replica configured shorter) never shortens it: tokens signed under the longer one still live.
    const lowered = `k-${randomUUID()}`;
    const jwk = publicJwk();
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, { ...keyEvent(lowered, jwk, 'active'), tokenLifetimeSeconds: 3600 }, retiredAt(50)));
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, { ...keyEvent(lowered, jwk, 'retired'), tokenLifetimeSeconds: 600 }, retiredAt(30)));
    expect((await pool.query('SELECT token_lifetime_seconds FROM signing_keys WHERE kid = $1', [lowered])).rows[0].token_lifetime_seconds).toBe(3600);
    expect(await new ProjectedKeySource(orm).getKey(lowered)).not.toBeNull();
  });

  it('never verifies with a revoked key, and no later or replayed announcement brings it back', async () => {
    const kid = `k-${randomUUID()}`;
    const jwk = publicJwk();
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, keyEvent(kid, jwk, 'active'), at(1)));
    const keys = new ProjectedKeySource(orm, { refreshMs: 0 });
    expect(await keys.getKey(kid)).not.toBeNull();
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, keyEvent(kid, jwk, 'revoked'), at(5)));
    expect(await keys.getKey(kid)).toBeNull();
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, keyEvent(kid, jwk, 'active'), at(9)));
    expect((await pool.query('SELECT status FROM signing_keys WHERE kid = $1', [kid])).rows[0].status).toBe('revoked');
    expect(await keys.getKey(kid)).toBeNull();
  });

  it('stores only the public members of a key, whatever else a newer publisher adds', async () => {
    const kid = `k-${randomUUID()}`;
    const pub = publicJwk();
    const jwk = { ...pub, d: 'private'.repeat(6) } as EventData<'signing_key.published'>['publicJwk'];
    await inTransaction(orm, (em) => minimal.upsertSigningKey(em, { kid, alg: 'ES256', status: 'active', createdAt: at(0), publicJwk: jwk }, at(1)));
    expect((await pool.query('SELECT public_jwk FROM signing_keys WHERE kid = $1', [kid])).rows[0].public_jwk).toEqual(pub);
    expect(await new ProjectedKeySource(orm).getKey(kid)).not.toBeNull();
  });
});
