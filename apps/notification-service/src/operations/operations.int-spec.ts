/**
 * Dead letters and the queue dashboard over real HTTP, PostgreSQL and Redis: the operations module in
 * a Nest app built like notification-service's (token guard, validation, problem+json), with the
 * real DeliveryQueue and EmailQueue on a run-specific QUEUE_PREFIX, dead letters written by the real
 * stores the workers use, and access tokens signed by a key projected the way auth's are.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamicModule, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue, Worker } from 'bullmq';
import { Pool } from 'pg';
import pino from 'pino';
import { loadConfig } from '@tally/config';
import { Queues } from '@tally/contracts';
import { IdentityProjectionRepository, identityEntities, identitySources } from '@tally/identity';
import { inTransaction } from '@tally/persistence';
import { ServiceKitModule, ServiceRuntime, bootstrapHttpService } from '@tally/service-kit';
import { TestAccessTokens, createTestDatabase, dropTestDatabase, freePort, infraFromEnv } from '@tally/testing';
import { NotificationServiceConfig } from '../config/notification.config';
import { DELIVERY_QUEUE } from '../deliveries/delivery-scheduler';
import { DeliveryQueue } from '../deliveries/delivery-queue';
import { DeliveryStore } from '../deliveries/delivery-store';
import { DeliveryRepository } from '../delivery/delivery.repository';
import { EmailQueue } from '../delivery/email-queue';
import { entities } from '../entities';
import { migrations } from '../migrations';
import { EMAIL_QUEUE } from '../notifications/notification.handlers';
import { OperationsModule } from './operations.module';
import { DASHBOARD_COOKIE } from './queue-dashboard';

const infra = infraFromEnv();
const run = randomBytes(4).toString('hex');
const dbName = `it_notification_ops_${run}`;
const prefix = `it-ops-${run}`;
const tokens = new TestAccessTokens(`k-${run}`);
const logger = pino({ level: 'silent' });

let runtime: ServiceRuntime<NotificationServiceConfig>;
let app: NestFastifyApplication;
let pool: Pool;
let base: string;
let deliveryQueue: DeliveryQueue;
let emailQueue: EmailQueue;
const queues: Record<string, Queue> = {};

beforeAll(async () => {
  const databaseUrl = await createTestDatabase(infra.databaseUrl, dbName);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadConfig(NotificationServiceConfig, {
    NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '4',
    KAFKA_BROKERS: infra.kafkaBrokers, KAFKA_TOPIC_PREFIX: `it-ops-${run}.`, REDIS_URL: infra.redisUrl, QUEUE_PREFIX: prefix,
  });
  runtime = await ServiceRuntime.create({ name: 'notification-service', config, entities: [...entities, ...identityEntities], migrations, relay: false });
  const queueOpts = { redisUrl: infra.redisUrl, prefix, attempts: 3, backoffMs: 1000, timeoutMs: 3000, logger };
  deliveryQueue = new DeliveryQueue(queueOpts);
  emailQueue = new EmailQueue(queueOpts);

  @Module({})
  class OperationsApp {
    static forRoot(): DynamicModule {
      return {
        module: OperationsApp, global: true,
        imports: [ServiceKitModule.forRoot(runtime, identitySources(runtime.orm)), OperationsModule],
        providers: [{ provide: DELIVERY_QUEUE, useValue: deliveryQueue }, { provide: EMAIL_QUEUE, useValue: emailQueue }],
        exports: [DELIVERY_QUEUE, EMAIL_QUEUE],
      };
    }
  }
  app = await bootstrapHttpService(runtime, OperationsApp.forRoot(), { port, host: '127.0.0.1' });
  pool = new Pool({ connectionString: databaseUrl, max: 2 });
  await inTransaction(runtime.orm, (em) => new IdentityProjectionRepository({}).upsertSigningKey(em, tokens.announcement(), new Date().toISOString()));
  for (const name of [Queues.pushDelivery, Queues.emailDelivery]) queues[name] = new Queue(name, { connection: { url: infra.redisUrl }, prefix });
});

afterAll(async () => {
  await app?.close();
  for (const q of Object.values(queues)) await q.obliterate({ force: true }).catch(() => undefined).then(() => q.close());
  await deliveryQueue?.close();
  await emailQueue?.close();
  await runtime?.shutdown();
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

function token(userId: string, role: 'user' | 'admin'): string {
  return tokens.sign(userId, { role });
}

const adminId = randomUUID();
const admin = () => token(adminId, 'admin');
const someone = () => token(randomUUID(), 'user');

async function call(method: string, path: string, bearer: string | null) {
  const res = await fetch(`${base}${path}`, { method, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : null };
}

/** A notification with one planned delivery on `channel`, attempted `attempts` times and then dead-lettered by the store the workers use. */
async function deadLetteredDelivery(channel: 'push' | 'email', o: { attempts?: number; error?: string; recipient?: string } = {}) {
  const notificationId = randomUUID();
  const userId = randomUUID();
  const id = randomUUID();
  const device = randomUUID();
  await pool.query(`INSERT INTO notifications (id, user_id, notification_type, title, message, delivery_channels) VALUES ($1, $2, 'expense_added', 'Ann added Dinner', 'Ann added Dinner.', $3)`,
    [notificationId, userId, JSON.stringify(['in_app', channel])]);
  await pool.query(`INSERT INTO notification_deliveries (id, notification_id, user_id, channel, target, deliver_after, attempts) VALUES ($1, $2, $3, $4, $5, now() - interval '1 hour', $6)`,
    [id, notificationId, userId, channel, channel === 'push' ? device : '', o.attempts ?? 3]);
  const recorded = await new DeliveryStore(runtime.orm).deadLetter(id, {
    error: o.error ?? 'push service answered 503', attempts: o.attempts ?? 3, jobId: id, at: new Date(), ...(o.recipient ? { recipient: o.recipient } : {}),
  });
  expect(recorded).toBe(true);
  return { id, notificationId, userId, device };
}

