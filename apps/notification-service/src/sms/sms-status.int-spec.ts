/**
 * Twilio's status callbacks end to end inside notification-service: the `send-sms` job sends through
 * the official `twilio` SDK to the local fake Twilio with a StatusCallback URL; the fake posts
 * `sent` then the message's end to our real HTTP route (`POST /callbacks/sms/twilio`), form-encoded
 * and signed with the auth token as Twilio signs them; the route checks the signature with the SDK and
 * moves the log row in real PostgreSQL. Forged, late, repeated and unknown callbacks change nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DynamicModule, Module } from '@nestjs/common';
import { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '@tally/config';
import { JobName } from '@tally/contracts';
import { identityEntities, identitySources } from '@tally/identity';
import { ServiceKitModule, ServiceRuntime, bootstrapHttpService } from '@tally/service-kit';
import { FakeSmsServer, createTestDatabase, dropTestDatabase, expectEventually, freePort, infraFromEnv, twilioSignature } from '@tally/testing';
import { NotificationServiceConfig } from '../config/notification.config';
import { DeliveryStore } from '../deliveries/delivery-store';
import { entities } from '../entities';
import { migrations } from '../migrations';
import { TemplateRepository } from '../templates/template.repository';
import { TemplateService } from '../templates/template.service';
import { SendSmsJobProcessor } from './send-sms.job';
import { OrmSmsContent } from './sms-content';
import { SmsStatusModule } from './sms-status.controller';
import { TwilioSmsSender } from './twilio.sms-sender';

const infra = infraFromEnv();
const run = randomBytes(4).toString('hex');
const dbName = `it_sms_status_${run}`;

let runtime: ServiceRuntime<NotificationServiceConfig>;
let app: NestFastifyApplication;
let pool: Pool;
let twilio: FakeSmsServer;
let job: SendSmsJobProcessor;
let callbackUrl: string;

beforeAll(async () => {
  twilio = await new FakeSmsServer().start();
  const databaseUrl = await createTestDatabase(infra.databaseUrl, dbName);
  const port = await freePort();
  callbackUrl = `http://127.0.0.1:${port}/callbacks/sms/twilio`;
  const config = loadConfig(NotificationServiceConfig, {
    NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '4',
    KAFKA_BROKERS: infra.kafkaBrokers, KAFKA_TOPIC_PREFIX: `it-sms-status-${run}.`, REDIS_URL: infra.redisUrl, QUEUE_PREFIX: `it-sms-status-${run}`,
    TWILIO_AUTH_TOKEN: twilio.authToken, TWILIO_STATUS_CALLBACK_URL: callbackUrl,
  });
  runtime = await ServiceRuntime.create({ name: 'notification-service', config, entities: [...entities, ...identityEntities], migrations, relay: false });

  @Module({})
  class SmsStatusApp {
    static forRoot(): DynamicModule {
      return { module: SmsStatusApp, global: true, imports: [ServiceKitModule.forRoot(runtime, identitySources(runtime.orm)), SmsStatusModule] };
    }
  }
  app = await bootstrapHttpService(runtime, SmsStatusApp.forRoot(), { port, host: '127.0.0.1' });
  pool = new Pool({ connectionString: databaseUrl, max: 3 });
  job = new SendSmsJobProcessor({
    store: new DeliveryStore(runtime.orm),
    content: new OrmSmsContent(runtime.orm, new TemplateService(new TemplateRepository()), 'http://localhost:8080'),
    sender: new TwilioSmsSender({
      accountSid: twilio.accountSid, authToken: twilio.authToken, from: twilio.from, apiBase: twilio.baseUrl, statusCallback: callbackUrl, timeoutMs: 3000,
    }),
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
  });
});

afterAll(async () => {
  await twilio?.stop();
  await app?.close();
  await runtime?.shutdown();
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

beforeEach(() => {
  twilio.autoCallbacks = true;
});

const newNumber = () => `+1415${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

/** A user with a number, a payment_failed notification and its planned SMS delivery (as the planner writes them). */
async function scenario(number = newNumber()) {
  const userId = randomUUID();
  await pool.query(`INSERT INTO users (id, username, email, email_verified, first_name, is_active, date_joined) VALUES ($1, $2, $3, TRUE, 'Ann', TRUE, now())`,
    [userId, `ann${userId.slice(0, 8)}`, `${userId}@example.com`]);
  await pool.query(`INSERT INTO user_phone_numbers (user_id, phone_number, last_event_at) VALUES ($1, $2, now())`, [userId, number]);
  const notificationId = randomUUID();
  await pool.query(
    `INSERT INTO notifications (id, user_id, notification_type, title, message, action_url, delivery_channels, priority) VALUES ($1, $2, 'payment_failed', $3, $4, $5, '["in_app","sms"]', 'urgent')`,
    [notificationId, userId, 'Your payment failed', 'Your payment of 12.50 EUR to Bob failed.', '/settlements/42'],
  );
  const deliveryId = randomUUID();
  await pool.query(`INSERT INTO notification_deliveries (id, notification_id, user_id, channel, target, deliver_after) VALUES ($1, $2, $3, 'sms', '', now())`,
    [deliveryId, notificationId, userId]);
  return { userId, number, notificationId, deliveryId };
}

