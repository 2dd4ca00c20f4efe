import fs from 'node:fs';
import path from 'node:path';
import { SmtpCatcher, TallySystem, expectEventually } from '@tally/testing';
import { call, newUser, startSystem, verificationToken, query } from './support';

/** Every service's one authenticated route, through the gateway. */
const SERVICE_ROUTES = [
  { service: 'group', path: '/api/v1/groups' },
  { service: 'expense', path: '/api/v1/accounts' },
  { service: 'payment', path: '/api/v1/payment-methods' },
  { service: 'analytics', path: '/api/v1/activity' },
  { service: 'notification', path: '/api/v1/notifications' },
];

describe('one flow through every service, all real', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;

  beforeAll(async () => {
    ({ system, smtp } = await startSystem());
    gw = system.gatewayUrl;
  });

  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
  });

  it('registers, mails a token, verifies, logs in, and every service knows the user and verifies the token', async () => {
    const u = newUser('ann', system.runId);
    const reg = await call(gw, 'POST', '/api/v1/auth/register', { body: u });
    // The same answer whether or not the email already had an account (README, security), so no id in it.
    expect(reg.status).toBe(202);
    expect(reg.body).toEqual({ status: 'accepted', detail: expect.any(String) });
    expect(reg.headers.get('x-request-id')).toBeTruthy();
    const [{ id: userId }] = await query(system.databaseUrl('auth'), 'SELECT id FROM users WHERE username = $1 AND NOT is_verified', [u.username]);

    // Before verification the account cannot log in.
    const early = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.email, password: u.password } });
    expect(early.status).toBe(403);
    expect(early.headers.get('content-type')).toContain('application/problem+json');
    expect(early.body.code).toBe('EMAIL_NOT_VERIFIED');

    const mail = await smtp.waitFor(u.email, 60000);
    expect(mail.subject).toMatch(/verify/i);
    const token = verificationToken(mail.text);

    const verified = await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token } });
    expect(verified.status).toBe(200);
    expect(verified.body.isVerified).toBe(true);
    // Single use.
    const again = await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token } });
    expect(again.status).toBe(400);

    const wrong = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: 'not-the-password' } });
    expect(wrong.status).toBe(401);

    const login = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: u.password } });
    expect(login.status).toBe(200);
    expect(login.body.tokenType).toBe('Bearer');
    const accessToken: string = login.body.accessToken;
    const header = JSON.parse(Buffer.from(accessToken.split('.')[0], 'base64url').toString());
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const jwks = await call(gw, 'GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
    expect(JSON.stringify(jwks.body)).not.toMatch(/"d":/); // never the private part

    const me = await call(gw, 'GET', '/api/v1/users/me', { token: accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: userId, email: u.email, isVerified: true });

    // Fan-out: every other service consumed user.registered into its own users projection.
    for (const db of ['group', 'expense', 'payment', 'analytics', 'notification']) {
      await expectEventually(async () => {
        const rows = await query(system.databaseUrl(db), 'SELECT id, username FROM users WHERE id = $1', [userId]);
        expect(rows).toEqual([{ id: userId, username: u.username }]);
      }, { timeoutMs: 30000, what: `${db} users projection` });
    }
    // Only notification (to mail) and group (to match an invitation to the invitee's verified address, ADR 8) keep addresses.
    for (const db of ['expense', 'payment', 'analytics']) {
      const [row] = await query(system.databaseUrl(db), 'SELECT email FROM users WHERE id = $1', [userId]);
      expect({ db, email: row.email }).toEqual({ db, email: null });
    }
    const [groupUser] = await query(system.databaseUrl('group'), 'SELECT email FROM users WHERE id = $1', [userId]);
    expect(groupUser.email).toBe(u.email);

    // Token verification in each service (from its own signing-key projection), through the gateway.
    for (const r of SERVICE_ROUTES) {
      const res = await expectEventually(async () => {
        const x = await call(gw, 'GET', r.path, { token: accessToken });
        expect(x.status).toBe(200);
        return x;
      }, { timeoutMs: 30000, what: r.path });
      // a page: by cursor (groups, payment methods, notifications) or by offset (the older lists)
      expect(res.body).toMatchObject({ limit: 20 });
      expect('nextCursor' in res.body || res.body.offset === 0).toBe(true);
      expect(Array.isArray(res.body.items)).toBe(true);
      const anonymous = await call(gw, 'GET', r.path);
      expect(anonymous.status).toBe(401);
    }

    // The audit trail has the registration; the notification list has the mail, without its token.
    const activity = await expectEventually(async () => {
      const a = await call(gw, 'GET', '/api/v1/activity', { token: accessToken });
      expect(JSON.stringify(a.body)).toContain('user.registered');
      return a;
    }, { timeoutMs: 30000, what: 'activity log' });
    expect(JSON.stringify(activity.body)).not.toContain(token);
    const notifications = await call(gw, 'GET', '/api/v1/notifications', { token: accessToken });
    expect(notifications.body.items.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(notifications.body)).not.toContain(token);
  });

  it('refuses bad input with problem+json and changes nothing', async () => {
    const u = newUser('bad', system.runId);
    const cases = [
      { body: { ...u, email: 'not-an-email' }, field: 'email' },
      { body: { ...u, password: 'short' }, field: 'password' },
      { body: { ...u, admin: true }, field: 'admin' },
      { body: { ...u, username: 42 }, field: 'username' },
    ];
    for (const c of cases) {
      const res = await call(gw, 'POST', '/api/v1/auth/register', { body: c.body });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(c.field);
    }
    const malformed = await call(gw, 'POST', '/api/v1/auth/register', { raw: '{"username": ' });
    expect(malformed.status).toBe(400);
    const huge = await call(gw, 'POST', '/api/v1/auth/register', { raw: JSON.stringify({ ...u, bio: 'x'.repeat(300 * 1024) }) });
    expect(huge.status).toBe(413);
    const rows = await query(system.databaseUrl('auth'), 'SELECT count(*)::int AS n FROM users WHERE username = $1', [u.username]);
    expect(rows[0].n).toBe(0);

    // A duplicate email (case-insensitive) gets the answer of a new account (its owner is mailed); a duplicate username 409. One account.
    const first = await call(gw, 'POST', '/api/v1/auth/register', { body: u });
    expect(first.status).toBe(202);
    const dupEmail = await call(gw, 'POST', '/api/v1/auth/register', { body: { ...u, username: u.username + 'x', email: u.email.toUpperCase() } });
    expect(dupEmail.status).toBe(202);
    expect(dupEmail.body).toEqual(first.body);
    expect(await query(system.databaseUrl('auth'), 'SELECT username FROM users WHERE lower(email) = lower($1)', [u.email])).toEqual([{ username: u.username }]);
    const dupName = await call(gw, 'POST', '/api/v1/auth/register', { body: { ...u, email: 'other-' + u.email, username: u.username.toUpperCase() } });
    expect(dupName.status).toBe(409);
    expect(dupName.body.code).toBe('USERNAME_TAKEN');
  });

  it('rejects forged tokens at the gateway and at the services themselves', async () => {
    const u = newUser('eve', system.runId);
    await call(gw, 'POST', '/api/v1/auth/register', { body: u });
    const token = verificationToken((await smtp.waitFor(u.email, 60000)).text);
    await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token } });
    const login = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.email, password: u.password } });
    const [h, p, s] = (login.body.accessToken as string).split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: '00000000-0000-4000-8000-000000000000' })).toString('base64url')}.${s}`;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${p}.`;
    for (const bad of [tampered, none]) {
      expect((await call(gw, 'GET', '/api/v1/users/me', { token: bad })).status).toBe(401);
      // Straight to a service, bypassing the gateway: it verifies too.
      const direct = await call(`http://127.0.0.1:${system.ports['group-service']}`, 'GET', '/api/v1/groups', { token: bad });
      expect(direct.status).toBe(401);
    }
  });

  it('answers 503 problem+json when a service behind the gateway is down', async () => {
    const u = newUser('down', system.runId);
    await call(gw, 'POST', '/api/v1/auth/register', { body: u });
    const token = verificationToken((await smtp.waitFor(u.email, 60000)).text);
    await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token } });
    const login = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.email, password: u.password } });
    // SIGTERM: a graceful stop exits 0.
    expect(await system.stopApp('payment-service')).toBe(0);
    try {
      const started = Date.now();
      const res = await call(gw, 'GET', '/api/v1/payment-methods', { token: login.body.accessToken });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await system.startApp('payment-service');
    }
  });

  describe('the links in the emails open pages that work, without script, and keep the token private', () => {
    /** A form post as a browser sends it: application/x-www-form-urlencoded, no script. */
    const post = (path: string, fields: Record<string, string>) =>
      fetch(gw + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(), redirect: 'manual' });
    const linkIn = (text: string, path: string) => {
      const m = new RegExp(`https?://[^\\s]+${path}\\?token=[A-Za-z0-9_-]+`).exec(text);
      if (!m) throw new Error(`no ${path} link in mail:\n${text}`);
      return new URL(m[0]);
    };
    const expectSafePage = (res: Response) => {
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).not.toMatch(/script-src/);
    };

    it('verifies an email: opening the link changes nothing, the button verifies once, then the link says it is used', async () => {
      const u = newUser('link', system.runId);
      expect((await call(gw, 'POST', '/api/v1/auth/register', { body: u })).status).toBe(202);
      const link = linkIn((await smtp.waitFor(u.email, 60000)).text, '/verify-email');
      const token = link.searchParams.get('token')!;

      const opened = await fetch(gw + link.pathname + link.search);
      expect(opened.status).toBe(200);
      expectSafePage(opened);
      const html = await opened.text();
      expect(html).toContain('<form method="post" action="/verify-email">');
      expect(html).not.toContain('<script');
      // a mail scanner opening the link verifies nothing
      expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: u.password } })).body.code).toBe('EMAIL_NOT_VERIFIED');

      const done = await post('/verify-email', { token });
      expect(done.status).toBe(200);
      expectSafePage(done);
      expect(await done.text()).toContain('Your email is verified');
      expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: u.password } })).status).toBe(200);

      const reused = await post('/verify-email', { token });
      expect(reused.status).toBe(400);
      expect(await reused.text()).toContain('This link no longer works');
      const mangled = await fetch(`${gw}/verify-email?token=%3Cscript%3E`);
      expect(mangled.status).toBe(400);
      expect(await mangled.text()).not.toContain('<script>');
    });

    it('resets a password: mismatched or refused passwords keep the form, a good one works once, and no log holds the token', async () => {
      const u = newUser('linkreset', system.runId);
      expect((await call(gw, 'POST', '/api/v1/auth/register', { body: u })).status).toBe(202);
      const vtoken = linkIn((await smtp.waitFor(u.email, 60000)).text, '/verify-email').searchParams.get('token')!;
      expect((await post('/verify-email', { token: vtoken })).status).toBe(200);
      expect((await call(gw, 'POST', '/api/v1/auth/password/forgot', { body: { email: u.email } })).status).toBe(202);
      const mail = await expectEventually(() => {
        const m = smtp.to(u.email).find((x) => /reset/i.test(x.subject));
        if (!m) throw new Error('no reset mail yet');
        return m;
      }, { timeoutMs: 60000 });
      const link = linkIn(mail.text, '/reset-password');
      const token = link.searchParams.get('token')!;

      const form = await fetch(gw + link.pathname + link.search);
      expect(form.status).toBe(200);
      expectSafePage(form);
      expect(await form.text()).toContain('name="password" type="password" autocomplete="new-password"');

      const mismatch = await post('/reset-password', { token, password: 'a brand new passphrase', confirm: 'another passphrase' });
      expect(mismatch.status).toBe(400);
      expect(await mismatch.text()).toContain('The two passwords are not the same');
      const short = await post('/reset-password', { token, password: 'short', confirm: 'short' });
      expect(short.status).toBe(400);
      expect(await short.text()).toContain('8 to 128 characters');

      const changed = await post('/reset-password', { token, password: 'a brand new passphrase', confirm: 'a brand new passphrase' });
      expect(changed.status).toBe(200);
      expect(await changed.text()).toContain('Your password is changed');
      expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: 'a brand new passphrase' } })).status).toBe(200);
      const again = await post('/reset-password', { token, password: 'yet another passphrase', confirm: 'yet another passphrase' });
      expect(again.status).toBe(400);
      expect(await again.text()).toContain('This link no longer works');

      // Neither token appears in any process's log, though both travelled through the gateway.
      for (const file of fs.readdirSync(system.logDir)) {
        const log = fs.readFileSync(path.join(system.logDir, file), 'utf8');
        expect([file, log.includes(token) || log.includes(vtoken)]).toEqual([file, false]);
      }
    });
  });
});