/** A failed job under `jobId` on `queue`, the way BullMQ keeps one after its last attempt. */
async function failedJob(queue: string, jobId: string, name: string, data: object) {
  const worker = new Worker(queue, async () => { throw new Error('boom'); }, { connection: { url: infra.redisUrl }, prefix, autorun: false });
  const failed = new Promise<void>((resolve) => worker.on('failed', (job) => job?.id === jobId && resolve()));
  await queues[queue].add(name, data, { jobId, attempts: 1 });
  void worker.run();
  await failed;
  await worker.close();
  expect(await (await queues[queue].getJob(jobId))!.getState()).toBe('failed');
}

describe('GET /api/v1/notification-deliveries (dead letters)', () => {
  it('lists failed deliveries newest first with what an admin needs, masked', async () => {
    const older = await deadLetteredDelivery('email', { error: '550 5.1.1 <bob.smith@example.com>: mailbox unavailable', recipient: 'bob.smith@example.com' });
    const newer = await deadLetteredDelivery('push', { error: 'push service answered 503 for https://fcm.googleapis.com/fcm/send/abcDEF123secretpath456', recipient: 'https://fcm.googleapis.com (dev-1)' });
    const res = await call('GET', '/api/v1/notification-deliveries?limit=100', admin());
    expect(res.status).toBe(200);
    const ids = (res.body.items as { id: string }[]).map((d) => d.id);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
    const push = res.body.items.find((d: { id: string }) => d.id === newer.id);
    expect(push).toMatchObject({
      notificationId: newer.notificationId, notificationType: 'expense_added', userId: newer.userId, channel: 'push', status: 'failed',
      deviceId: newer.device, recipient: 'https://fcm.googleapis.com (dev-1)', attempts: 3,
      lastError: 'push service answered 503 for https://fcm.googleapis.com', deadLetter: { attempts: 3, queue: 'push-delivery', jobId: newer.id },
    });
    expect(new Date(push.deadLetter.at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const email = res.body.items.find((d: { id: string }) => d.id === older.id);
    expect(email).toMatchObject({ channel: 'email', deviceId: null, recipient: 'b***@example.com', lastError: '550 5.1.1 <b***@example.com>: mailbox unavailable' });
    expect(JSON.stringify(res.body)).not.toContain('bob.smith');
  });

  it('filters by channel and pages with a cursor', async () => {
    await deadLetteredDelivery('push');
    await deadLetteredDelivery('push');
    const first = await call('GET', '/api/v1/notification-deliveries?channel=push&limit=1', admin());
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await call('GET', `/api/v1/notification-deliveries?channel=push&limit=1&cursor=${first.body.nextCursor}`, admin());
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
    const emails = await call('GET', '/api/v1/notification-deliveries?channel=email&limit=100', admin());
    expect((emails.body.items as { channel: string }[]).every((d) => d.channel === 'email')).toBe(true);
  });

  it('is for admins only: a user gets 403 ADMIN_REQUIRED, no token 401, a bad filter 400', async () => {
    const user = await call('GET', '/api/v1/notification-deliveries', someone());
    expect(user.status).toBe(403);
    expect(user.type).toContain('application/problem+json');
    expect(user.body.code).toBe('ADMIN_REQUIRED');
    expect((await call('GET', '/api/v1/notification-deliveries', null)).status).toBe(401);
    expect((await call('GET', '/api/v1/notification-deliveries?status=lost', admin())).status).toBe(400);
    expect((await call('GET', '/api/v1/notification-deliveries?cursor=zzz', admin())).status).toBe(400);
  });

  it('GET /:id answers one, 404 for an unknown id, 400 for a non-UUID', async () => {
    const d = await deadLetteredDelivery('push');
    expect((await call('GET', `/api/v1/notification-deliveries/${d.id}`, admin())).body).toMatchObject({ id: d.id, status: 'failed' });
    const unknown = await call('GET', `/api/v1/notification-deliveries/${randomUUID()}`, admin());
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('DELIVERY_NOT_FOUND');
    expect((await call('GET', '/api/v1/notification-deliveries/nope', admin())).status).toBe(400);
    expect((await call('GET', `/api/v1/notification-deliveries/${d.id}`, someone())).status).toBe(403);
  });
});

describe('POST /api/v1/notification-deliveries/:id/replay', () => {
  it('puts a dead letter back to scheduled (attempts kept, who replayed it logged) and replaces its finished job', async () => {
    const d = await deadLetteredDelivery('push');
    await failedJob(Queues.pushDelivery, d.id, 'send-push', { deliveryId: d.id });
    const res = await call('POST', `/api/v1/notification-deliveries/${d.id}/replay`, admin());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: d.id, status: 'scheduled', attempts: 3, job: 'enqueued' });

    const row = (await pool.query(`SELECT status, attempts FROM notification_deliveries WHERE id = $1`, [d.id])).rows[0];
    expect(row).toEqual({ status: 'scheduled', attempts: 3 });
    expect((await pool.query(`SELECT delivery_status FROM notifications WHERE id = $1`, [d.notificationId])).rows[0].delivery_status).toBe('pending');
    const logs = (await pool.query(`SELECT status, metadata FROM notification_logs WHERE notification_id = $1 ORDER BY created_at`, [d.notificationId])).rows;
    expect(logs.map((l) => l.status)).toEqual(['dead_lettered', 'pending']);
    expect(logs[1].metadata).toMatchObject({ deliveryId: d.id, replayedBy: adminId, reason: 'replay' });

    const job = await queues[Queues.pushDelivery].getJob(d.id);
    expect(await job!.getState()).toBe('waiting');
    expect(job!.attemptsMade).toBe(0);
    expect(job!.data).toEqual({ deliveryId: d.id });
  });

  it('refuses a delivery that is not failed with 409 (a replayed one, a sent one)', async () => {
    const d = await deadLetteredDelivery('push');
    expect((await call('POST', `/api/v1/notification-deliveries/${d.id}/replay`, admin())).status).toBe(200);
    const again = await call('POST', `/api/v1/notification-deliveries/${d.id}/replay`, admin());
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'DELIVERY_NOT_REPLAYABLE', status: 409 });
    await pool.query(`UPDATE notification_deliveries SET status = 'sent', sent_at = now() WHERE id = $1`, [d.id]);
    expect((await call('POST', `/api/v1/notification-deliveries/${d.id}/replay`, admin())).status).toBe(409);
  });

  it('is 403 for a user (nothing changes) and 404 for an unknown id', async () => {
    const d = await deadLetteredDelivery('email');
    const res = await call('POST', `/api/v1/notification-deliveries/${d.id}/replay`, someone());
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('ADMIN_REQUIRED');
    expect((await pool.query(`SELECT status FROM notification_deliveries WHERE id = $1`, [d.id])).rows[0].status).toBe('failed');
    expect((await call('POST', `/api/v1/notification-deliveries/${randomUUID()}/replay`, admin())).status).toBe(404);
  });
});

