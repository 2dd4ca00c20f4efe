/**
 * SMS end to end inside notification-worker: planned SMS deliveries (rows inserted with SQL, as the
 * planner writes them) go through a real BullMQ queue and worker to the `send-sms` job, which renders
 * the type's sms template and sends with the official `twilio` SDK to a local fake Twilio Messages
 * API (Basic auth and the form checked there), against real PostgreSQL and Redis: sent once, retried
 * with backoff, refused numbers failed without retry, exhausted attempts dead-lettered; the number
 * masked in the log. And the `user_phone_numbers` projection of auth's user.phone_changed, read by
 * the planner.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import pino from 'pino';
import { Job, Queue, Worker } from 'bullmq';
import { Registry } from 'prom-client';
import { MikroORM } from '@mikro-orm/postgresql';
import { EventOf, HandlerContext } from '@tally/messaging';
import { JobName, Queues } from '@tally/contracts';
import { inTransaction, initOrm, runMigrations } from '@tally/persistence';
import { JobDispatcher, ServiceRuntime } from '@tally/service-kit';
import { FAKE_SMS_MAGIC_NUMBERS, FakeSmsServer, createTestDatabase, dropTestDatabase, expectEventually, infraFromEnv } from '@tally/testing';
import { DeliveryPlanRepository } from '../deliveries/delivery-plan.repository';
import { DeliveryQueue } from '../deliveries/delivery-queue';
import { DeliveryScheduler } from '../deliveries/delivery-scheduler';
import { GroupSettingsRepository } from '../group-settings/group-settings';
import { NotificationRepository } from '../notifications/notification.repository';
import { NotificationService } from '../notifications/notification.service';
import { nextDigestAt, quietHoursEnd } from '../preferences/preference-schedule';
import { PreferenceRepository } from '../preferences/preference.repository';
import { DeliveryStore } from '../deliveries/delivery-store';
import { entities } from '../entities';
import { migrations } from '../migrations';
import { TemplateRepository } from '../templates/template.repository';
import { TemplateService } from '../templates/template.service';
import { PhoneNumberHandlers } from './phone-number.handlers';
import { PhoneNumberRepository } from './phone-number.repository';
import { SendSmsJobProcessor } from './send-sms.job';
import { OrmSmsContent } from './sms-content';
import { TwilioSmsSender } from './twilio.sms-sender';

const infra = infraFromEnv();
const dbName = `it_sms_${randomBytes(4).toString('hex')}`;
const prefix = `it-sms-${randomBytes(4).toString('hex')}`;
const ATTEMPTS = 3;
const APP = 'http://localhost:8080';

let orm: MikroORM;
let pool: Pool;
let twilio: FakeSmsServer;
let queue: Queue;
let worker: Worker;
let dispatcher: JobDispatcher;
const followUps: Promise<unknown>[] = [];

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 6 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 4 });
  twilio = await new FakeSmsServer().start();

  const job = new SendSmsJobProcessor({
    store: new DeliveryStore(orm),
    content: new OrmSmsContent(orm, new TemplateService(new TemplateRepository()), APP),
    sender: new TwilioSmsSender({ accountSid: twilio.accountSid, authToken: twilio.authToken, from: twilio.from, apiBase: twilio.baseUrl, timeoutMs: 3000 }),
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
  });
  dispatcher = new JobDispatcher([job]);
  worker = new Worker(Queues.smsDelivery, (j) => dispatcher.run(Queues.smsDelivery, j), { connection: { url: infra.redisUrl }, prefix, concurrency: 3 });
  worker.on('failed', (j, err) => void (j && followUps.push(dispatcher.failed(Queues.smsDelivery, j, err))));
  queue = new Queue(Queues.smsDelivery, { connection: { url: infra.redisUrl }, prefix });
});

afterAll(async () => {
  await worker?.close();
  await Promise.allSettled(followUps);
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await twilio?.stop();
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

/** The producer's options (DeliveryQueue): job id = delivery id, attempts with exponential backoff. */
function enqueue(deliveryId: string): Promise<Job> {
  return queue.add(JobName.SendSms, { deliveryId }, { jobId: deliveryId, attempts: ATTEMPTS, backoff: { type: 'exponential', delay: 100 } });
}

