import fs from 'node:fs';
import path from 'node:path';
import { SecretBox } from '@tally/security';
import { SmtpCatcher, TallySystem, expectEventually } from '@tally/testing';
import { call, createAdmin as runCreateAdmin, newUser, query, startSystem, verificationToken } from './support';

interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
}

const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
const PROBLEM = 'application/problem+json';
const UNKNOWN_ID = '00000000-0000-4000-8000-00000000dead';

describe('admin: users, configurations and signing keys, all real', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;
  let authDb: string;
  const u: Record<'root' | 'adm' | 'staff' | 'ann' | 'bob' | 'cara', TestUser> = {} as never;
  const tokens: Partial<Record<keyof typeof u, string>> = {};

  async function register(tag: string, verify = true): Promise<TestUser> {
    const nu = newUser(tag, system.runId);
    const reg = await call(gw, 'POST', '/api/v1/auth/register', { body: nu });
    expect(reg.status).toBe(202); // the same answer whether or not the email had an account: the id comes from the database
    const [{ id }] = await query(system.databaseUrl('auth'), 'SELECT id FROM users WHERE username = $1', [nu.username]);
    if (verify) {
      const token = verificationToken((await smtp.waitFor(nu.email, 60000)).text);
      expect((await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token } })).status).toBe(200);
    }
    return { id, username: nu.username, email: nu.email, password: nu.password };
  }

  async function login(user: TestUser): Promise<string> {
    const res = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: user.username, password: user.password } });
    expect(res.status).toBe(200);
    return res.body.accessToken;
  }

  /** The bootstrap command, as an operator runs it (support.ts). */
  const createAdmin = (args: string[]) => runCreateAdmin(system, args);

  const outbox = (subject: string, type?: string) =>
    query<{ type: string; payload: any }>(authDb, `SELECT type, payload FROM outbox WHERE key = $1 ${type ? 'AND type = $2' : ''} ORDER BY seq`, type ? [subject, type] : [subject]);

  const admin = (method: string, p: string, token: string | undefined, body?: unknown) => call(gw, method, `/api/v1/admin${p}`, { token, body });

  beforeAll(async () => {
    // A rotated key signs 2 s after its announcement went out (60 s by default).
    ({ system, smtp } = await startSystem({ 'auth-service': { SIGNING_KEY_ACTIVATION_DELAY_SECONDS: '2', SIGNING_KEY_CHECK_INTERVAL_MS: '500' } }));
    gw = system.gatewayUrl;
    authDb = system.databaseUrl('auth');
    const [root, adm, staff, ann, bob, cara] = await Promise.all([
      register('root'), register('adm'), register('staff'), register('ann'), register('bob'), register('cara', false),
    ]);
    Object.assign(u, { root, adm, staff, ann, bob, cara });
    // Staff is a flag only operators set; there is no route for it.
    await query(authDb, 'UPDATE users SET is_staff = TRUE WHERE id = $1', [staff.id]);
    for (const k of ['root', 'adm', 'staff', 'ann', 'bob'] as const) tokens[k] = await login(u[k]);
  });

  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
  });

  it('bootstraps the first admin with the create-admin command; rights come from the database, not the token', async () => {
    const before = await admin('GET', '/users', tokens.root);
    expect(before.status).toBe(403);
    expect(before.body.code).toBe('ADMIN_REQUIRED');

    const usage = await createAdmin([]);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('Usage: node dist/apps/auth-service/src/admin/create-admin.js');
    expect((await createAdmin(['--email', u.root.email, '--username', u.root.username])).code).toBe(64);
    const nobody = await createAdmin(['--email', `nobody-${system.runId}@example.com`]);
    expect(nobody.code).toBe(67);
    expect(nobody.stderr).toMatch(/no account/);

    const done = await createAdmin(['--email', u.root.email.toUpperCase(), '--superuser']);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('promoted to admin and superuser');
    const [row] = await query(authDb, 'SELECT role, is_superuser, is_premium FROM users WHERE id = $1', [u.root.id]);
    expect(row).toEqual({ role: 'admin', is_superuser: true, is_premium: false });
    const events = await outbox(u.root.id, 'user.role_changed');
    expect(events).toHaveLength(1);
    expect(events[0].payload.data).toEqual({ userId: u.root.id, at: expect.any(String), byUserId: null, role: 'admin' });

    // Idempotent: nothing changes, nothing is published.
    const again = await createAdmin(['--username', u.root.username, '--superuser']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing changed');
    expect(await outbox(u.root.id, 'user.role_changed')).toHaveLength(1);

    // The same token, whose role claim still says "user", now passes: the caller is read from the database.
    expect(JSON.parse(Buffer.from(tokens.root!.split('.')[1], 'base64url').toString()).role).toBe('user');
    const after = await admin('GET', '/users', tokens.root);
    expect(after.status).toBe(200);
  });

  it('refuses non-admins on every admin route with 403 problem+json; staff may read but not change', async () => {
    const id = u.bob.id;
    const reads: [string, string, unknown?][] = [
      ['GET', '/users'], ['GET', `/users/${id}`], ['GET', '/configurations'], ['GET', '/configurations/app.name'],
    ];
    const writes: [string, string, unknown?][] = [
      ['POST', `/users/${id}/deactivate`], ['POST', `/users/${id}/reactivate`], ['POST', `/users/${id}/unlock`],
      ['PATCH', `/users/${u.ann.id}/role`, { role: 'admin' }], ['PUT', '/configurations/app.name', { value: 'Tally', dataType: 'string' }],
      ['DELETE', '/configurations/app.name'], ['POST', '/signing-keys/rotate'],
    ];
    const keysBefore = (await call(gw, 'GET', '/.well-known/jwks.json')).body.keys.length;
    for (const [method, p, body] of [...reads, ...writes]) {
      const res = await admin(method, p, tokens.ann, body);
      expect({ route: `${method} ${p}`, status: res.status, code: res.body?.code }).toEqual({ route: `${method} ${p}`, status: 403, code: 'ADMIN_REQUIRED' });
      expect(res.headers.get('content-type')).toContain(PROBLEM);
      expect((await admin(method, p, undefined, body)).status).toBe(401);
    }
    for (const [method, p] of reads) {
      const res = await admin(method, p, tokens.staff);
      // The key does not exist: reading it is allowed, and finds nothing.
      expect({ route: `${method} ${p}`, status: res.status }).toEqual({ route: `${method} ${p}`, status: p.endsWith('app.name') ? 404 : 200 });
    }
    for (const [method, p, body] of writes) {
      const res = await admin(method, p, tokens.staff, body);
      expect({ route: `${method} ${p}`, status: res.status, code: res.body?.code }).toEqual({ route: `${method} ${p}`, status: 403, code: 'ADMIN_REQUIRED' });
    }
    // Nothing happened.
    const [ann] = await query(authDb, 'SELECT role FROM users WHERE id = $1', [u.ann.id]);
    expect(ann.role).toBe('user');
    expect((await query(authDb, 'SELECT count(*)::int AS n FROM system_configurations'))[0].n).toBe(0);
    expect((await call(gw, 'GET', '/.well-known/jwks.json')).body.keys.length).toBe(keysBefore);
    expect((await query(authDb, `SELECT count(*)::int AS n FROM outbox WHERE type IN ('user.deactivated','user.reactivated','user.unlocked','user.role_changed') AND key <> $1`, [u.root.id]))[0].n).toBe(0);
  });

  it('lists, searches, filters and pages users, with the admin view and never a password hash', async () => {
    const list = (qs: string) => admin('GET', `/users${qs}`, tokens.root);
    const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((i) => i.id);

    const byName = await list(`?search=${encodeURIComponent(u.ann.username.toUpperCase())}`);
    expect(byName.status).toBe(200);
    expect(ids(byName)).toEqual([u.ann.id]);
    const view = byName.body.items[0];
    expect(view).toMatchObject({
      id: u.ann.id, username: u.ann.username, email: u.ann.email, role: 'user', isActive: true, isVerified: true, isPremium: false,
      isStaff: false, isSuperuser: false, failedLoginAttempts: 0, accountLockedUntil: null, locked: false, lastLoginIp: expect.any(String),
      lastLogin: expect.any(String), dateJoined: expect.any(String),
    });
    expect(view).not.toHaveProperty('password');
    const everyone = await list('?limit=100');
    expect(everyone.body.total).toBeGreaterThanOrEqual(6);
    expect(JSON.stringify(everyone.body)).not.toMatch(/argon2|"password"/);

    const byEmail = await list(`?search=${encodeURIComponent(u.bob.email.split('@')[0].toUpperCase() + '@EXAMPLE')}`);
    expect(ids(byEmail)).toEqual([u.bob.id]);
    expect(ids(await list(`?search=${encodeURIComponent(system.runId)}&role=admin`))).toEqual([u.root.id]);
    const unverified = await list(`?search=${system.runId}&isVerified=false`);
    expect(ids(unverified)).toEqual([u.cara.id]);
    expect(ids(await list(`?search=${system.runId}&isActive=true&isVerified=true`)).sort()).toEqual([u.root.id, u.adm.id, u.staff.id, u.ann.id, u.bob.id].sort());
    expect((await list(`?search=${system.runId}&isActive=false`)).body.total).toBe(0);
    // LIKE wildcards are literal.
    expect((await list('?search=%25')).body.total).toBe(0);
    expect((await list('?search=_')).body.items.map((i: { username: string }) => i.username).every((n: string) => n.includes('_'))).toBe(true);

    const page1 = await list(`?search=${system.runId}&limit=2&offset=0`);
    const page2 = await list(`?search=${system.runId}&limit=2&offset=2`);
    expect(page1.body).toMatchObject({ total: 6, limit: 2, offset: 0 });
    expect(page1.body.items).toHaveLength(2);
    expect(ids(page2).some((id) => ids(page1).includes(id))).toBe(false);

    for (const qs of ['?isActive=maybe', '?role=superuser', '?limit=0', '?limit=101', '?offset=-1', '?locked=1', '?sort=email', '?role=user&role=admin']) {
      const bad = await list(qs);
      expect({ qs, status: bad.status }).toEqual({ qs, status: 400 });
      expect(bad.headers.get('content-type')).toContain(PROBLEM);
    }

    const one = await admin('GET', `/users/${u.ann.id}`, tokens.root);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(view);
    const unknown = await admin('GET', `/users/${UNKNOWN_ID}`, tokens.root);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('USER_NOT_FOUND');
    expect((await admin('GET', '/users/not-a-uuid', tokens.root)).status).toBe(400);
  });

  it('deactivates an account: it can no longer log in, its token stops working; then reactivates it', async () => {
    const annToken = await login(u.ann);
    expect((await call(gw, 'GET', '/api/v1/users/me', { token: annToken })).status).toBe(200);

    const off = await admin('POST', `/users/${u.ann.id}/deactivate`, tokens.root);
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: u.ann.id, isActive: false });

    const refused = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.ann.email, password: u.ann.password } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('ACCOUNT_INACTIVE');
    // auth reads the account on /users/me, so the still-unexpired token no longer gets it.
    const me = await call(gw, 'GET', '/api/v1/users/me', { token: annToken });
    expect(me.status).not.toBe(200);
    expect([401, 403, 404]).toContain(me.status);
    // Every other service learns it from user.deactivated and refuses the token too.
    for (const path of ['/api/v1/groups', '/api/v1/notifications', '/api/v1/accounts']) {
      await expectEventually(async () => expect((await call(gw, 'GET', path, { token: annToken })).status).toBe(401), { timeoutMs: 30000, what: path });
    }
    // The accounts work's refresh tokens, where that table exists: none left unrevoked.
    const [{ exists }] = await query(authDb, `SELECT to_regclass('refresh_tokens') IS NOT NULL AS exists`);
    if (exists) {
      const [rt] = await query(authDb, 'SELECT count(*) FILTER (WHERE revoked_at IS NULL)::int AS live, count(*)::int AS total FROM refresh_tokens WHERE user_id = $1', [u.ann.id]);
      expect(rt).toEqual({ live: 0, total: expect.any(Number) });
      expect(rt.total).toBeGreaterThan(0);
    }

    // Again: nothing to do, one event only.
    expect((await admin('POST', `/users/${u.ann.id}/deactivate`, tokens.root)).status).toBe(200);
    expect((await admin('POST', `/users/${UNKNOWN_ID}/deactivate`, tokens.root)).status).toBe(404);
    const deactivated = await outbox(u.ann.id, 'user.deactivated');
    expect(deactivated.map((e) => e.payload.data)).toEqual([{ userId: u.ann.id, at: expect.any(String), byUserId: u.root.id }]);
    expect(deactivated[0].payload.actor).toMatchObject({ userId: u.root.id });

    const on = await admin('POST', `/users/${u.ann.id}/reactivate`, tokens.root);
    expect(on.status).toBe(200);
    expect(on.body.isActive).toBe(true);
    tokens.ann = await login(u.ann);
    expect((await call(gw, 'GET', '/api/v1/users/me', { token: tokens.ann })).status).toBe(200);
    await expectEventually(async () => expect((await call(gw, 'GET', '/api/v1/groups', { token: tokens.ann })).status).toBe(200), { timeoutMs: 30000, what: 'groups after reactivation' });
    expect((await outbox(u.ann.id, 'user.reactivated')).map((e) => e.payload.data)).toEqual([{ userId: u.ann.id, at: expect.any(String), byUserId: u.root.id }]);
  });

  it('unlocks an account locked in the database', async () => {
    await query(authDb, `UPDATE users SET failed_login_attempts = 5, account_locked_until = now() + interval '1 hour' WHERE id = $1`, [u.bob.id]);
    const locked = await admin('GET', `/users?locked=true&search=${system.runId}`, tokens.root);
    expect(locked.body.items.map((i: { id: string }) => i.id)).toEqual([u.bob.id]);
    expect(locked.body.items[0]).toMatchObject({ failedLoginAttempts: 5, locked: true, accountLockedUntil: expect.any(String) });
    const notLocked = await admin('GET', `/users?locked=false&search=${system.runId}&limit=100`, tokens.root);
    expect(notLocked.body.items.map((i: { id: string }) => i.id)).not.toContain(u.bob.id);
    expect(notLocked.body.total).toBe(5);

    const refused = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.bob.username, password: u.bob.password } });
    expect(refused.status).not.toBe(200);

    const res = await admin('POST', `/users/${u.bob.id}/unlock`, tokens.root);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ failedLoginAttempts: 0, accountLockedUntil: null, locked: false });
    const [row] = await query(authDb, 'SELECT failed_login_attempts, account_locked_until FROM users WHERE id = $1', [u.bob.id]);
    expect(row).toEqual({ failed_login_attempts: 0, account_locked_until: null });
    expect((await admin('GET', `/users?locked=true&search=${system.runId}`, tokens.root)).body.total).toBe(0);
    tokens.bob = await login(u.bob);
    expect((await outbox(u.bob.id, 'user.unlocked')).map((e) => e.payload.data)).toEqual([
      { userId: u.bob.id, at: expect.any(String), byUserId: u.root.id, lockedUntil: null },
    ]);
  });

  it('changes roles with is_premium in step; admins cannot touch admins or themselves; demotion applies at once', async () => {
    const role = (id: string, r: unknown, token = tokens.root) => admin('PATCH', `/users/${id}/role`, token, r === undefined ? {} : { role: r });

    expect((await role(u.bob.id, 'premium')).body).toMatchObject({ role: 'premium', isPremium: true });
    expect((await query(authDb, 'SELECT role, is_premium FROM users WHERE id = $1', [u.bob.id]))[0]).toEqual({ role: 'premium', is_premium: true });
    expect((await role(u.bob.id, 'user')).body).toMatchObject({ role: 'user', isPremium: false });
    for (const bad of ['superuser', 'ADMIN', '', 1, null, undefined]) {
      const res = await role(u.bob.id, bad);
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
    }
    const extra = await admin('PATCH', `/users/${u.bob.id}/role`, tokens.root, { role: 'admin', isSuperuser: true });
    expect(extra.status).toBe(400);
    expect(extra.body.errors.map((e: { field: string }) => e.field)).toContain('isSuperuser');
    expect((await query(authDb, 'SELECT role, is_superuser FROM users WHERE id = $1', [u.bob.id]))[0]).toEqual({ role: 'user', is_superuser: false });
    expect((await role(UNKNOWN_ID, 'premium')).status).toBe(404);

    // root (superuser) makes adm an admin; adm's token, which still says "user", works at once.
    expect((await role(u.adm.id, 'admin')).status).toBe(200);
    expect((await admin('GET', '/users', tokens.adm)).status).toBe(200);
    // adm may change plain users...
    expect((await admin('POST', `/users/${u.bob.id}/unlock`, tokens.adm)).status).toBe(200);
    // ...but not a superuser, nor themself.
    for (const [method, p, body] of [['POST', `/users/${u.root.id}/deactivate`], ['PATCH', `/users/${u.root.id}/role`, { role: 'user' }], ['POST', `/users/${u.root.id}/unlock`]] as const) {
      const res = await admin(method, p, tokens.adm, body);
      expect({ p, status: res.status, code: res.body.code }).toEqual({ p, status: 403, code: 'SUPERUSER_REQUIRED' });
    }
    for (const [who, method, p, body] of [
      ['adm', 'POST', `/users/${u.adm.id}/deactivate`], ['adm', 'PATCH', `/users/${u.adm.id}/role`, { role: 'user' }],
      ['root', 'POST', `/users/${u.root.id}/deactivate`], ['root', 'PATCH', `/users/${u.root.id}/role`, { role: 'premium' }],
    ] as const) {
      const res = await admin(method, p, tokens[who], body);
      expect({ who, p, status: res.status, code: res.body.code }).toEqual({ who, p, status: 409, code: 'CANNOT_CHANGE_SELF' });
      expect(res.headers.get('content-type')).toContain(PROBLEM);
    }
    expect((await query(authDb, 'SELECT role, is_active, is_superuser FROM users WHERE id = $1', [u.root.id]))[0]).toEqual({ role: 'admin', is_active: true, is_superuser: true });

    // A deactivated admin loses access at once, role or not.
    expect((await admin('POST', `/users/${u.adm.id}/deactivate`, tokens.root)).status).toBe(200);
    expect((await admin('GET', '/users', tokens.adm)).status).toBe(403);
    expect((await admin('POST', `/users/${u.adm.id}/reactivate`, tokens.root)).status).toBe(200);
    expect((await admin('GET', '/users', tokens.adm)).status).toBe(200);
    // Demoted: the next request is refused, with the same token.
    expect((await role(u.adm.id, 'user')).body).toMatchObject({ role: 'user' });
    const demoted = await admin('GET', '/users', tokens.adm);
    expect(demoted.status).toBe(403);
    expect(demoted.body.code).toBe('ADMIN_REQUIRED');

    expect((await outbox(u.bob.id, 'user.role_changed')).map((e) => [e.payload.data.role, e.payload.data.byUserId])).toEqual([
      ['premium', u.root.id], ['user', u.root.id],
    ]);
    expect((await outbox(u.adm.id, 'user.role_changed')).map((e) => [e.payload.data.role, e.payload.data.byUserId])).toEqual([
      ['admin', u.root.id], ['user', u.root.id],
    ]);
    expect((await outbox(u.adm.id)).map((e) => e.type)).toEqual(expect.arrayContaining(['user.deactivated', 'user.reactivated']));
  });

  it('manages system configurations and never shows a sensitive value, anywhere', async () => {
    const SECRET = `sk_live_${system.runId}_first_SECRET`;
    const SECRET2 = `sk_live_${system.runId}_second_SECRET`;
    const BAD_SECRET = `sk_live_${system.runId}_not_an_integer`;
    const put = (key: string, body: unknown, token = tokens.root) => admin('PUT', `/configurations/${key}`, token, body);

    const created = await put('groups.max_members', { value: '50', dataType: 'integer', description: 'Members per group' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'groups.max_members', value: '50', valueSet: true, dataType: 'integer', description: 'Members per group', isSensitive: false });
    const updated = await put('groups.max_members', { value: '60', dataType: 'integer' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: created.body.id, value: '60', description: 'Members per group' });
    for (const [key, dataType, value] of [['fees.rate', 'decimal', '12.50'], ['feature.new_ui', 'boolean', 'true'], ['ui.theme', 'json', '{"a":[1,2],"b":null}'], ['app.name', 'string', 'Tally']]) {
      const res = await put(key, { value, dataType });
      expect({ key, status: res.status, value: res.body.value }).toEqual({ key, status: 201, value });
    }

    const s1 = await put('payments.provider_api_key', { value: SECRET, dataType: 'string', isSensitive: true, description: 'Provider key' });
    expect(s1.status).toBe(201);
    expect(s1.body).toMatchObject({ value: null, valueSet: true, isSensitive: true });
    // Updated without repeating the flag: it stays sensitive.
    const s2 = await put('payments.provider_api_key', { value: SECRET2, dataType: 'string' });
    expect(s2.status).toBe(200);
    expect(s2.body).toMatchObject({ value: null, valueSet: true, isSensitive: true, description: 'Provider key' });
    const s3 = await put('payments.webhook_secret', { value: JSON.stringify({ secret: SECRET }), dataType: 'json', isSensitive: true });
    expect(s3.status).toBe(201);
    // Sealed at rest: the database row holds ciphertext only, which the run's key opens.
    const sealedRows = await query(authDb, `SELECT key, value FROM system_configurations WHERE key LIKE 'payments.%' ORDER BY key`);
    expect(sealedRows.map((r) => r.key)).toEqual(['payments.provider_api_key', 'payments.webhook_secret']);
    for (const r of sealedRows) {
      expect(r.value).toMatch(/^sealed:v1:/);
      expect(r.value).not.toContain(SECRET);
    }
    expect(JSON.parse(new SecretBox(system.secretsKey).open(sealedRows[1].value))).toEqual({ secret: SECRET });

    // Bad input: 400 problem+json, nothing changed, a secret never echoed.
    const badBodies: unknown[] = [
      { value: '12.5', dataType: 'integer' }, { value: 60, dataType: 'integer' }, { value: '1e3', dataType: 'decimal' }, { value: 12.5, dataType: 'decimal' },
      { value: 'yes', dataType: 'boolean' }, { value: true, dataType: 'boolean' }, { value: '{bad', dataType: 'json' }, { value: '1', dataType: 'float' },
      { value: '61', dataType: 'integer', admin: true }, { dataType: 'integer' }, { value: '61' }, { value: '61', dataType: 'integer', isSensitive: 'yes' },
      { value: 'x'.repeat(70_000), dataType: 'string' },
    ];
    for (const body of badBodies) {
      const res = await put('groups.max_members', body);
      expect({ body: JSON.stringify(body).slice(0, 80), status: res.status }).toEqual({ body: JSON.stringify(body).slice(0, 80), status: 400 });
      expect(res.headers.get('content-type')).toContain(PROBLEM);
    }
    const badSecret = await put('payments.provider_api_key', { value: BAD_SECRET, dataType: 'integer', isSensitive: true });
    expect(badSecret.status).toBe(400);
    expect(badSecret.body.code).toBe('INVALID_CONFIGURATION_VALUE');
    expect(badSecret.body.errors).toEqual([{ field: 'value', message: expect.any(String) }]);
    expect(JSON.stringify(badSecret.body)).not.toContain(BAD_SECRET);
    for (const key of ['bad%20key', '.hidden', 'semi%3Bcolon']) expect((await put(key, { value: '1', dataType: 'string' })).status).toBe(400);
    // Longer than a key may be: Fastify refuses a path parameter over 100 characters before we see it (414).
    expect([400, 414]).toContain((await put('x'.repeat(101), { value: '1', dataType: 'string' })).status);
    expect((await admin('GET', '/configurations/groups.max_members', tokens.root)).body).toMatchObject({ value: '60', dataType: 'integer' });
    const [stored] = await query(authDb, 'SELECT data_type FROM system_configurations WHERE key = $1', ['payments.provider_api_key']);
    expect(stored.data_type).toBe('string');
    // The database refuses a data type the API would (CHECK), whoever writes it.
    await expect(query(authDb, `UPDATE system_configurations SET data_type = 'float' WHERE key = 'app.name'`)).rejects.toThrow(/check constraint/);

    // Reading: single, list, as admin and as staff; the secret is in none of it.
    const seen: unknown[] = [s1.body, s2.body, s3.body];
    for (const token of [tokens.root, tokens.staff]) {
      const list = await admin('GET', '/configurations?limit=100', token);
      expect(list.status).toBe(200);
      expect(list.body.total).toBe(7);
      expect(list.body.items.map((c: { key: string }) => c.key)).toEqual([
        'app.name', 'feature.new_ui', 'fees.rate', 'groups.max_members', 'payments.provider_api_key', 'payments.webhook_secret', 'ui.theme',
      ]);
      expect(list.body.items.find((c: { key: string }) => c.key === 'payments.provider_api_key')).toMatchObject({ value: null, valueSet: true, isSensitive: true });
      seen.push(list.body);
      for (const key of ['payments.provider_api_key', 'payments.webhook_secret']) {
        const one = await admin('GET', `/configurations/${key}`, token);
        expect(one.status).toBe(200);
        expect(one.body).toMatchObject({ key, value: null, valueSet: true, isSensitive: true });
        seen.push(one.body);
      }
    }
    const page = await admin('GET', '/configurations?limit=2&offset=4', tokens.root);
    expect(page.body).toMatchObject({ total: 7, limit: 2, offset: 4 });
    seen.push(page.body);
    const everything = JSON.stringify(seen);
    for (const s of [SECRET, SECRET2, '_SECRET', 'sk_live_']) expect(everything).not.toContain(s);
    // Not in any log line of the service or the gateway, nor in any event.
    for (const app of ['auth-service', 'api-gateway'] as const) {
      const log = fs.readFileSync(path.join(system.logDir, `${app}.log`), 'utf8');
      // auth logs each change (key, type, who), never its value.
      if (app === 'auth-service') expect(log).toMatch(/"msg":"configuration (created|updated)".*"key":"payments.provider_api_key"/);
      for (const s of [SECRET, SECRET2, BAD_SECRET]) expect(log).not.toContain(s);
    }
    const leaked = await query(authDb, 'SELECT count(*)::int AS n FROM outbox WHERE payload::text LIKE $1', [`%sk_live_${system.runId}%`]);
    expect(leaked[0].n).toBe(0);

    // Delete.
    expect((await admin('DELETE', '/configurations/groups.max_members', tokens.root)).status).toBe(204);
    const gone = await admin('GET', '/configurations/groups.max_members', tokens.root);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('CONFIGURATION_NOT_FOUND');
    expect((await admin('DELETE', '/configurations/groups.max_members', tokens.root)).status).toBe(404);
  });

  it('rotates the signing key: old tokens keep working everywhere, new ones carry the new kid', async () => {
    const oldToken = await login(u.bob);
    const oldKid = kidOf(oldToken);
    const works = (token: string, what: string) =>
      expectEventually(async () => {
        expect((await call(gw, 'GET', '/api/v1/users/me', { token })).status).toBe(200);
        expect((await call(gw, 'GET', '/api/v1/groups', { token })).status).toBe(200);
        // Straight to group-service too: it verifies from its own signing-key projection.
        expect((await call(`http://127.0.0.1:${system.ports['group-service']}`, 'GET', '/api/v1/groups', { token })).status).toBe(200);
      }, { timeoutMs: 60000, what });
    await works(oldToken, 'the old token before rotation');

    const rotated = await admin('POST', '/signing-keys/rotate', tokens.root);
    expect(rotated.status).toBe(201);
    // The next key is announced first (pending); it signs once every verifier has had time to learn it.
    expect(rotated.body).toMatchObject({ kid: expect.any(String), alg: 'ES256', status: 'pending', createdAt: expect.any(String), activatedAt: null });
    const newKid: string = rotated.body.kid;
    expect(newKid).not.toBe(oldKid);

    const jwks = await call(gw, 'GET', '/.well-known/jwks.json');
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    await expectEventually(async () => {
      expect(await query(authDb, 'SELECT kid, status FROM signing_keys WHERE kid = ANY($1) ORDER BY created_at', [[oldKid, newKid]])).toEqual([
        { kid: oldKid, status: 'retired' }, { kid: newKid, status: 'active' },
      ]);
    }, { timeoutMs: 30000, what: 'the announced key to sign' });

    // The old token, signed by the now retired key: still good at the gateway, auth and group-service.
    expect((await call(gw, 'GET', '/api/v1/users/me', { token: oldToken })).status).toBe(200);
    await works(oldToken, 'the old token after rotation');

    const newToken = await expectEventually(async () => {
      const t = await login(u.bob);
      expect(kidOf(t)).toBe(newKid);
      return t;
    }, { timeoutMs: 15000, what: 'every replica to sign with the new key' });
    // The gateway refetches the JWKS and group-service receives signing_key.published: a few seconds.
    await works(newToken, 'a token signed with the new key');
    // The old one still works after the new key has spread.
    await works(oldToken, 'the old token, at the end');

    const published = await query<{ key: string; status: string; actor: string | null }>(
      authDb,
      `SELECT key, payload->'data'->>'status' AS status, payload->'actor'->>'userId' AS actor FROM outbox WHERE type = 'signing_key.published' AND key = ANY($1) ORDER BY seq`,
      [[oldKid, newKid]],
    );
    // Announced by the admin's request; activated (and the old key retired) by auth itself once due.
    expect(published).toEqual(expect.arrayContaining([
      { key: newKid, status: 'pending', actor: u.root.id }, { key: oldKid, status: 'retired', actor: null }, { key: newKid, status: 'active', actor: null },
    ]));
    await expectEventually(async () => {
      const [row] = await query(system.databaseUrl('group'), 'SELECT status FROM signing_keys WHERE kid = $1', [oldKid]);
      expect(row?.status).toBe('retired');
    }, { timeoutMs: 30000, what: 'group-service to see the old key retired' });
  });
});
