/**
 * Web push end to end inside notification-worker: planned push deliveries (rows inserted with SQL,
 * as the planner writes them) go through a real BullMQ queue and worker to the `send-push` job,
 * which encrypts and signs for a real local Web Push endpoint (VAPID verified, aes128gcm decrypted
 * there), against real PostgreSQL and Redis: sent once, retried with backoff, gone devices
 * deactivated, exhausted attempts dead-lettered; and the `push_devices` projection of auth's events.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import pino from 'pino';
import { Job, Queue, Worker } from 'bullmq';
import { Registry } from 'prom-client';
import * as webpush from 'web-push';
import { MikroORM } from '@mikro-orm/postgresql';
import { JobName, Queues } from '@tally/contracts';
import { inTransaction, initOrm, runMigrations } from '@tally/persistence';
import { parsePushEndpointHosts } from '@tally/security';
import { JobDispatcher } from '@tally/service-kit';
import { PushEndpoint, createTestDatabase, dropTestDatabase, expectEventually, infraFromEnv } from '@tally/testing';
import { DeliveryStore } from '../deliveries/delivery-store';
import { entities } from '../entities';
import { migrations } from '../migrations';
import { OrmPushDevices, PushDeviceRepository } from './push-device.repository';
import { SendPushJobProcessor } from './send-push.job';
import { WebPushSender } from './web-push.sender';

const infra = infraFromEnv();
const dbName = `it_push_${randomBytes(4).toString('hex')}`;
const prefix = `it-push-${randomBytes(4).toString('hex')}`;
const vapid = { ...webpush.generateVAPIDKeys(), subject: 'mailto:ops@tally.local' };
const ATTEMPTS = 3;

let orm: MikroORM;
let pool: Pool;
let endpoint: PushEndpoint;
let queue: Queue;
let worker: Worker;
let dispatcher: JobDispatcher;
const followUps: Promise<unknown>[] = [];

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 6 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 4 });
  endpoint = new PushEndpoint();
  endpoint.expectedPublicKey = vapid.publicKey;
  await endpoint.start();

  const job = new SendPushJobProcessor({
    store: new DeliveryStore(orm),
    devices: new OrmPushDevices(orm),
    sender: new WebPushSender({ vapid, ttlSeconds: 600, timeoutMs: 3000, allowHttpEndpoints: true, endpoints: parsePushEndpointHosts('default,http://127.0.0.1') }),
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
  });
  dispatcher = new JobDispatcher([job]);
  // What runWorker does for each queue of the worker: dispatch by job name, failure handler on `failed`.
  worker = new Worker(Queues.pushDelivery, (j) => dispatcher.run(Queues.pushDelivery, j), { connection: { url: infra.redisUrl }, prefix, concurrency: 3 });
  worker.on('failed', (j, err) => void (j && followUps.push(dispatcher.failed(Queues.pushDelivery, j, err))));
  queue = new Queue(Queues.pushDelivery, { connection: { url: infra.redisUrl }, prefix });
});

afterAll(async () => {
  await worker?.close();
  await Promise.allSettled(followUps);
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await endpoint?.stop();
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

/** The producer's options (DeliveryQueue): job id = delivery id, attempts with exponential backoff. */
function enqueue(deliveryId: string): Promise<Job> {
  return queue.add(JobName.SendPush, { deliveryId }, { jobId: deliveryId, attempts: ATTEMPTS, backoff: { type: 'exponential', delay: 100 } });
}

async function notification(userId: string, over: { title?: string; message?: string; actionUrl?: string } = {}): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `INSERT INTO notifications (id, user_id, notification_type, title, message, action_url, delivery_channels) VALUES ($1, $2, 'friend_request', $3, $4, $5, '["in_app","push"]')`,
    [id, userId, over.title ?? 'Bob sent you a friend request', over.message ?? 'Bob wants to be your friend on Tally.', over.actionUrl ?? '/friends'],
  );
  return id;
}

async function webDevice(userId: string): Promise<{ deviceId: string; subscriptionId: string }> {
  const { id, ...sub } = endpoint.subscribe();
  const deviceId = randomUUID();
  await pool.query(
    `INSERT INTO push_devices (device_id, user_id, device_type, device_name, token, is_active, last_event_at) VALUES ($1, $2, 'web', 'Firefox', $3, TRUE, now())`,
    [deviceId, userId, JSON.stringify(sub)],
  );
  return { deviceId, subscriptionId: id };
}