describe('account emails: GET /account-emails and POST /account-emails/:id/replay', () => {
  async function deadAccountEmail(expiresAt: Date | null) {
    const id = randomUUID();
    await pool.query(`INSERT INTO notifications (id, user_id, notification_type, title, message, delivery_channels, recipient, expires_at, delivery_attempts)
      VALUES ($1, $2, 'password_reset', 'Reset your password', 'Reset it.', '["email"]', 'carol.jones@example.org', $3, 5)`, [id, randomUUID(), expiresAt]);
    expect(await new DeliveryRepository(runtime.orm).deadLetter(id, { error: 'SMTP timeout', attempts: 5, jobId: id, at: new Date() })).toBe(true);
    return id;
  }

  it('lists the failed ones masked, and a replay sends one again through its queue', async () => {
    const id = await deadAccountEmail(new Date(Date.now() + 3600_000));
    await failedJob(Queues.emailDelivery, id, 'send-email', { notificationId: id });
    const list = await call('GET', '/api/v1/notification-deliveries/account-emails?limit=100', admin());
    expect(list.status).toBe(200);
    expect(list.body.items.find((n: { id: string }) => n.id === id)).toMatchObject({
      notificationType: 'password_reset', channel: 'email', status: 'failed', recipient: 'c***@example.org', attempts: 5, lastError: 'SMTP timeout',
      deadLetter: { attempts: 5, queue: 'email-delivery', jobId: id },
    });
    expect(JSON.stringify(list.body)).not.toContain('carol.jones');

    const res = await call('POST', `/api/v1/notification-deliveries/account-emails/${id}/replay`, admin());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'pending', job: 'enqueued' });
    const job = await queues[Queues.emailDelivery].getJob(id);
    expect(await job!.getState()).toBe('waiting');
    expect(job!.data).toEqual({ notificationId: id });
    expect((await call('POST', `/api/v1/notification-deliveries/account-emails/${id}/replay`, admin())).status).toBe(409);
  });

  it('refuses an expired one (409 DELIVERY_EXPIRED), a user (403), an unknown or planned one (404)', async () => {
    const id = await deadAccountEmail(new Date(Date.now() - 1000));
    const res = await call('POST', `/api/v1/notification-deliveries/account-emails/${id}/replay`, admin());
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('DELIVERY_EXPIRED');
    expect((await pool.query(`SELECT delivery_status FROM notifications WHERE id = $1`, [id])).rows[0].delivery_status).toBe('failed');
    expect((await call('POST', `/api/v1/notification-deliveries/account-emails/${id}/replay`, someone())).status).toBe(403);
    expect((await call('GET', '/api/v1/notification-deliveries/account-emails', someone())).status).toBe(403);
    expect((await call('POST', `/api/v1/notification-deliveries/account-emails/${randomUUID()}/replay`, admin())).status).toBe(404);
    const planned = await deadLetteredDelivery('email');
    expect((await call('POST', `/api/v1/notification-deliveries/account-emails/${planned.notificationId}/replay`, admin())).status).toBe(404);
  });
});

