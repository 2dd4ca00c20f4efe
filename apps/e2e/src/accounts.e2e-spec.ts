import { SmtpCatcher, TallySystem, expectEventually, sleep } from '@tally/testing';
import { call, newUser, startSystem, verificationToken, query } from './support';

function resetToken(text: string): string {
  const m = /reset-password\?token=([A-Za-z0-9_-]{20,})/.exec(text);
  if (!m) throw new Error(`no reset token in mail:\n${text}`);
  return m[1];
}

/** Accounts: registration details, verification resend, lockout, refresh rotation, logout, passwords. */
describe('accounts through the gateway', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;
  const LOCK_SECONDS = 4;
  const GRACE_SECONDS = 3;

  beforeAll(async () => {
    ({ system, smtp } = await startSystem({
      'auth-service': {
        LOCKOUT_THRESHOLD: '5', LOCKOUT_DURATION_SECONDS: String(LOCK_SECONDS),
        REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS), LOGIN_THROTTLE_PRUNE_INTERVAL_SECONDS: '1',
      },
    }));
    gw = system.gatewayUrl;
  });

  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
  });

  /** Registers and verifies; returns the user and a first session. */
  async function verifiedUser(tag: string) {
    const u = newUser(tag, system.runId);
    expect((await call(gw, 'POST', '/api/v1/auth/register', { body: u })).status).toBe(202);
    const token = verificationToken((await smtp.waitFor(u.email, 60000)).text);
    expect((await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token } })).status).toBe(200);
    const login = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.email, password: u.password } });
    expect(login.status).toBe(200);
    return { u, session: login.body };
  }

  it('registers with the optional details and refuses weak or malformed ones', async () => {
    const u = { ...newUser('full', system.runId), phoneNumber: '+14155550123', timezone: 'Europe/Paris', preferredCurrency: 'eur' };
    const res = await call(gw, 'POST', '/api/v1/auth/register', { body: u });
    expect(res.status).toBe(202);
    const [stored] = await query(system.databaseUrl('auth'), `SELECT phone_number, timezone, preferred_currency FROM users WHERE username = $1`, [u.username]);
    expect(stored).toEqual({ phone_number: '+14155550123', timezone: 'Europe/Paris', preferred_currency: 'EUR' });

    const bad = [
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ preferredCurrency: 'EURO' }, 'preferredCurrency'],
      [{ phoneNumber: '555-1234' }, 'phoneNumber'],
      [{ password: 'x'.repeat(129) }, 'password'],
    ] as const;
    for (const [patch, field] of bad) {
      const r = await call(gw, 'POST', '/api/v1/auth/register', { body: { ...newUser('bad', system.runId), ...patch } });
      expect(r.status).toBe(400);
      expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const common = await call(gw, 'POST', '/api/v1/auth/register', { body: { ...newUser('common', system.runId), password: 'password123' } });
    expect(common.status).toBe(400);
    expect(common.body.code).toBe('PASSWORD_TOO_COMMON');
    const same = newUser('samepw', system.runId);
    const likeName = await call(gw, 'POST', '/api/v1/auth/register', { body: { ...same, password: same.username } });
    expect(likeName.status).toBe(400);
    expect(likeName.body.code).toBe('PASSWORD_LIKE_ACCOUNT');
    const n = await query(system.databaseUrl('auth'), `SELECT count(*)::int AS n FROM users WHERE username LIKE $1`, [`%common_${system.runId}%`]);
    expect(n[0].n).toBe(0);
  });

  it('resends verification: a new token works, the old one no longer does, unknown emails get the same answer', async () => {
    const u = newUser('resend', system.runId);
    await call(gw, 'POST', '/api/v1/auth/register', { body: u });
    const first = verificationToken((await smtp.waitFor(u.email, 60000)).text);
    const resend = await call(gw, 'POST', '/api/v1/auth/verify-email/resend', { body: { email: u.email.toUpperCase() } });
    expect(resend.status).toBe(202);
    const unknown = await call(gw, 'POST', '/api/v1/auth/verify-email/resend', { body: { email: `nobody-${u.email}` } });
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(resend.body);
    await expectEventually(() => expect(smtp.to(u.email)).toHaveLength(2), { timeoutMs: 60000 });
    const second = verificationToken(smtp.to(u.email)[1].text);
    expect(second).not.toBe(first);
    expect((await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token: first } })).status).toBe(400);
    expect((await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token: second } })).status).toBe(200);
  });

  it('locks after repeated failures, with the same answer for unknown accounts, and unlocks after the lock time', async () => {
    const { u } = await verifiedUser('lock');
    const unknown = `ghost-${u.email}`;
    for (let i = 0; i < 5; i++) {
      const a = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: 'wrong-password-x' } });
      const b = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: unknown, password: 'wrong-password-x' } });
      expect([a.status, b.status]).toEqual([401, 401]);
      expect(a.body).toEqual(b.body);
    }
    // Now even the right password is refused, and an unknown login looks exactly the same.
    const locked = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: u.password } });
    const ghost = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: unknown, password: u.password } });
    expect(locked.status).toBe(423);
    expect(locked.body.code).toBe('ACCOUNT_LOCKED');
    expect(ghost.status).toBe(locked.status);
    expect(ghost.body).toEqual(locked.body);
    // Her email is not locked as such (that would tell it is hers), but the account is: no password check, the answer of a wrong one.
    const byEmail = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.email, password: u.password } });
    expect(byEmail.status).toBe(401);
    expect(byEmail.body.code).toBe('INVALID_CREDENTIALS');
    const [row] = await query(system.databaseUrl('auth'), `SELECT failed_login_attempts, account_locked_until > now() AS locked FROM users WHERE email = $1`, [u.email]);
    expect(row).toEqual({ failed_login_attempts: 5, locked: true });
    await expectEventually(async () => {
      const [e] = await query(system.databaseUrl('auth'), `SELECT count(*)::int AS n FROM outbox WHERE type = 'user.locked' AND payload->'data'->>'userId' = (SELECT id::text FROM users WHERE email = $1)`, [u.email]);
      expect(e.n).toBe(1);
    });

    await sleep(LOCK_SECONDS * 1000 + 500);
    const after = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.email, password: u.password } });
    expect(after.status).toBe(200);
    const [ok] = await query(system.databaseUrl('auth'), `SELECT failed_login_attempts, account_locked_until, last_login IS NOT NULL AS logged, host(last_login_ip) AS ip FROM users WHERE email = $1`, [u.email]);
    expect(ok).toMatchObject({ failed_login_attempts: 0, account_locked_until: null, logged: true });
    expect(ok.ip).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
  });

  it('rotates refresh tokens and revokes the whole family when a rotated one is replayed', async () => {
    const { session } = await verifiedUser('refresh');
    const r1 = await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(session.refreshToken);
    expect((await call(gw, 'GET', '/api/v1/users/me', { token: r1.body.accessToken })).status).toBe(200);
    const r2 = await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: r1.body.refreshToken } });
    expect(r2.status).toBe(200);
    // The first token again, two rotations back (not the immediately previous one): a replay, even
    // within the grace window. The whole family dies, including the token just issued.
    const replay = await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('REFRESH_TOKEN_REUSED');
    const child = await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: r2.body.refreshToken } });
    expect(child.status).toBe(401);
    // Garbage and unknown tokens.
    expect((await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: 'x'.repeat(43) } })).status).toBe(401);
    expect((await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: 'bad token!' } })).status).toBe(400);
  });

  it('answers a refresh retried within the grace window with a fresh pair of the same family; after the window it is a replay', async () => {
    const { session } = await verifiedUser('grace');
    const lost = await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(lost.status).toBe(200);
    // The client never saw `lost` and retries with the same token: a valid pair, not a revocation.
    const retry = await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(retry.status).toBe(200);
    expect(retry.body.refreshToken).not.toBe(lost.body.refreshToken);
    expect((await call(gw, 'GET', '/api/v1/users/me', { token: retry.body.accessToken })).status).toBe(200);
    const next = await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: retry.body.refreshToken } });
    expect(next.status).toBe(200);
    const families = await query(system.databaseUrl('auth'), `SELECT count(DISTINCT family_id)::int AS n, count(*) FILTER (WHERE revoked_at IS NOT NULL)::int AS revoked FROM refresh_tokens WHERE user_id = $1`, [session.user.id]);
    expect(families).toEqual([{ n: 1, revoked: 0 }]);
    // The family went on from the retry: the pair whose answer was lost is spent, and showing it is a replay.
    const stale = await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: lost.body.refreshToken } });
    expect(stale.body.code).toBe('REFRESH_TOKEN_REUSED');
    expect((await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: next.body.refreshToken } })).status).toBe(401);

    // After the window the same retry revokes the family.
    const { session: s2 } = await verifiedUser('grace2');
    const first = await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: s2.refreshToken } });
    expect(first.status).toBe(200);
    await sleep(GRACE_SECONDS * 1000 + 1000);
    const late = await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: s2.refreshToken } });
    expect(late.status).toBe(401);
    expect(late.body.code).toBe('REFRESH_TOKEN_REUSED');
    expect((await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: first.body.refreshToken } })).status).toBe(401);
  });

  it('prunes login throttles once they no longer count, and keeps a lock while it lasts', async () => {
    const authDb = system.databaseUrl('auth');
    const once = `prune-once-${system.runId}@example.com`;
    const locked = `prune-locked-${system.runId}@example.com`;
    expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: once, password: 'wrong-password-x' } })).status).toBe(401);
    for (let i = 0; i < 5; i++) await call(gw, 'POST', '/api/v1/auth/login', { body: { login: locked, password: 'wrong-password-x' } });
    expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: locked, password: 'wrong-password-x' } })).status).toBe(423);
    const rows = () => query(authDb, `SELECT count(*)::int AS n FROM login_throttles`).then((r) => r[0].n as number);
    const before = await rows();
    expect(before).toBeGreaterThanOrEqual(2);
    // Pruning runs every second; a row that still counts stays.
    await sleep(1500);
    expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: locked, password: 'wrong-password-x' } })).status).toBe(423);
    // Once the lock and the counting window are over, every row goes (nothing else is failing logins meanwhile).
    await expectEventually(async () => expect(await rows()).toBe(0), { timeoutMs: (LOCK_SECONDS + 10) * 1000 });
  });

  it('logs out: the refresh token stops working, other sessions keep theirs', async () => {
    const { u, session } = await verifiedUser('logout');
    const other = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: u.password } });
    expect((await call(gw, 'POST', '/api/v1/auth/logout', { body: { refreshToken: session.refreshToken } })).status).toBe(204);
    expect((await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })).status).toBe(401);
    expect((await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: other.body.refreshToken } })).status).toBe(200);
  });

  it('resets a forgotten password by email: single use, every session ended, unknown emails look the same', async () => {
    const { u, session } = await verifiedUser('forgot');
    const res = await call(gw, 'POST', '/api/v1/auth/password/forgot', { body: { email: u.email } });
    expect(res.status).toBe(202);
    const nobody = await call(gw, 'POST', '/api/v1/auth/password/forgot', { body: { email: `nobody-${u.email}` } });
    expect(nobody.status).toBe(202);
    expect(nobody.body).toEqual(res.body);
    const mail = await expectEventually(() => {
      const m = smtp.to(u.email).find((x) => /reset/i.test(x.subject));
      if (!m) throw new Error('no reset mail yet');
      return m;
    }, { timeoutMs: 60000 });
    const token = resetToken(mail.text);

    expect((await call(gw, 'POST', '/api/v1/auth/password/reset', { body: { token, newPassword: 'password123' } })).body.code).toBe('PASSWORD_TOO_COMMON');
    const newPassword = `New-${system.runId}-passphrase`;
    expect((await call(gw, 'POST', '/api/v1/auth/password/reset', { body: { token, newPassword } })).status).toBe(204);
    expect((await call(gw, 'POST', '/api/v1/auth/password/reset', { body: { token, newPassword: newPassword + 'x' } })).status).toBe(400);
    expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.email, password: u.password } })).status).toBe(401);
    expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.email, password: newPassword } })).status).toBe(200);
    expect((await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })).status).toBe(401);
    // The notification list never shows the token.
    const login = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.email, password: newPassword } });
    const list = await call(gw, 'GET', '/api/v1/notifications', { token: login.body.accessToken });
    expect(JSON.stringify(list.body)).toContain('password_reset');
    expect(JSON.stringify(list.body)).not.toContain(token);
  });

  it('changes a password with the current one and ends the other sessions', async () => {
    const { u, session } = await verifiedUser('change');
    const wrong = await call(gw, 'POST', '/api/v1/auth/password/change', { token: session.accessToken, body: { currentPassword: 'nope-nope-nope', newPassword: 'Another-long-passphrase' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('CURRENT_PASSWORD_WRONG');
    const anonymous = await call(gw, 'POST', '/api/v1/auth/password/change', { body: { currentPassword: u.password, newPassword: 'Another-long-passphrase' } });
    expect(anonymous.status).toBe(401);
    const ok = await call(gw, 'POST', '/api/v1/auth/password/change', { token: session.accessToken, body: { currentPassword: u.password, newPassword: 'Another-long-passphrase' } });
    expect(ok.status).toBe(204);
    expect((await call(gw, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })).status).toBe(401);
    expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.email, password: 'Another-long-passphrase' } })).status).toBe(200);
    const events = await query(system.databaseUrl('auth'), `SELECT type FROM outbox WHERE key = (SELECT id::text FROM users WHERE email = $1) ORDER BY seq`, [u.email]);
    expect(events.map((e) => e.type)).toEqual(['user.registered', 'email_verification.requested', 'user.email_verified', 'user.password_changed']);
  });
});
