import { Queues } from '@tally/contracts';
import { SmtpCatcher, TallySystem } from '@tally/testing';
import { call, createAdmin, expectProblem, signUpVerified, startSystem } from './support';

/**
 * Operations through the gateway: the queue dashboard an admin opens in a browser (a token traded
 * for a cookie, since a page load carries no bearer header), its refusals, the dead-letter API, and
 * the workers' queue metrics.
 */
describe('queue dashboard and dead letters through the gateway', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;
  let adminToken: string;
  let userToken: string;

  beforeAll(async () => {
    ({ system, smtp } = await startSystem());
    gw = system.gatewayUrl;
    const [adm, user] = await Promise.all([signUpVerified(system, smtp, 'qadm'), signUpVerified(system, smtp, 'quser')]);
    expect((await createAdmin(system, ['--email', adm.email])).code).toBe(0);
    const login = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: adm.username, password: adm.password } });
    adminToken = login.body.accessToken;
    userToken = user.token;
  });

  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
  });

  const session = (token: string) =>
    fetch(`${gw}/admin/queues/session`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, redirect: 'manual' });

  it('an admin opens the board in a browser with the cookie the session route sets', async () => {
    const res = await session(adminToken);
    expect(res.status).toBe(303);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toMatch(/^tally_queue_dashboard=/);

    const page = await fetch(`${gw}/admin/queues/`, { headers: { cookie, accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Tally queues</title>');
    // the service's policy replaces the gateway's default-src 'none', so the board's scripts load
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");

    const api = await fetch(`${gw}/admin/queues/api/queues`, { headers: { cookie } });
    expect(api.status).toBe(200);
    const names = ((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name);
    expect(names.sort()).toEqual(Object.values(Queues).sort());
  });

  it('anonymous and non-admins never get the board', async () => {
    const anon = await fetch(`${gw}/admin/queues/`, { headers: { accept: 'text/html' } });
    expect(anon.status).toBe(401);
    expect(await anon.text()).not.toContain('__UI_CONFIG__');
    expect((await fetch(`${gw}/admin/queues/api/queues`)).status).toBe(401);
    const user = await session(userToken);
    expect(user.status).toBe(403);
    expect(user.headers.get('set-cookie')).toBeNull();
    // writes are not public at the gateway (and the board is read-only behind it)
    expect((await fetch(`${gw}/admin/queues/api/queues/${Queues.emailDelivery}/retry/failed`, { method: 'PUT' })).status).toBe(401);
  });

  it('the dead-letter API is for admins', async () => {
    const list = await call(gw, 'GET', '/api/v1/notification-deliveries?status=failed', { token: adminToken });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ items: expect.any(Array), nextCursor: null });
    expectProblem(await call(gw, 'GET', '/api/v1/notification-deliveries', { token: userToken }), 403, 'ADMIN_REQUIRED');
    expectProblem(await call(gw, 'POST', '/api/v1/notification-deliveries/00000000-0000-4000-8000-00000000dead/replay', { token: adminToken }), 404, 'DELIVERY_NOT_FOUND');
  });

  it("each worker's /metrics reports its queues' job counts", async () => {
    const text = await (await fetch(`http://127.0.0.1:${system.ports['notification-worker']}/metrics`)).text();
    for (const queue of [Queues.emailDelivery, Queues.pushDelivery]) expect(text).toMatch(new RegExp(`queue_jobs\\{[^}]*queue="${queue}"[^}]*state="failed"[^}]*\\} \\d+`));
    expect(text).toContain('notification_delivery_latency_seconds');
  });
});