/** Runs the send-sms job once (as the worker would) and returns the message the fake Twilio accepted. */
async function send(s: { number: string; deliveryId: string }) {
  const result = await job.process({ id: s.deliveryId, name: JobName.SendSms, data: { deliveryId: s.deliveryId }, attemptsMade: 0 } as never);
  expect(result).toMatchObject({ outcome: 'sent' });
  const [m] = twilio.to(s.number);
  return m;
}

const smsLog = async (notificationId: string) =>
  (await pool.query(`SELECT status, external_id, sent_at, delivered_at, error_message, metadata, updated_at FROM notification_logs WHERE notification_id = $1 AND delivery_method = 'sms'`,
    [notificationId])).rows;
const deliveryStatus = async (id: string) => (await pool.query(`SELECT status FROM notification_deliveries WHERE id = $1`, [id])).rows[0].status;

/** A callback posted by hand (form-encoded, the given signature or none). */
async function postRaw(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

describe('Twilio status callbacks', () => {
  it('asks Twilio for callbacks with the delivery as reference, and a delivered callback makes the log row delivered', async () => {
    const s = await scenario();
    const m = await send(s);
    expect(m.statusCallback).toBe(`${callbackUrl}?deliveryId=${s.deliveryId}`);

    await expectEventually(async () => expect((await smsLog(s.notificationId))[0]).toMatchObject({ status: 'delivered' }), { timeoutMs: 10_000, intervalMs: 50 });
    const [log] = await smsLog(s.notificationId);
    expect(log).toMatchObject({ external_id: m.sid, delivered_at: expect.any(Date), error_message: null, metadata: expect.objectContaining({ deliveryId: s.deliveryId, providerStatus: 'delivered' }) });
    expect(log.delivered_at.getTime()).toBeGreaterThanOrEqual(log.sent_at.getTime());
    await expectEventually(async () => expect(twilio.callbacksOf(m.sid).map((c) => [c.status, c.answer])).toEqual([['sent', 204], ['delivered', 204]]), { timeoutMs: 5000 });
    expect(await deliveryStatus(s.deliveryId)).toBe('sent');
  });

  it('an undelivered message makes the log row failed with Twilio\'s error code; the number never appears', async () => {
    const s = await scenario();
    twilio.outcomeFor(s.number, { status: 'undelivered', errorCode: 30003 });
    const m = await send(s);
    await expectEventually(async () => expect((await smsLog(s.notificationId))[0]).toMatchObject({ status: 'failed' }), { timeoutMs: 10_000, intervalMs: 50 });
    const [log] = await smsLog(s.notificationId);
    expect(log.error_message).toBe('Twilio reported the message undelivered (error 30003: unreachable destination handset)');
    expect(log.metadata).toMatchObject({ providerStatus: 'undelivered', errorCode: 30003 });
    expect(log.delivered_at).toBeNull();
    expect(JSON.stringify(log)).not.toContain(s.number.slice(1, -4));
    expect(twilio.callbacksOf(m.sid).map((c) => c.answer)).toEqual([204, 204]);
  });

  it('refuses a forged callback with 403 problem+json and changes nothing', async () => {
    twilio.autoCallbacks = false;
    const s = await scenario();
    const m = await send(s);
    const before = (await smsLog(s.notificationId))[0];

    expect(await twilio.postStatus(m.sid, 'delivered', { authToken: 'not-the-auth-token-of-this-account' })).toBe(403);
    expect(await twilio.postStatus(m.sid, 'delivered', { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' })).toBe(403);
    // signed for another URL (another delivery's reference): the signature covers the exact URL
    const params = { MessageSid: m.sid, MessageStatus: 'delivered', AccountSid: twilio.accountSid };
    const signedElsewhere = twilioSignature(twilio.authToken, `${callbackUrl}?deliveryId=${randomUUID()}`, params);
    const res = await postRaw(m.statusCallback!, new URLSearchParams(params).toString(), { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signedElsewhere });
    expect(res).toMatchObject({ status: 403, type: expect.stringContaining('application/problem+json') });
    expect(JSON.parse(res.body)).toMatchObject({ status: 403, code: 'SMS_CALLBACK_SIGNATURE_INVALID' });
    // no signature at all
    expect((await postRaw(m.statusCallback!, new URLSearchParams(params).toString(), { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(403);

    expect((await smsLog(s.notificationId))[0]).toEqual(before);
  });

  it('only moves forward: a late sent, a repeated delivered and a failed after delivered change nothing', async () => {
    twilio.autoCallbacks = false;
    const s = await scenario();
    const m = await send(s);
    expect(await twilio.postStatus(m.sid, 'delivered')).toBe(204);
    const delivered = (await smsLog(s.notificationId))[0];
    expect(delivered).toMatchObject({ status: 'delivered', delivered_at: expect.any(Date) });

    expect(await twilio.postStatus(m.sid, 'sent')).toBe(204);
    expect(await twilio.postStatus(m.sid, 'queued')).toBe(204);
    expect(await twilio.postStatus(m.sid, 'delivered')).toBe(204);
    expect(await twilio.postStatus(m.sid, 'undelivered', { errorCode: 30005 })).toBe(204);
    expect((await smsLog(s.notificationId))[0]).toEqual(delivered);
  });

  it('a sent callback keeps the row sent; failed is an end too: a delivered after it changes nothing', async () => {
    twilio.autoCallbacks = false;
    const a = await scenario();
    const ma = await send(a);
    expect(await twilio.postStatus(ma.sid, 'sent')).toBe(204);
    expect((await smsLog(a.notificationId))[0]).toMatchObject({ status: 'sent', delivered_at: null });
    expect(await twilio.postStatus(ma.sid, 'failed', { errorCode: 30008 })).toBe(204);
    expect((await smsLog(a.notificationId))[0]).toMatchObject({ status: 'failed', error_message: 'Twilio reported the message failed (error 30008: unknown error)' });
    expect(await twilio.postStatus(ma.sid, 'delivered')).toBe(204);
    expect((await smsLog(a.notificationId))[0]).toMatchObject({ status: 'failed', delivered_at: null });
  });

  it('answers 204 to a genuine callback about a message it does not know, and records nothing', async () => {
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const count = async () => Number((await pool.query(`SELECT count(*) FROM notification_logs`)).rows[0].count);
    const before = await count();
    expect(await twilio.postStatus(sid, 'delivered', { url: `${callbackUrl}?deliveryId=${randomUUID()}` })).toBe(204);
    expect(await twilio.postStatus(sid, 'delivered', { url: callbackUrl })).toBe(204);
    expect(await count()).toBe(before);
    expect((await pool.query(`SELECT count(*)::int AS n FROM notification_logs WHERE external_id = $1`, [sid])).rows[0].n).toBe(0);
  });

  it('refuses a malformed callback with 400: not a form, no sid, a bad status or error code (signed or not)', async () => {
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const json = await postRaw(callbackUrl, JSON.stringify({ MessageSid: sid, MessageStatus: 'delivered' }), { 'content-type': 'application/json', 'x-twilio-signature': 'x' });
    expect(json).toMatchObject({ status: 400, type: expect.stringContaining('application/problem+json') });
    for (const params of [
      { MessageStatus: 'delivered' },
      { MessageSid: 'SM-not-a-sid', MessageStatus: 'delivered' },
      { MessageSid: sid, MessageStatus: 'Delivered!' },
      { MessageSid: sid, MessageStatus: 'failed', ErrorCode: 'thirty' },
    ] as Record<string, string>[]) {
      const res = await postRaw(callbackUrl, new URLSearchParams(params).toString(), {
        'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(twilio.authToken, callbackUrl, params),
      });
      expect({ params, status: res.status }).toEqual({ params, status: 400 });
      expect(JSON.parse(res.body)).toMatchObject({ status: 400, code: 'SMS_CALLBACK_MALFORMED' });
    }
  });

  it('a callback that overtakes the worker\'s commit waits for it (the delivery row lock) instead of finding nothing', async () => {
    twilio.autoCallbacks = false;
    const s = await scenario();
    const m = await send(s);
    // Pretend the worker still holds the delivery and has not committed its sent row yet: hide it, lock, then restore and commit.
    const sid = m.sid;
    await pool.query(`UPDATE notification_logs SET external_id = NULL WHERE notification_id = $1`, [s.notificationId]);
    const worker = await pool.connect();
    try {
      await worker.query('BEGIN');
      await worker.query(`SELECT id FROM notification_deliveries WHERE id = $1 FOR UPDATE`, [s.deliveryId]);
      const callback = twilio.postStatus(sid, 'delivered');
      await new Promise((r) => setTimeout(r, 300));
      await worker.query(`UPDATE notification_logs SET external_id = $2 WHERE notification_id = $1`, [s.notificationId, sid]);
      await worker.query('COMMIT');
      expect(await callback).toBe(204);
    } finally {
      worker.release();
    }
    expect((await smsLog(s.notificationId))[0]).toMatchObject({ status: 'delivered', external_id: sid });
  });
});
