import { SmtpCatcher, TallySystem, expectEventually } from '@tally/testing';
import { ApiResponse, call, newUser, query, startSystem, verificationToken } from './support';

const THRESHOLD = 5;
const BURST = 30;

/**
 * The lockout under concurrency and as an oracle (issue 7, defects 1, 3, 9 and 11), partly
 * directly at auth-service (the gateway's per-account limits would otherwise hide the race).
 * The lock lasts long enough (2 minutes) that no test here races its expiry.
 */
describe('lockout: atomic, per login, no oracle, sessions kept', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;
  let auth: string;

  beforeAll(async () => {
    ({ system, smtp } = await startSystem({
      'auth-service': { LOCKOUT_THRESHOLD: String(THRESHOLD), LOCKOUT_DURATION_SECONDS: '120' },
    }));
    gw = system.gatewayUrl;
    auth = `http://127.0.0.1:${system.ports['auth-service']}`;
  });

  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
  });

  const authDb = () => system.databaseUrl('auth');

  async function verifiedUser(tag: string) {
    const u = newUser(tag, system.runId);
    const reg = await call(gw, 'POST', '/api/v1/auth/register', { body: u });
    expect(reg.status).toBeLessThan(300);
    const token = verificationToken((await smtp.waitFor(u.email, 60000)).text);
    expect((await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token } })).status).toBe(200);
    const login = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: u.password } });
    expect(login.status).toBe(200);
    return { u, id: login.body.user.id as string, session: login.body };
  }

  const login = (base: string, loginName: string, password: string) => call(base, 'POST', '/api/v1/auth/login', { body: { login: loginName, password } });
  const statuses = (rs: ApiResponse[]) => rs.map((r) => r.status).sort();
  const count = (rs: ApiResponse[], status: number) => rs.filter((r) => r.status === status).length;

  async function lockedEvents(userId: string): Promise<number> {
    const [row] = await query(authDb(), `SELECT count(*)::int AS n FROM outbox WHERE type = 'user.locked' AND key = $1`, [userId]);
    return row.n;
  }

  it('spends exactly THRESHOLD password checks on a burst of concurrent wrong logins, and a right one after the lock does not log in', async () => {
    const { u, id } = await verifiedUser('burst');
    // All at once, straight at auth-service. The right password goes as soon as the first 423 says the budget is spent.
    let right: Promise<ApiResponse> | undefined;
    const wrong = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        login(auth, u.username, `wrong-password-${i}`).then((r) => {
          if (r.status === 423) right ??= login(auth, u.username, u.password);
          return r;
        }),
      ),
    );
    expect({ checked: count(wrong, 401), locked: count(wrong, 423), other: BURST - count(wrong, 401) - count(wrong, 423) })
      .toEqual({ checked: THRESHOLD, locked: BURST - THRESHOLD, other: 0 });
    expect(right).toBeDefined();
    const inBurst = await right!;
    expect(inBurst.status).toBe(423);
    expect(inBurst.body.code).toBe('ACCOUNT_LOCKED');

    // The lock holds after the burst too; the right password does not clear it.
    expect((await login(auth, u.username, u.password)).status).toBe(423);
    const [row] = await query(authDb(), `SELECT failed_login_attempts, account_locked_until > now() AS locked FROM users WHERE id = $1`, [id]);
    expect(row).toEqual({ failed_login_attempts: THRESHOLD, locked: true });
    // The lock and its event were written together: one user.locked, however many requests raced.
    expect(await lockedEvents(id)).toBe(1);
  });

  it('gives a login that matches no account the same answers under the same burst', async () => {
    const ghost = `ghost-burst-${system.runId}@example.com`;
    const rs = await Promise.all(Array.from({ length: BURST }, (_, i) => login(auth, ghost, `wrong-password-${i}`)));
    expect(statuses(rs)).toEqual([...Array(THRESHOLD).fill(401), ...Array(BURST - THRESHOLD).fill(423)]);
    const { u } = await verifiedUser('burstref');
    const known = await Promise.all(Array.from({ length: BURST }, (_, i) => login(auth, u.email, `wrong-password-${i}`)));
    expect(known.find((r) => r.status === 401)!.body).toEqual(rs.find((r) => r.status === 401)!.body);
    expect(known.find((r) => r.status === 423)!.body).toEqual(rs.find((r) => r.status === 423)!.body);
  });

  it('keeps the sessions of a locked account: its owner still refreshes', async () => {
    const { u, id, session } = await verifiedUser('victim');
    for (let i = 0; i < THRESHOLD; i++) expect((await login(gw, u.username, 'not-the-password')).status).toBe(401);
    expect((await login(gw, u.username, u.password)).status).toBe(423);
    const [row] = await query(authDb(), `SELECT account_locked_until > now() AS locked FROM users WHERE id = $1`, [id]);
    expect(row.locked).toBe(true);

    const refreshed = await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect((await call(gw, 'GET', '/api/v1/users/me', { token: refreshed.body.accessToken })).status).toBe(200);
    const again = await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: refreshed.body.refreshToken } });
    expect(again.status).toBe(200);
    const [tokens] = await query(authDb(), `SELECT count(*) FILTER (WHERE revoked_at IS NOT NULL)::int AS revoked FROM refresh_tokens WHERE user_id = $1`, [id]);
    expect(tokens.revoked).toBe(0);
  });

  it('does not tell which email belongs to a locked username (nor the reverse)', async () => {
    const { u: ann } = await verifiedUser('ann');
    const { u: bob } = await verifiedUser('bob');
    for (let i = 0; i < THRESHOLD; i++) expect((await login(gw, ann.username, 'not-the-password')).status).toBe(401);
    expect((await login(gw, ann.username, 'not-the-password')).status).toBe(423);

    // Her email, someone else's and nobody's: the same first answer to a wrong password.
    const hers = await login(gw, ann.email, 'not-the-password');
    const other = await login(gw, bob.email, 'not-the-password');
    const nobody = await login(gw, `nobody-${ann.email}`, 'not-the-password');
    expect([hers.status, other.status, nobody.status]).toEqual([401, 401, 401]);
    expect(hers.body).toEqual(nobody.body);
    expect(other.body).toEqual(nobody.body);
    // Nor does her email with her right password get past the account's lock (it answers like a wrong one).
    const right = await login(gw, ann.email, ann.password);
    expect(right.status).toBe(401);
    expect(right.body).toEqual(nobody.body);

    // The reverse: lock by email, then the username looks like any other login.
    const { u: cat } = await verifiedUser('cat');
    for (let i = 0; i < THRESHOLD; i++) expect((await login(gw, cat.email, 'not-the-password')).status).toBe(401);
    expect((await login(gw, cat.email, 'not-the-password')).status).toBe(423);
    const byName = await login(gw, cat.username, 'not-the-password');
    expect(byName.status).toBe(401);
    expect(byName.body).toEqual(nobody.body);
  });

  it('answers a registration with a taken email exactly like a new one, and mails the address owner', async () => {
    const u = newUser('reg', system.runId);
    const first = await call(gw, 'POST', '/api/v1/auth/register', { body: u });
    const again = await call(gw, 'POST', '/api/v1/auth/register', { body: { ...u, username: `${u.username}x`, email: u.email.toUpperCase(), password: `${u.password}-2` } });
    const fresh = await call(gw, 'POST', '/api/v1/auth/register', { body: newUser('regnew', system.runId) });
    expect([first.status, again.status, fresh.status]).toEqual([202, 202, 202]);
    expect(again.body).toEqual(first.body);
    expect(fresh.body).toEqual(first.body);
    const rows = await query(authDb(), `SELECT username FROM users WHERE lower(email) = $1`, [u.email]);
    expect(rows).toEqual([{ username: u.username }]);

    // The owner hears of it: the verification email, then one saying someone tried to sign up with the address.
    const told = await expectEventually(() => {
      const m = smtp.to(u.email).find((x) => /already/i.test(x.subject));
      if (!m) throw new Error(`no "already registered" mail yet; got ${smtp.to(u.email).map((x) => x.subject).join(', ')}`);
      return m;
    }, { timeoutMs: 60000 });
    expect(told.text).toContain(u.username);
    expect(told.text).toMatch(/reset/i);
    expect(told.text).not.toContain(`${u.password}-2`);

    // Usernames are public: a taken one is still a 409, whatever the email.
    const name = await call(gw, 'POST', '/api/v1/auth/register', { body: { ...newUser('regname', system.runId), username: u.username.toUpperCase() } });
    const both = await call(gw, 'POST', '/api/v1/auth/register', { body: { ...u } });
    expect([name.status, name.body.code]).toEqual([409, 'USERNAME_TAKEN']);
    expect(both.body).toEqual(name.body);
  });
});