/** A fresh, valid-looking number per test (the fake keeps every message). */
const newNumber = () => `+1415${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

async function phone(userId: string, number: string | null, at = new Date().toISOString()): Promise<void> {
  const handlers = new PhoneNumberHandlers(new PhoneNumberRepository());
  const e = { id: randomUUID(), type: 'user.phone_changed', time: at, data: { userId, phoneNumber: number, at } } as unknown as EventOf<'user.phone_changed'>;
  await inTransaction(orm, (em) => handlers.onPhoneChanged(e, { em } as unknown as HandlerContext));
}

async function scenario(number: string | null = newNumber()) {
  const userId = randomUUID();
  await pool.query(`INSERT INTO users (id, username, email, email_verified, first_name, is_active, date_joined) VALUES ($1, $2, $3, TRUE, 'Ann', TRUE, now())`,
    [userId, `ann${userId.slice(0, 8)}`, `${userId}@example.com`]);
  if (number) await phone(userId, number);
  const notificationId = randomUUID();
  await pool.query(
    `INSERT INTO notifications (id, user_id, notification_type, title, message, action_url, delivery_channels, priority) VALUES ($1, $2, 'payment_failed', $3, $4, $5, '["in_app","sms"]', 'urgent')`,
    [notificationId, userId, 'Your payment failed', 'Your payment of 12.50 EUR to Bob failed.', '/settlements/42'],
  );
  const deliveryId = randomUUID();
  await pool.query(
    `INSERT INTO notification_deliveries (id, notification_id, user_id, channel, target, deliver_after) VALUES ($1, $2, $3, 'sms', '', now())`,
    [deliveryId, notificationId, userId],
  );
  return { userId, number, notificationId, deliveryId };
}

const deliveryRow = async (id: string) =>
  (await pool.query(`SELECT status, attempts, last_error, sent_at FROM notification_deliveries WHERE id = $1`, [id])).rows[0];
const notificationRow = async (id: string) =>
  (await pool.query(`SELECT is_sent, sent_at, delivery_status, delivery_attempts FROM notifications WHERE id = $1`, [id])).rows[0];
const logRows = async (notificationId: string) =>
  (await pool.query(
    `SELECT status, delivery_method, recipient, external_id, error_message, retry_count, metadata FROM notification_logs WHERE notification_id = $1 ORDER BY created_at, retry_count`,
    [notificationId],
  )).rows;

async function finished(job: Job): Promise<'completed' | 'failed'> {
  return expectEventually(async () => {
    const state = await queue.getJobState(job.id!);
    if (state !== 'completed' && state !== 'failed') throw new Error(`job is ${state}`);
    await Promise.allSettled(followUps);
    return state;
  }, { timeoutMs: 20_000, intervalMs: 100 });
}

describe('send-sms through BullMQ and the twilio SDK to a fake Twilio', () => {
  it('texts the rendered notification once and records it sent, the number masked in the log', async () => {
    const s = await scenario();
    expect(await finished(await enqueue(s.deliveryId))).toBe('completed');

    const [m] = twilio.to(s.number!);
    expect(m).toMatchObject({ from: twilio.from, status: 'queued' });
    expect(m.body).toBe(`Tally: Your payment of 12.50 EUR to Bob failed. ${APP}/settlements/42`);
    expect(await deliveryRow(s.deliveryId)).toMatchObject({ status: 'sent', attempts: 1, last_error: null, sent_at: expect.any(Date) });
    expect(await notificationRow(s.notificationId)).toMatchObject({ is_sent: true, delivery_status: 'sent', delivery_attempts: 1 });
    const logs = await logRows(s.notificationId);
    expect(logs).toEqual([expect.objectContaining({
      status: 'sent', delivery_method: 'sms', recipient: `+*******${s.number!.slice(-4)}`, external_id: m.sid, retry_count: 0,
      metadata: { deliveryId: s.deliveryId },
    })]);
    expect(JSON.stringify(logs)).not.toContain(s.number!.slice(0, -4));
  });

  it('sends nothing when the job runs again (enqueued twice, replayed after completion)', async () => {
    const s = await scenario();
    const [a] = await Promise.all([enqueue(s.deliveryId), enqueue(s.deliveryId)]);
    await finished(a);
    await queue.remove(s.deliveryId);
    expect(await finished(await enqueue(s.deliveryId))).toBe('completed');
    expect((await queue.getJob(s.deliveryId))!.returnvalue).toEqual({ outcome: 'skipped', reason: 'already_sent' });
    expect(twilio.to(s.number!)).toHaveLength(1);
    expect((await logRows(s.notificationId)).map((l) => l.status)).toEqual(['sent']);
  });

  it('retries a Twilio 500 with backoff and delivers once it recovers', async () => {
    const s = await scenario();
    twilio.failNext(1, { status: 500, code: 20500, message: 'Internal Server Error' });
    expect(await finished(await enqueue(s.deliveryId))).toBe('completed');

    expect(twilio.to(s.number!)).toHaveLength(1);
    expect(await deliveryRow(s.deliveryId)).toMatchObject({ status: 'sent', attempts: 2 });
    const logs = await logRows(s.notificationId);
    expect(logs.map((l) => [l.status, l.retry_count])).toEqual([['failed', 0], ['sent', 1]]);
    expect(logs[0].error_message).toContain('SmsRetryableError: SMS provider answered 500 (code 20500)');
  });

  it('fails a number Twilio says is invalid (21211) without retrying, the number masked in the log', async () => {
    const s = await scenario(FAKE_SMS_MAGIC_NUMBERS.invalid);
    const before = twilio.requests;
    expect(await finished(await enqueue(s.deliveryId))).toBe('failed');

    expect(twilio.requests - before).toBe(1);
    expect(twilio.to(s.number!)).toHaveLength(0);
    expect(await deliveryRow(s.deliveryId)).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('(code 21211)') });
    expect(await notificationRow(s.notificationId)).toMatchObject({ is_sent: false, delivery_status: 'failed' });
    const logs = await logRows(s.notificationId);
    expect(logs.map((l) => [l.status, l.metadata.reason])).toEqual([['failed', 'invalid_number']]);
    expect(JSON.stringify(logs)).not.toContain(s.number!);
  });

  it('dead-letters the delivery when every attempt failed, visibly and once', async () => {
    const s = await scenario();
    twilio.failNext(ATTEMPTS, { status: 503 });
    expect(await finished(await enqueue(s.deliveryId))).toBe('failed');

    const logs = await logRows(s.notificationId);
    expect(logs.map((l) => [l.status, l.retry_count])).toEqual([['failed', 0], ['failed', 1], ['failed', 2], ['dead_lettered', 2]]);
    expect(logs[3].metadata).toMatchObject({ attempts: ATTEMPTS, jobId: s.deliveryId, queue: Queues.smsDelivery, deliveryId: s.deliveryId });
    expect(await deliveryRow(s.deliveryId)).toMatchObject({ status: 'failed', attempts: ATTEMPTS });
    expect(await notificationRow(s.notificationId)).toMatchObject({ is_sent: false, delivery_status: 'failed' });
    expect(twilio.to(s.number!)).toHaveLength(0);
  });

  it('skips the delivery when the number was cleared after it was planned', async () => {
    const s = await scenario();
    await phone(s.userId, null, new Date(Date.now() + 1000).toISOString());
    expect(await finished(await enqueue(s.deliveryId))).toBe('completed');
    expect(await deliveryRow(s.deliveryId)).toMatchObject({ status: 'skipped', last_error: 'no_phone_number' });
    expect(twilio.to(s.number!)).toHaveLength(0);
  });

  it('refuses a request with the wrong credentials: dead-lettered at once, nothing sent', async () => {
    const s = await scenario();
    const wrong = new SendSmsJobProcessor({
      store: new DeliveryStore(orm),
      content: new OrmSmsContent(orm, new TemplateService(new TemplateRepository()), APP),
      sender: new TwilioSmsSender({ accountSid: twilio.accountSid, authToken: 'not-the-token-at-all', from: twilio.from, apiBase: twilio.baseUrl, timeoutMs: 3000 }),
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
    });
    const job = { id: s.deliveryId, name: JobName.SendSms, data: { deliveryId: s.deliveryId }, attemptsMade: 0 } as never;
    await expect(wrong.process(job)).rejects.toMatchObject({ name: 'UnrecoverableError' });
    expect(await wrong.onFailed(job, new Error('SmsPermanentError: SMS provider answered 401 (code 20003): Authenticate'))).toBe(true);
    expect(await deliveryRow(s.deliveryId)).toMatchObject({ status: 'failed' });
    expect((await logRows(s.notificationId)).map((l) => l.status)).toEqual(['failed', 'dead_lettered']);
    expect(twilio.to(s.number!)).toHaveLength(0);
  });
});

describe('user_phone_numbers projection of auth user.phone_changed', () => {
  const numberOf = async (userId: string) => (await pool.query(`SELECT phone_number FROM user_phone_numbers WHERE user_id = $1`, [userId])).rows[0]?.phone_number;

  it('sets, changes and clears the number, ignoring events older than the row', async () => {
    const userId = randomUUID();
    await phone(userId, '+4930123456', '2026-12-06T10:00:00.000Z');
    expect(await numberOf(userId)).toBe('+4930123456');
    await phone(userId, '+4930999999', '2026-12-06T11:00:00.000Z');
    await phone(userId, '+4930555555', '2026-12-06T10:30:00.000Z'); // late, older than the change
    expect(await numberOf(userId)).toBe('+4930999999');
    await phone(userId, null, '2026-12-06T12:00:00.000Z');
    expect(await numberOf(userId)).toBeNull();
  });

  it('gives the planner the recipient’s number, and none once cleared', async () => {
    const s = await scenario('+4930123456');
    const plan = new DeliveryPlanRepository();
    expect((await plan.recipients(orm.em.fork(), [s.userId])).get(s.userId)).toMatchObject({ phoneNumber: '+4930123456' });
    await phone(s.userId, null, new Date(Date.now() + 1000).toISOString());
    expect((await plan.recipients(orm.em.fork(), [s.userId])).get(s.userId)).toMatchObject({ phoneNumber: null });
  });
});

describe('a group invitation to a phone number alone', () => {
  it('is texted once with its link, without an account, through the delivery queue', async () => {
    const logger = pino({ level: 'silent' });
    const deliveryQueue = new DeliveryQueue({ redisUrl: infra.redisUrl, prefix, attempts: ATTEMPTS, backoffMs: 100, timeoutMs: 2000, logger });
    try {
      const scheduler = new DeliveryScheduler(
        new DeliveryPlanRepository(), new PreferenceRepository(), { quietHoursEnd, nextDigestAt }, deliveryQueue,
        { logger } as unknown as ServiceRuntime, new GroupSettingsRepository(),
      );
      const service = new NotificationService(orm, new NotificationRepository(), scheduler);
      const invitationId = randomUUID();
      const number = newNumber();
      const e = {
        id: randomUUID(), type: 'invitation.created', source: 'group-service', time: new Date().toISOString(), subject: invitationId, specversion: '1.0',
        data: {
          invitationId, groupId: randomUUID(), groupName: 'Lisbon trip', invitedById: randomUUID(), inviterName: 'Ann', email: null, phoneNumber: number,
          message: null, status: 'pending', expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), acceptedById: null, byUserId: null, at: new Date().toISOString(),
        },
      } as unknown as EventOf<'invitation.created'>;
      const hooks: (() => Promise<void>)[] = [];
      const n = await inTransaction(orm, (em) => service.recordPhoneInvitation({ em, afterCommit: (fn) => void hooks.push(fn) } as HandlerContext, e, undefined));
      expect(n).toMatchObject({ userId: null, recipient: number, deliveryChannels: ['sms'] });
      for (const hook of hooks) await hook();

      const [m] = await expectEventually(async () => {
        const got = twilio.to(number);
        if (!got.length) throw new Error('no SMS yet');
        return got;
      }, { timeoutMs: 20_000, intervalMs: 100 });
      expect(m.body).toMatch(/^Tally: Ann invited you to join "Lisbon trip" on Tally; the invitation is open until .+\. http:\/\/localhost:8080\/invitations\//);
      expect(m.body).toContain(invitationId);
      await expectEventually(async () => expect(await notificationRow(n!.id)).toMatchObject({ is_sent: true, delivery_status: 'sent' }), { timeoutMs: 10_000, intervalMs: 100 });
      const logs = await logRows(n!.id);
      expect(logs.map((l) => [l.status, l.delivery_method, l.recipient])).toEqual([['sent', 'sms', `+*******${number.slice(-4)}`]]);
      expect(twilio.to(number)).toHaveLength(1);
    } finally {
      await deliveryQueue.close();
    }
  });
});