async function delivery(notificationId: string, userId: string, deviceId: string): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `INSERT INTO notification_deliveries (id, notification_id, user_id, channel, target, deliver_after) VALUES ($1, $2, $3, 'push', $4, now())`,
    [id, notificationId, userId, deviceId],
  );
  return id;
}

async function scenario() {
  const userId = randomUUID();
  const notificationId = await notification(userId);
  const { deviceId, subscriptionId } = await webDevice(userId);
  const deliveryId = await delivery(notificationId, userId, deviceId);
  return { userId, notificationId, deviceId, subscriptionId, deliveryId };
}

const deliveryRow = async (id: string) =>
  (await pool.query(`SELECT status, attempts, last_error, sent_at FROM notification_deliveries WHERE id = $1`, [id])).rows[0];
const notificationRow = async (id: string) =>
  (await pool.query(`SELECT is_sent, sent_at, delivery_status, delivery_attempts FROM notifications WHERE id = $1`, [id])).rows[0];
const logRows = async (notificationId: string) =>
  (await pool.query(
    `SELECT status, delivery_method, recipient, error_message, retry_count, metadata FROM notification_logs WHERE notification_id = $1 ORDER BY created_at, retry_count`,
    [notificationId],
  )).rows;
const deviceRow = async (id: string) => (await pool.query(`SELECT is_active, deactivated_reason FROM push_devices WHERE device_id = $1`, [id])).rows[0];

async function finished(job: Job): Promise<'completed' | 'failed'> {
  return expectEventually(async () => {
    const state = await queue.getJobState(job.id!);
    if (state !== 'completed' && state !== 'failed') throw new Error(`job is ${state}`);
    await Promise.allSettled(followUps);
    return state;
  }, { timeoutMs: 20_000, intervalMs: 100 });
}

