/**
 * Notifications from events to outbound deliveries, against real PostgreSQL, Redis (BullMQ) and a
 * real SMTP server: what each recipient's preferences make of an event (stored or not, which
 * channels, when, digested or not), the jobs that end up on the queue, and the emails that arrive.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import type { EntityManager } from '@mikro-orm/postgresql';
import { loadConfig } from '@tally/config';
import { JobName, JobQueues } from '@tally/contracts';
import { IdentityProjectionRepository, identityEntities } from '@tally/identity';
import type { HandlerContext } from '@tally/messaging';
import { inTransaction } from '@tally/persistence';
import { ServiceRuntime, TypedJob } from '@tally/service-kit';
import { SmtpCatcher, createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { NotificationServiceConfig } from '../config/notification.config';
import { SmtpMailer } from '../delivery/mailer';
import { GroupSettingsRepository } from '../group-settings/group-settings';
import { entities } from '../entities';
import { migrations } from '../migrations';
import { NotificationRepository } from '../notifications/notification.repository';
import { InAppDraft, NotificationService } from '../notifications/notification.service';
import { PreferenceRepository } from '../preferences/preference.repository';
import { nextDigestAt, quietHoursEnd } from '../preferences/preference-schedule';
import { TemplateRepository } from '../templates/template.repository';
import { TemplateService } from '../templates/template.service';
import { DeliverEmailJobProcessor } from './deliver-email.job';
import { DeliveryPlanRepository } from './delivery-plan.repository';
import { DeliveryQueue } from './delivery-queue';
import { DeliveryScheduler } from './delivery-scheduler';
import { DeliveryStore } from './delivery-store';
import { SendDigestsJobProcessor } from './send-digests.job';

const infra = infraFromEnv();
const run = randomBytes(4).toString('hex');
const dbName = `it_notification_deliveries_${run}`;
const prefix = `it-nd-${run}`;

let runtime: ServiceRuntime<NotificationServiceConfig>;
let pool: Pool;
let queue: DeliveryQueue;
let emailJobs: Queue;
let service: NotificationService;
let smtp: SmtpCatcher;
let mailer: SmtpMailer;
let emailJob: DeliverEmailJobProcessor;
const identity = new IdentityProjectionRepository({ keepEmail: true });
const groupSettings = new GroupSettingsRepository();

beforeAll(async () => {
  const databaseUrl = await createTestDatabase(infra.databaseUrl, dbName);
  const config = loadConfig(NotificationServiceConfig, {
    NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: '3999', DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '4',
    KAFKA_BROKERS: infra.kafkaBrokers, KAFKA_TOPIC_PREFIX: `${prefix}.`, REDIS_URL: infra.redisUrl, QUEUE_PREFIX: prefix,
  });
  runtime = await ServiceRuntime.create({ name: 'notification-service', config, entities: [...entities, ...identityEntities], migrations, relay: false });
  pool = new Pool({ connectionString: databaseUrl, max: 2 });
  queue = new DeliveryQueue({ redisUrl: infra.redisUrl, prefix, attempts: 3, backoffMs: 100, timeoutMs: 2000, logger: runtime.logger });
  emailJobs = new Queue(JobQueues[JobName.DeliverEmail], { connection: { url: infra.redisUrl }, prefix });
  const scheduler = new DeliveryScheduler(new DeliveryPlanRepository(), new PreferenceRepository(), { quietHoursEnd, nextDigestAt }, queue, runtime, groupSettings);
  service = new NotificationService(runtime.orm, new NotificationRepository(), scheduler);
  smtp = new SmtpCatcher();
  const port = await smtp.start();
  mailer = new SmtpMailer({ host: '127.0.0.1', port, secure: false, from: 'Tally <no-reply@tally.test>', timeoutMs: 5000, maxConnections: 2 });
  emailJob = new DeliverEmailJobProcessor({
    orm: runtime.orm, store: new DeliveryStore(runtime.orm), templates: new TemplateService(new TemplateRepository()), mailer,
    appPublicUrl: 'https://app.tally.test', logger: runtime.logger, registry: runtime.metrics.registry,
  });
});

afterAll(async () => {
  mailer?.close();
  await smtp?.stop();
  await emailJobs?.obliterate({ force: true }).catch(() => undefined);
  await emailJobs?.close();
  await queue?.close();
  await runtime?.shutdown();
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

/** A verified user in Europe/Lisbon (or the given zone). */
async function person(name: string, timezone = 'Europe/Lisbon'): Promise<{ id: string; email: string }> {
  const id = randomUUID();
  const email = `${name}-${id.slice(0, 8)}@example.com`;
  const at = new Date().toISOString();
  await inTransaction(runtime.orm, async (em) => {
    await identity.upsertRegistered(em, { userId: id, username: `${name}${id.slice(0, 6)}`, email, firstName: name, lastName: null, preferredCurrency: 'EUR', timezone, dateJoined: at }, at);
    await identity.markEmailVerified(em, { userId: id, email, verifiedAt: at }, at);
  });
  return { id, email };
}