describe('the queue dashboard at /admin/queues', () => {
  async function session(bearer: string | null, form?: string) {
    const headers: Record<string, string> = {};
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    return fetch(`${base}/admin/queues/session`, { method: 'POST', headers, body: form, redirect: 'manual' });
  }
  const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0];

  it('an admin trades a token for a cookie and gets the board, which lists every queue', async () => {
    const res = await session(admin());
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/queues/');
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^${DASHBOARD_COOKIE}=`));
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/admin\/queues/);
    const cookie = cookieOf(res);

    const page = await fetch(`${base}/admin/queues/`, { headers: { cookie, accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<title>Tally queues</title>');
    expect(html).toContain('<base href="/admin/queues/"');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");

    const api = await fetch(`${base}/admin/queues/api/queues`, { headers: { cookie } });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(Object.values(Queues).sort());
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);

    // its scripts come with the same cookie, and only with it
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(html)![1];
    const js = await fetch(`${base}/admin/queues/${script}`, { headers: { cookie } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${base}/admin/queues/${script}`)).status).toBe(401);

    // read-only: an admin cannot retry or clean jobs from the board (replays go through the API)
    const retry = await fetch(`${base}/admin/queues/api/queues/${Queues.pushDelivery}/retry/failed`, { method: 'PUT', headers: { cookie } });
    expect(retry.status).toBe(405);
    const clean = await fetch(`${base}/admin/queues/api/queues/${Queues.pushDelivery}/clean/failed`, { method: 'PUT', headers: { cookie } });
    expect(clean.status).toBe(405);
  });

  it('the sign-in form posts the token as a field', async () => {
    const res = await session(null, `token=${encodeURIComponent(admin())}`);
    expect(res.status).toBe(303);
    const api = await fetch(`${base}/admin/queues/api/queues`, { headers: { cookie: cookieOf(res) } });
    expect(api.status).toBe(200);
  });

  it('anonymous gets 401 (a browser the sign-in form, not the board); a user 403; a forged cookie 401', async () => {
    const anon = await fetch(`${base}/admin/queues/api/queues`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('content-type')).toContain('application/problem+json');
    const browser = await fetch(`${base}/admin/queues/`, { headers: { accept: 'text/html' } });
    expect(browser.status).toBe(401);
    const html = await browser.text();
    expect(html).toContain('name="token"');
    expect(html).not.toContain('__UI_CONFIG__');

    const user = await session(someone());
    expect(user.status).toBe(403);
    expect(user.headers.get('set-cookie')).toBeNull();
    expect(((await user.json()) as { code: string }).code).toBe('ADMIN_REQUIRED');
    const userCookie = await fetch(`${base}/admin/queues/api/queues`, { headers: { cookie: `${DASHBOARD_COOKIE}=${someone()}` } });
    expect(userCookie.status).toBe(403);
    const userPage = await fetch(`${base}/admin/queues/`, { headers: { cookie: `${DASHBOARD_COOKIE}=${someone()}`, accept: 'text/html' } });
    expect(userPage.status).toBe(403);
    expect(await userPage.text()).not.toContain('__UI_CONFIG__');
    const forged = await fetch(`${base}/admin/queues/api/queues`, { headers: { cookie: `${DASHBOARD_COOKIE}=${admin().slice(0, -4)}AAAA` } });
    expect(forged.status).toBe(401);
    expect((await session(null)).status).toBe(401);
  });
});