describe('send-push through BullMQ to a Web Push endpoint', () => {
  it('delivers the notification encrypted and signed, and records it as sent', async () => {
    const s = await scenario();
    expect(await finished(await enqueue(s.deliveryId))).toBe('completed');

    const [m] = await endpoint.waitFor(s.subscriptionId, 1);
    expect(m.payload).toEqual({ title: 'Bob sent you a friend request', body: 'Bob wants to be your friend on Tally.', url: '/friends', notificationId: s.notificationId });
    expect(m.vapid).toMatchObject({ aud: endpoint.origin, sub: 'mailto:ops@tally.local', publicKey: vapid.publicKey });
    expect(endpoint.rejected.filter((r) => r.subscriptionId === s.subscriptionId)).toEqual([]);

    expect(await deliveryRow(s.deliveryId)).toMatchObject({ status: 'sent', attempts: 1, last_error: null, sent_at: expect.any(Date) });
    const n = await notificationRow(s.notificationId);
    expect(n).toMatchObject({ is_sent: true, delivery_status: 'sent', delivery_attempts: 1 });
    expect(n.sent_at).toBeInstanceOf(Date);
    const logs = await logRows(s.notificationId);
    expect(logs).toEqual([expect.objectContaining({
      status: 'sent', delivery_method: 'push', recipient: `${endpoint.origin} (${s.deviceId})`, retry_count: 0,
      metadata: { deliveryId: s.deliveryId, target: s.deviceId },
    })]);
    // Nothing of the subscription's keys or capability path is stored in the log.
    expect(JSON.stringify(logs)).not.toContain(`/push/${s.subscriptionId}`);
  });

  it('sends once when the job runs again (enqueued twice, replayed after completion)', async () => {
    const s = await scenario();
    const [a] = await Promise.all([enqueue(s.deliveryId), enqueue(s.deliveryId)]);
    await finished(a);
    await queue.remove(s.deliveryId);
    const again = await enqueue(s.deliveryId);
    expect(await finished(again)).toBe('completed');
    expect((await queue.getJob(s.deliveryId))!.returnvalue).toEqual({ outcome: 'skipped', reason: 'already_sent' });
    expect(endpoint.for(s.subscriptionId)).toHaveLength(1);
    expect((await logRows(s.notificationId)).map((l) => l.status)).toEqual(['sent']);
  });

  it('deactivates a device whose subscription is gone (410) and fails the delivery without retrying', async () => {
    const s = await scenario();
    endpoint.expire(s.subscriptionId);
    expect(await finished(await enqueue(s.deliveryId))).toBe('failed');

    expect(endpoint.requests.filter((r) => r.subscriptionId === s.subscriptionId)).toEqual([{ subscriptionId: s.subscriptionId, status: 410 }]);
    expect(await deviceRow(s.deviceId)).toEqual({ is_active: false, deactivated_reason: 'gone' });
    expect(await deliveryRow(s.deliveryId)).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('PushGoneError (410)') });
    // Its only delivery failed: the notification says so, and that it was not sent.
    expect(await notificationRow(s.notificationId)).toMatchObject({ is_sent: false, sent_at: null, delivery_status: 'failed' });
    expect((await logRows(s.notificationId)).map((l) => [l.status, l.metadata.reason])).toEqual([['failed', 'gone']]);

    // The next notification to that device is skipped, not sent.
    const next = await notification(s.userId);
    const nextDelivery = await delivery(next, s.userId, s.deviceId);
    expect(await finished(await enqueue(nextDelivery))).toBe('completed');
    expect(await deliveryRow(nextDelivery)).toMatchObject({ status: 'skipped', last_error: 'device_gone' });
    expect(endpoint.requests.filter((r) => r.subscriptionId === s.subscriptionId)).toHaveLength(1);
  });

  it('sends nothing to an endpoint that is not an allowed push service: the device is deactivated and the delivery fails, logged with why', async () => {
    const s = await scenario();
    // The same local push endpoint under a name PUSH_ENDPOINT_HOSTS does not list (as a device registered before the list, or a changed list).
    const { rows: [{ token }] } = await pool.query(`SELECT token FROM push_devices WHERE device_id = $1`, [s.deviceId]);
    const sub = JSON.parse(token);
    await pool.query(`UPDATE push_devices SET token = $2 WHERE device_id = $1`, [s.deviceId, JSON.stringify({ ...sub, endpoint: sub.endpoint.replace('127.0.0.1', 'localhost') })]);
    expect(await finished(await enqueue(s.deliveryId))).toBe('failed');

    expect(endpoint.requests.filter((r) => r.subscriptionId === s.subscriptionId)).toEqual([]);
    expect(await deviceRow(s.deviceId)).toEqual({ is_active: false, deactivated_reason: 'endpoint_not_allowed' });
    expect(await deliveryRow(s.deliveryId)).toMatchObject({ status: 'failed', attempts: 1 });
    const logs = await logRows(s.notificationId);
    expect(logs.map((l) => [l.status, l.metadata.reason])).toEqual([['failed', 'endpoint_not_allowed']]);
    expect(logs[0].error_message).toBe('PushEndpointNotAllowedError: push subscription endpoint host localhost is not a push service this deployment allows (PUSH_ENDPOINT_HOSTS)');
    expect(await notificationRow(s.notificationId)).toMatchObject({ is_sent: false, delivery_status: 'failed' });

    const next = await notification(s.userId);
    const nextDelivery = await delivery(next, s.userId, s.deviceId);
    expect(await finished(await enqueue(nextDelivery))).toBe('completed');
    expect(await deliveryRow(nextDelivery)).toMatchObject({ status: 'skipped', last_error: 'endpoint_not_allowed' });
  });

  it('retries a push service error with backoff and delivers once it recovers', async () => {
    const s = await scenario();
    endpoint.failNextRequests(2, 500);
    expect(await finished(await enqueue(s.deliveryId))).toBe('completed');

    expect(endpoint.requests.filter((r) => r.subscriptionId === s.subscriptionId).map((r) => r.status)).toEqual([500, 500, 201]);
    expect(endpoint.for(s.subscriptionId)).toHaveLength(1);
    expect(await deliveryRow(s.deliveryId)).toMatchObject({ status: 'sent', attempts: 3 });
    expect(await notificationRow(s.notificationId)).toMatchObject({ is_sent: true, delivery_status: 'sent', delivery_attempts: 3 });
    const logs = await logRows(s.notificationId);
    expect(logs.map((l) => [l.status, l.retry_count])).toEqual([['failed', 0], ['failed', 1], ['sent', 2]]);
    expect(logs[0].error_message).toContain('PushRetryableError (500)');
  });

  it('dead-letters the delivery when every attempt failed, visibly and once', async () => {
    const s = await scenario();
    endpoint.failNextRequests(ATTEMPTS, 503);
    expect(await finished(await enqueue(s.deliveryId))).toBe('failed');

    const logs = await logRows(s.notificationId);
    expect(logs.map((l) => [l.status, l.retry_count])).toEqual([['failed', 0], ['failed', 1], ['failed', 2], ['dead_lettered', 2]]);
    expect(logs[3].metadata).toMatchObject({ attempts: ATTEMPTS, jobId: s.deliveryId, queue: Queues.pushDelivery, deliveryId: s.deliveryId });
    expect(logs[3].error_message).toContain('PushRetryableError (503)');
    expect(await deliveryRow(s.deliveryId)).toMatchObject({ status: 'failed', attempts: ATTEMPTS });
    expect(await notificationRow(s.notificationId)).toMatchObject({ is_sent: false, delivery_status: 'failed', delivery_attempts: ATTEMPTS });
    expect(await deviceRow(s.deviceId)).toEqual({ is_active: true, deactivated_reason: null });

    // Replayed by an operator (back to scheduled, a new job): it goes out, and the notification tells the truth.
    await pool.query(`UPDATE notification_deliveries SET status = 'scheduled' WHERE id = $1`, [s.deliveryId]);
    await queue.remove(s.deliveryId);
    expect(await finished(await enqueue(s.deliveryId))).toBe('completed');
    expect(endpoint.for(s.subscriptionId)).toHaveLength(1);
    expect(await notificationRow(s.notificationId)).toMatchObject({ is_sent: true, delivery_status: 'sent' });
  });

  it('marks the notification sent when one of its devices got it, whatever happened on the other', async () => {
    const userId = randomUUID();
    const notificationId = await notification(userId);
    const phone = await webDevice(userId);
    const laptop = await webDevice(userId);
    endpoint.expire(laptop.subscriptionId);
    const [d1, d2] = [await delivery(notificationId, userId, phone.deviceId), await delivery(notificationId, userId, laptop.deviceId)];
    const jobs = await Promise.all([enqueue(d1), enqueue(d2)]);
    await Promise.all(jobs.map(finished));
    expect(endpoint.for(phone.subscriptionId)).toHaveLength(1);
    expect((await deliveryRow(d2)).status).toBe('failed');
    expect(await notificationRow(notificationId)).toMatchObject({ is_sent: true, delivery_status: 'sent' });
  });
});

