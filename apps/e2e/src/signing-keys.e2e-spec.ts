import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { SmtpCatcher, TallySystem, expectEventually, kafkaControl, sleep } from '@tally/testing';
import { call, newUser, query, startSystem, verificationToken } from './support';

const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
const PROBLEM = 'application/problem+json';
/** How long auth waits, after a new key's announcement has left the outbox, before it signs with it (set below). */
const ACTIVATION_DELAY_S = 4;

/**
 * The signing keys' life through the real stack: announced before use (so a Kafka outage at rotation
 * time refuses nobody), revocable, never a pool deadlock when many sessions start at once, and the
 * gateway keeping its last good key set while auth is away.
 */
describe('signing keys: announce, rotate, revoke, survive outages', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;
  let auth: string;
  let group: string;
  let authDb: string;
  let root: { id: string; username: string; password: string };
  let rootToken: string;
  let ann: { id: string; username: string; password: string };

  beforeAll(async () => {
    ({ system, smtp } = await startSystem({
      'auth-service': { SIGNING_KEY_ACTIVATION_DELAY_SECONDS: String(ACTIVATION_DELAY_S), SIGNING_KEY_CHECK_INTERVAL_MS: '1000' },
      'api-gateway': { JWKS_REFRESH_MS: '2000' },
    }));
    gw = system.gatewayUrl;
    auth = `http://127.0.0.1:${system.ports['auth-service']}`;
    group = `http://127.0.0.1:${system.ports['group-service']}`;
    authDb = system.databaseUrl('auth');
    [root, ann] = await Promise.all([register('root'), register('ann')]);
    await query(authDb, `UPDATE users SET role = 'admin', is_superuser = TRUE WHERE id = $1`, [root.id]);
    rootToken = await login(root);
  });

  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
  });

  async function register(tag: string) {
    const u = newUser(tag, system.runId);
    const reg = await call(gw, 'POST', '/api/v1/auth/register', { body: u });
    expect([201, 202]).toContain(reg.status);
    const token = verificationToken((await smtp.waitFor(u.email, 60000)).text);
    expect((await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token } })).status).toBe(200);
    const [row] = await query<{ id: string }>(system.databaseUrl('auth'), 'SELECT id FROM users WHERE username = $1', [u.username]);
    return { id: row.id, username: u.username, password: u.password };
  }

  async function session(user: { username: string; password: string }, base = gw) {
    const res = await call(base, 'POST', '/api/v1/auth/login', { body: { login: user.username, password: user.password } });
    expect(res.status).toBe(200);
    return res.body as { accessToken: string; refreshToken: string };
  }

  const login = async (user: { username: string; password: string }) => (await session(user)).accessToken;

  /** Status of a read at the gateway, at auth directly and at group-service directly (it verifies from its own projection). */
  async function statuses(token: string) {
    return {
      gateway: (await call(gw, 'GET', '/api/v1/groups', { token })).status,
      auth: (await call(auth, 'GET', '/api/v1/users/me', { token })).status,
      group: (await call(group, 'GET', '/api/v1/groups', { token })).status,
    };
  }
  const everywhere = (status: number) => ({ gateway: status, auth: status, group: status });

  it('starts as many sessions at once as auth has pool connections and more, all promptly (no pool deadlock)', async () => {
    // The e2e harness gives every service DATABASE_POOL_MAX=4.
    const n = 4 + 4;
    const sessions = [];
    for (let i = 0; i < n; i++) sessions.push(await session(ann, auth));
    // Past the interval after which auth used to re-read the active key on a second connection.
    await sleep(31_000);
    const started = Date.now();
    const results = await Promise.all([
      ...sessions.map((s) => call(auth, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } })),
      ...Array.from({ length: 4 }, () => call(auth, 'POST', '/api/v1/auth/login', { body: { login: ann.username, password: ann.password } })),
    ]);
    const elapsed = Date.now() - started;
    expect(results.map((r) => r.status)).toEqual(Array(n + 4).fill(200));
    expect(elapsed).toBeLessThan(15_000);
  });

  it('rotating while Kafka is down refuses nobody: the new key is announced first and signs only once announced', async () => {
    const before = await login(ann);
    const oldKid = kidOf(before);
    expect(await statuses(before)).toEqual(everywhere(200));

    const kafka = kafkaControl();
    await kafka.stopKafka();
    let newKid: string;
    try {
      const rotated = await call(gw, 'POST', '/api/v1/admin/signing-keys/rotate', { token: rootToken });
      expect(rotated.status).toBe(201);
      newKid = rotated.body.kid;
      expect(newKid).not.toBe(oldKid);
      // Well past the activation delay: the announcement cannot have left the outbox, so nothing may sign with the new key yet.
      await sleep((ACTIVATION_DELAY_S + 3) * 1000);
      const during = await login(ann);
      expect(await statuses(during)).toEqual(everywhere(200));
      expect(kidOf(during)).toBe(oldKid);
    } finally {
      await kafka.startKafka();
    }

    // Once announced (and the delay passed), new tokens carry the new key and verify everywhere.
    await expectEventually(async () => {
      const after = await login(ann);
      expect(kidOf(after)).toBe(newKid);
      expect(await statuses(after)).toEqual(everywhere(200));
    }, { timeoutMs: 120_000, intervalMs: 1000, what: 'tokens of the new key, verified everywhere' });
    // The token signed before the rotation still works (its key is retired, not revoked).
    expect(await statuses(before)).toEqual(everywhere(200));
    expect(await query(authDb, 'SELECT kid, status FROM signing_keys WHERE kid = ANY($1) ORDER BY created_at', [[oldKid, newKid!]])).toEqual([
      { kid: oldKid, status: 'retired' }, { kid: newKid!, status: 'active' },
    ]);
  });

  it('revokes a key: its tokens are refused at the gateway and at every service, and only a superuser may do it', async () => {
    const victim = await login(ann);
    const kid = kidOf(victim);
    expect(await statuses(victim)).toEqual(everywhere(200));

    // An admin who is not a superuser, and a plain user, may not.
    await query(authDb, `UPDATE users SET role = 'admin' WHERE id = $1`, [ann.id]);
    const annAdmin = await login(ann);
    for (const token of [annAdmin]) {
      const res = await call(gw, 'POST', `/api/v1/admin/signing-keys/${kid}/revoke`, { token });
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toContain(PROBLEM);
      // Nor rotate: which key signs every session is a superuser's decision too, and nothing is minted.
      const rotate = await call(gw, 'POST', '/api/v1/admin/signing-keys/rotate', { token });
      expect({ status: rotate.status, code: rotate.body?.code }).toEqual({ status: 403, code: 'SUPERUSER_REQUIRED' });
      expect(rotate.headers.get('content-type')).toContain(PROBLEM);
      expect(await query(authDb, `SELECT kid FROM signing_keys WHERE status = 'pending'`)).toEqual([]);
    }
    await query(authDb, `UPDATE users SET role = 'user' WHERE id = $1`, [ann.id]);
    const unknown = await call(gw, 'POST', `/api/v1/admin/signing-keys/${randomUUID()}/revoke`, { token: rootToken });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain(PROBLEM);

    const revoked = await call(gw, 'POST', `/api/v1/admin/signing-keys/${kid}/revoke`, { token: rootToken });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ kid, status: 'revoked' });

    // The revoked key was the active one: a new key signs at once, and its tokens work everywhere.
    rootToken = await login(root);
    expect(kidOf(rootToken)).not.toBe(kid);
    await expectEventually(async () => expect(await statuses(rootToken)).toEqual(everywhere(200)), { timeoutMs: 60_000, what: 'the replacement key everywhere' });
    // The victim's token: refused everywhere, once the revocation has spread (auth at once, group-service by Kafka, the gateway by its JWKS refresh).
    await expectEventually(async () => {
      const s = await statuses(victim);
      expect(s).toEqual(everywhere(401));
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'the revoked key refused everywhere' });
    expect((await call(gw, 'GET', '/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid)).not.toContain(kid);
    const [row] = await query(system.databaseUrl('group'), 'SELECT status FROM signing_keys WHERE kid = $1', [kid]);
    expect(row.status).toBe('revoked');
    // Revoking again changes nothing.
    expect((await call(gw, 'POST', `/api/v1/admin/signing-keys/${kid}/revoke`, { token: rootToken })).status).toBe(200);
  });

  it('keeps verifying with the last good keys while auth is down, and answers 503 (not 401) for a key it cannot get', async () => {
    const token = await login(ann);
    expect(await statuses(token)).toEqual(everywhere(200));
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const strangerKid = randomUUID();
    const stranger = new JwtService().sign(
      { typ: 'access', role: 'user', username: 'x' },
      { privateKey, algorithm: 'ES256', keyid: strangerKid, header: { alg: 'ES256', typ: 'at+jwt' }, issuer: 'tally-auth', audience: 'tally-api', subject: ann.id, jwtid: randomUUID(), expiresIn: 600 },
    );
    expect((await call(gw, 'GET', '/api/v1/groups', { token: stranger })).status).toBe(401);

    await system.stopApp('auth-service');
    try {
      // Several of the gateway's refresh intervals pass with auth unreachable.
      await sleep(7000);
      for (let i = 0; i < 20; i++) expect((await call(gw, 'GET', '/api/v1/groups', { token })).status).toBe(200);
      const res = await call(gw, 'GET', '/api/v1/groups', { token: stranger });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toContain(PROBLEM);
    } finally {
      await system.startApp('auth-service');
    }
    expect(await statuses(token)).toEqual(everywhere(200));
  });
});