async function prefer(userId: string, type: string, p: { enabled?: boolean; channels?: string[]; quiet?: [string, string]; frequency?: string }): Promise<void> {
  await pool.query(
    `INSERT INTO notification_preferences (id, user_id, notification_type, is_enabled, delivery_methods, quiet_hours_start, quiet_hours_end, frequency_limit)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)`,
    [randomUUID(), userId, type, p.enabled ?? true, JSON.stringify(p.channels ?? ['in_app', 'email']), p.quiet?.[0] ?? null, p.quiet?.[1] ?? null, p.frequency ?? 'immediate'],
  );
}

/** Runs notify() as a Kafka handler would: in a transaction, then its after-commit hooks. */
async function notify(actorId: string, drafts: InAppDraft[], eventId = randomUUID()): Promise<number> {
  const hooks: (() => Promise<void>)[] = [];
  const n = await inTransaction(runtime.orm, (em: EntityManager) => service.notify({ em, afterCommit: (fn) => void hooks.push(fn) } as HandlerContext, { id: eventId, type: 'expense.created', source: 'expense-service' }, actorId, drafts));
  for (const h of hooks) await h();
  return n;
}

const expenseAdded = (userId: string, title = 'Dinner'): InAppDraft => ({
  userId, type: 'expense_added', title: `Ann added "${title}"`, message: `Ann added "${title}" (30.00 EUR): your share is 10.00 EUR.`,
  relatedObjectType: 'expense', relatedObjectId: randomUUID(), actionUrl: `/expenses/${randomUUID()}`,
});

async function deliveriesOf(userId: string) {
  return (await pool.query(
    `SELECT d.id, d.channel, d.status, d.deliver_after, d.digest_at, n.title FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id
      WHERE d.user_id = $1 ORDER BY n.created_at, d.channel`, [userId],
  )).rows;
}

function jobOf(id: string): TypedJob<JobName.DeliverEmail> {
  return { id, name: JobName.DeliverEmail, data: { deliveryId: id }, attemptsMade: 0, opts: { attempts: 3 } } as unknown as TypedJob<JobName.DeliverEmail>;
}