describe('push_devices projection of auth device events', () => {
  const repo = new PushDeviceRepository();
  const apply = (type: 'device.registered' | 'device.removed', d: { deviceId: string; userId: string; token: string; isActive: boolean }, at: string) =>
    inTransaction(orm, (em) => repo.apply(em, { ...d, deviceType: 'web', deviceName: 'Firefox', deviceToken: d.token, at }, type, at));

  it('adds, removes and re-registers devices, ignoring events older than the row', async () => {
    const d = { deviceId: randomUUID(), userId: randomUUID(), token: JSON.stringify(endpoint.subscribe()), isActive: true };
    await apply('device.registered', d, '2026-12-06T10:00:00.000Z');
    expect(await deviceRow(d.deviceId)).toEqual({ is_active: true, deactivated_reason: null });
    await apply('device.removed', { ...d, isActive: false }, '2026-12-06T11:00:00.000Z');
    expect(await deviceRow(d.deviceId)).toEqual({ is_active: false, deactivated_reason: 'removed' });
    await apply('device.registered', d, '2026-12-06T10:30:00.000Z'); // late, older than the removal
    expect(await deviceRow(d.deviceId)).toEqual({ is_active: false, deactivated_reason: 'removed' });
    await apply('device.registered', d, '2026-12-06T12:00:00.000Z');
    expect(await deviceRow(d.deviceId)).toEqual({ is_active: true, deactivated_reason: null });
  });

  it('reactivates a device the push service reported gone once auth registers it again', async () => {
    const s = await scenario();
    endpoint.expire(s.subscriptionId);
    await finished(await enqueue(s.deliveryId));
    expect(await deviceRow(s.deviceId)).toEqual({ is_active: false, deactivated_reason: 'gone' });

    const fresh = endpoint.subscribe();
    const { id: _id, ...token } = fresh;
    await apply('device.registered', { deviceId: s.deviceId, userId: s.userId, token: JSON.stringify(token), isActive: true }, new Date(Date.now() + 1000).toISOString());
    expect(await deviceRow(s.deviceId)).toEqual({ is_active: true, deactivated_reason: null });
    const next = await notification(s.userId, { title: 'Back again' });
    expect(await finished(await enqueue(await delivery(next, s.userId, s.deviceId)))).toBe('completed');
    expect((await endpoint.waitFor(fresh.id, 1))[0].payload).toMatchObject({ title: 'Back again' });
  });
});