describe('notification deliveries (PostgreSQL, Redis, SMTP)', () => {
  it('an event notifies each person once, never the actor; the email goes out from its template once, however often its job runs', async () => {
    const ann = await person('Ann');
    const bob = await person('Bob');
    const eventId = randomUUID();
    expect(await notify(ann.id, [expenseAdded(ann.id), expenseAdded(bob.id, '<b>Pizza</b>')], eventId)).toBe(1);
    expect(await notify(ann.id, [expenseAdded(bob.id, '<b>Pizza</b>')], eventId)).toBe(0); // redelivered event

    const rows = await deliveriesOf(bob.id);
    expect(rows.map((r) => [r.channel, r.status, r.digest_at])).toEqual([['email', 'scheduled', null]]);
    expect(await deliveriesOf(ann.id)).toEqual([]);
    const job = await emailJobs.getJob(rows[0].id);
    expect(job?.name).toBe(JobName.DeliverEmail);
    expect(job?.data).toEqual({ deliveryId: rows[0].id });

    expect(await emailJob.process(jobOf(rows[0].id))).toEqual({ outcome: 'sent' });
    expect(await emailJob.process(jobOf(rows[0].id))).toMatchObject({ outcome: 'skipped' });
    const mail = await smtp.waitFor(bob.email);
    expect(smtp.to(bob.email)).toHaveLength(1);
    expect(mail.subject).toContain('Ann added');
    expect(mail.text).toContain('your share is 10.00 EUR');
    expect(mail.html).toContain('&lt;b&gt;Pizza&lt;/b&gt;');
    expect(mail.html).not.toContain('<b>Pizza</b>');
    expect(mail.text).toContain('https://app.tally.test/expenses/');
    const n = (await pool.query(`SELECT is_sent, sent_at, delivery_channels, delivery_status FROM notifications WHERE user_id = $1`, [bob.id])).rows[0];
    expect(n).toMatchObject({ is_sent: true, delivery_status: 'sent', delivery_channels: ['in_app', 'email'] });
    const logs = (await pool.query(`SELECT l.delivery_method, l.status, l.recipient, l.external_id FROM notification_logs l JOIN notifications n ON n.id = l.notification_id WHERE n.user_id = $1`, [bob.id])).rows;
    expect(logs).toEqual([{ delivery_method: 'email', status: 'sent', recipient: bob.email, external_id: expect.any(String) }]);
  });

  it('a mailbox the recipient\'s server refuses (SMTP 550) is a bounce: logged `bounced`, the delivery failed, never retried or sent', async () => {
    const ann = await person('Ann');
    const gus = await person('Gus');
    smtp.unknownMailboxes.add(gus.email.toLowerCase());
    try {
      await notify(ann.id, [expenseAdded(gus.id, 'Bounce')]);
      const [row] = await deliveriesOf(gus.id);
      // a permanent refusal fails the job without retries (BullMQ's UnrecoverableError)
      await expect(emailJob.process(jobOf(row.id))).rejects.toThrow(/550|mailbox unavailable/);
      expect(await emailJob.process(jobOf(row.id))).toMatchObject({ outcome: 'skipped' });
      expect((await deliveriesOf(gus.id)).map((r) => r.status)).toEqual(['failed']);
      const logs = (await pool.query(
        `SELECT l.status, l.recipient, l.error_message FROM notification_logs l JOIN notifications n ON n.id = l.notification_id WHERE n.user_id = $1`, [gus.id],
      )).rows;
      expect(logs).toEqual([{ status: 'bounced', recipient: gus.email, error_message: expect.stringMatching(/550|mailbox unavailable/) }]);
      expect(smtp.to(gus.email)).toEqual([]);
    } finally {
      smtp.unknownMailboxes.clear();
    }
  });

  it('a disabled type stores and sends nothing; in-app off keeps it out of the inbox but still emails', async () => {
    const ann = await person('Ann');
    const cy = await person('Cy');
    const dee = await person('Dee');
    await prefer(cy.id, 'expense_added', { enabled: false });
    await prefer(dee.id, 'expense_added', { channels: ['email'] });
    expect(await notify(ann.id, [expenseAdded(cy.id), expenseAdded(dee.id)])).toBe(1);
    expect((await pool.query(`SELECT count(*)::int AS n FROM notifications WHERE user_id = $1`, [cy.id])).rows[0].n).toBe(0);
    expect(await deliveriesOf(cy.id)).toEqual([]);
    const dees = (await pool.query(`SELECT is_sent, delivery_channels, delivery_status FROM notifications WHERE user_id = $1`, [dee.id])).rows;
    expect(dees).toEqual([{ is_sent: false, delivery_channels: ['email'], delivery_status: 'pending' }]);
    const inbox = await new NotificationRepository().findForUser(runtime.orm.em.fork(), dee.id, {}, 10);
    expect(inbox).toEqual([]);
    expect((await deliveriesOf(dee.id)).map((r) => r.channel)).toEqual(['email']);
  });

  it('a member who muted a group, or its expenses, gets nothing about that group, but still about others and urgent ones', async () => {
    const ann = await person('Ann');
    const gus = await person('Gus');
    const [muted, quietExpenses, other] = [randomUUID(), randomUUID(), randomUUID()];
    const at = new Date().toISOString();
    await inTransaction(runtime.orm, async (em) => {
      await groupSettings.upsert(em, muted, gus.id, { muted: true }, at);
      await groupSettings.upsert(em, quietExpenses, gus.id, { expenses: false, settlements: true }, at);
      // an older event arriving late changes nothing
      await groupSettings.upsert(em, muted, gus.id, {}, new Date(Date.now() - 60_000).toISOString());
    });
    const about = (groupId: string, title: string): InAppDraft => ({ ...expenseAdded(gus.id, title), groupId });
    expect(await notify(ann.id, [about(muted, 'Muted group dinner')])).toBe(0);
    expect(await notify(ann.id, [about(quietExpenses, 'Quiet expenses dinner')])).toBe(0);
    expect(await notify(ann.id, [{ userId: gus.id, type: 'settlement_requested', title: 'Confirm a settlement', message: 'Confirm it.', groupId: quietExpenses }])).toBe(1);
    expect(await notify(ann.id, [about(other, 'Other group dinner')])).toBe(1);
    expect(await notify(ann.id, [{ userId: gus.id, type: 'payment_failed', title: 'Your payment failed', message: 'It failed.', groupId: muted }])).toBe(1);
    const titles = (await pool.query(`SELECT title FROM notifications WHERE user_id = $1 ORDER BY created_at`, [gus.id])).rows.map((r) => r.title);
    expect(titles).toEqual(['Confirm a settlement', 'Ann added "Other group dinner"', 'Your payment failed']);
  });

  it('quiet hours delay the email until they end in the recipient\'s zone, except urgent ones', async () => {
    const ann = await person('Ann');
    const eve = await person('Eve', 'Asia/Tokyo');
    // A quiet window that always contains "now" in Tokyo: from the current hour to three hours later.
    const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
    const hh = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
    await prefer(eve.id, 'expense_added', { quiet: [hh(hour), hh(hour + 3)] });
    await prefer(eve.id, 'payment_failed', { channels: ['in_app', 'email'], quiet: [hh(hour), hh(hour + 3)] });
    const before = Date.now();
    await notify(ann.id, [expenseAdded(eve.id)]);
    await notify(ann.id, [{ userId: eve.id, type: 'payment_failed', title: 'Your payment failed', message: 'It failed.' }]);
    const [quiet, urgent] = await deliveriesOf(eve.id);
    expect(quiet.title).toContain('Ann added');
    const end = new Date(quiet.deliver_after).getTime();
    expect(end).toBeGreaterThan(before + 2 * 3600_000 - 60_000);
    expect(end).toBeLessThanOrEqual(before + 3 * 3600_000 + 60_000);
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(end))).toBe(hh(hour + 3));
    const waiting = await emailJobs.getJob(quiet.id);
    expect(await waiting?.getState()).toBe('delayed');
    expect(waiting!.opts.delay).toBeGreaterThan(2 * 3600_000 - 60_000);
    expect(new Date(urgent.deliver_after).getTime()).toBeLessThan(Date.now());
    expect(await (await emailJobs.getJob(urgent.id))?.getState()).not.toBe('delayed');
    // When the delay is over the job runs and delivers it.
    expect(await emailJob.process(jobOf(quiet.id))).toEqual({ outcome: 'sent' });
    expect(smtp.to(eve.email).map((m) => m.subject)).toEqual([expect.stringContaining('Ann added')]);
  });

  it('a daily digest gathers the day\'s notifications into one email at 08:00 local, once', async () => {
    const ann = await person('Ann');
    const fay = await person('Fay', 'America/New_York');
    await prefer(fay.id, 'expense_added', { frequency: 'daily', channels: ['in_app', 'email', 'push'] });
    await notify(ann.id, [expenseAdded(fay.id, 'Taxi')]);
    await notify(ann.id, [expenseAdded(fay.id, 'Museum')]);
    await notify(ann.id, [expenseAdded(fay.id, 'Lunch & <drinks>')]);
    const rows = await deliveriesOf(fay.id);
    expect(rows.map((r) => r.channel)).toEqual(['email', 'email', 'email']); // no push under a digest frequency
    for (const r of rows) {
      expect(await emailJobs.getJob(r.id)).toBeUndefined();
      expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(r.digest_at))).toBe('08:00');
    }
    const digestAt = new Date(rows[0].digest_at);
    const early = new SendDigestsJobProcessor({ orm: runtime.orm, mailer, appPublicUrl: 'https://app.tally.test', logger: runtime.logger, registry: new Registry(), clock: () => new Date(digestAt.getTime() - 1000) });
    expect(await early.runOnce()).toEqual({ sent: 0, skipped: 0, failed: 0 });
    const due = new SendDigestsJobProcessor({ orm: runtime.orm, mailer, appPublicUrl: 'https://app.tally.test', logger: runtime.logger, registry: new Registry(), clock: () => new Date(digestAt.getTime() + 1000) });
    expect(await due.runOnce()).toMatchObject({ sent: 1 });
    expect(await due.runOnce()).toEqual({ sent: 0, skipped: 0, failed: 0 });
    const mails = smtp.to(fay.email);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toBe('Tally: 3 notifications');
    expect(mails[0].text).toMatch(/Taxi[\s\S]*Museum[\s\S]*Lunch & <drinks>/);
    expect(mails[0].html).toContain('Lunch &amp; &lt;drinks&gt;');
    expect((await deliveriesOf(fay.id)).map((r) => r.status)).toEqual(['digested', 'digested', 'digested']);
    const n = (await pool.query(`SELECT bool_and(is_sent) AS sent FROM notifications WHERE user_id = $1`, [fay.id])).rows[0];
    expect(n.sent).toBe(true);
  });
});
