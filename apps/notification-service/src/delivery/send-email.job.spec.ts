import pino from 'pino';
import { UnrecoverableError } from 'bullmq';
import { Counter, Registry } from 'prom-client';
import { JobName, Queues } from '@tally/contracts';
import { currentContext } from '@tally/observability';
import { JobDispatcher, JobLike } from '@tally/service-kit';
import { Notification } from '../notifications/notification.entity';
import type { DeliveryStore, DeliveryUnit } from './delivery.repository';
import { EmailJobResult, SendEmailJobProcessor } from './send-email.job';
import type { Mailer, OutgoingEmail, SentEmail } from './mailer';

const NOTIFICATION_ID = '6f1c1a8e-4a57-4a0e-9d7b-2a3e3c4d5e6f';
const TOKEN = 'verify_0123456789abcdefghijKLMN';
const now = new Date('2026-11-22T12:00:00Z');

function notification(over: Partial<Notification> = {}): Notification {
  return Object.assign(new Notification(), {
    id: NOTIFICATION_ID, userId: '9a0b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d', notificationType: 'email_verification',
    title: 'Verify your email address', message: 'Please confirm your email address.', actionUrl: '/verify-email',
    metadata: { firstName: 'Ann' }, deliveryChannels: ['email'], recipient: 'ann@example.com', deliveryStatus: 'pending',
    isSent: false, deliveryAttempts: 0, expiresAt: new Date('2026-11-23T12:00:00Z'), secretToken: TOKEN,
  }, over);
}

interface LogRow { status: string; error?: string; retryCount: number }

/** In-memory store: rows locked one job at a time, writes rolled back if the unit throws. */
class FakeStore implements DeliveryStore {
  readonly rows = new Map<string, Notification>();
  readonly logs: LogRow[] = [];
  private lock: Promise<unknown> = Promise.resolve();

  async withLocked<T>(id: string, fn: (n: Notification | null, unit: DeliveryUnit) => Promise<T>): Promise<T> {
    const run = this.lock.then(async () => {
      const row = this.rows.get(id);
      const copy = row ? Object.assign(new Notification(), structuredClone({ ...row })) : null;
      const logs: LogRow[] = [];
      const unit: DeliveryUnit = {
        markSent: async (n, r) => {
          Object.assign(n, { isSent: true, sentAt: r.at, deliveryStatus: 'sent', deliveryAttempts: n.deliveryAttempts + 1, secretToken: null, lastError: null });
          logs.push({ status: 'delivered', retryCount: r.attempt - 1 });
        },
        recordFailure: async (n, f) => {
          Object.assign(n, { deliveryAttempts: n.deliveryAttempts + 1, lastError: f.error });
          logs.push({ status: 'failed', error: f.error, retryCount: f.attempt - 1 });
        },
        markExpired: async (n) => {
          Object.assign(n, { deliveryStatus: 'expired', secretToken: null });
          logs.push({ status: 'expired', retryCount: n.deliveryAttempts });
        },
        reject: async (n, f) => {
          Object.assign(n, { deliveryStatus: 'failed', lastError: f.error });
          logs.push({ status: 'dead_lettered', error: f.error, retryCount: f.attempt - 1 });
        },
      };
      const result = await fn(copy, unit); // throws → nothing below runs: rolled back
      if (copy) this.rows.set(id, copy);
      this.logs.push(...logs);
      return result;
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  async deadLetter(id: string, f: { error: string; attempts: number }): Promise<boolean> {
    const n = this.rows.get(id);
    if (!n || n.deliveryStatus !== 'pending') return false;
    Object.assign(n, { deliveryStatus: 'failed', lastError: f.error });
    this.logs.push({ status: 'dead_lettered', error: f.error, retryCount: f.attempts - 1 });
    return true;
  }
}

class FakeMailer implements Mailer {
  readonly sent: OutgoingEmail[] = [];
  readonly correlationIds: (string | undefined)[] = [];
  failures: Error[] = [];

  async send(email: OutgoingEmail): Promise<SentEmail> {
    this.correlationIds.push(currentContext()?.correlationId);
    await new Promise((r) => setTimeout(r, 5));
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push(email);
    return { messageId: `<m${this.sent.length}@test>`, response: '250 OK', accepted: [email.to], rejected: [] };
  }
  async verify(): Promise<void> {}
  close(): void {}
}

/** The job class as the worker runs it: through the dispatcher, which validates data and sets the context. */
function setup() {
  const store = new FakeStore();
  const mailer = new FakeMailer();
  const registry = new Registry();
  const job = new SendEmailJobProcessor({ store, mailer, appPublicUrl: 'http://localhost:8080', logger: pino({ level: 'silent' }), registry, clock: () => now });
  const dispatcher = new JobDispatcher([job], pino({ level: 'silent' }));
  const run = (j: JobLike) => dispatcher.run(Queues.emailDelivery, j) as Promise<EmailJobResult>;
  const failed = (j: JobLike, err: Error) => dispatcher.failed(Queues.emailDelivery, j, err);
  const counts = async (metric: string) => {
    const values = (await (registry.getSingleMetric(metric) as Counter).get()).values;
    return Object.fromEntries(values.map((v) => [v.labels.outcome ?? 'all', v.value]));
  };
  return { store, mailer, job, run, failed, counts };
}

const job = (over: Partial<JobLike> = {}): JobLike => ({
  id: NOTIFICATION_ID, name: JobName.SendEmail, data: { notificationId: NOTIFICATION_ID, correlationId: 'corr-123' },
  attemptsMade: 0, opts: { attempts: 3 }, ...over,
});

describe('SendEmailJobProcessor (send-email jobs)', () => {
  it('is the send-email job of the email-delivery queue', () => {
    const { job: processor } = setup();
    expect(processor.name).toBe(JobName.SendEmail);
    expect(processor.queue).toBe(Queues.emailDelivery);
  });

  it('sends a pending notification once, marks it sent and logs the delivery', async () => {
    const { store, mailer, run } = setup();
    store.rows.set(NOTIFICATION_ID, notification());

    await expect(run(job())).resolves.toMatchObject({ outcome: 'sent', messageId: '<m1@test>' });

    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0].to).toBe('ann@example.com');
    expect(mailer.sent[0].text).toContain(`http://localhost:8080/verify-email?token=${TOKEN}`);
    expect(mailer.sent[0].text.split('\n')).toContain(TOKEN);
    const row = store.rows.get(NOTIFICATION_ID)!;
    expect(row).toMatchObject({ isSent: true, deliveryStatus: 'sent', secretToken: null });
    expect(store.logs).toEqual([{ status: 'delivered', retryCount: 0 }]);
  });

  it('runs the job in the correlation id carried by its data', async () => {
    const { store, mailer, run } = setup();
    store.rows.set(NOTIFICATION_ID, notification());
    await run(job());
    expect(mailer.correlationIds).toEqual(['corr-123']);
  });

  it('does not send again when the same job runs twice (redelivery, duplicate enqueue)', async () => {
    const { store, mailer, run } = setup();
    store.rows.set(NOTIFICATION_ID, notification());
    await run(job());
    await expect(run(job())).resolves.toEqual({ outcome: 'skipped', reason: 'already_sent' });
    expect(mailer.sent).toHaveLength(1);
    expect(store.logs.filter((l) => l.status === 'delivered')).toHaveLength(1);
  });

  it('sends once when two copies of the job run at the same time', async () => {
    const { store, mailer, run } = setup();
    store.rows.set(NOTIFICATION_ID, notification());
    const results = await Promise.all([run(job()), run(job())]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['sent', 'skipped']);
    expect(mailer.sent).toHaveLength(1);
  });

  it('skips a notification that is gone or already dead-lettered', async () => {
    const { store, mailer, run } = setup();
    await expect(run(job())).resolves.toEqual({ outcome: 'skipped', reason: 'not_found' });
    store.rows.set(NOTIFICATION_ID, notification({ deliveryStatus: 'failed' }));
    await expect(run(job())).resolves.toEqual({ outcome: 'skipped', reason: 'dead_lettered' });
    expect(mailer.sent).toHaveLength(0);
  });

  it('records a failed attempt and rethrows, so BullMQ retries; the retry sends', async () => {
    const { store, mailer, run, counts } = setup();
    store.rows.set(NOTIFICATION_ID, notification());
    mailer.failures.push(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ECONNECTION' }));

    await expect(run(job())).rejects.toThrow('ECONNREFUSED');
    expect(store.rows.get(NOTIFICATION_ID)).toMatchObject({ deliveryStatus: 'pending', isSent: false, deliveryAttempts: 1 });
    expect(store.logs).toEqual([{ status: 'failed', error: 'Error (ECONNECTION): connect ECONNREFUSED 127.0.0.1:2525', retryCount: 0 }]);

    await expect(run(job({ attemptsMade: 1 }))).resolves.toMatchObject({ outcome: 'sent' });
    expect(mailer.sent).toHaveLength(1);
    expect(store.logs.map((l) => l.status)).toEqual(['failed', 'delivered']);
    expect(await counts('email_jobs_total')).toEqual({ failed: 1, sent: 1 });
  });

  it('fails the job without logging a send failure when marking it sent fails (the write rolls back)', async () => {
    const { store, mailer, run } = setup();
    store.rows.set(NOTIFICATION_ID, notification());
    const original = store.withLocked.bind(store);
    store.withLocked = (id, fn) => original(id, (n, unit) => fn(n, { ...unit, markSent: async () => { throw new Error('connection terminated'); } }));
    await expect(run(job())).rejects.toThrow('connection terminated');
    expect(mailer.sent).toHaveLength(1);
    expect(store.logs).toEqual([]);
    expect(store.rows.get(NOTIFICATION_ID)).toMatchObject({ deliveryStatus: 'pending', isSent: false });
  });

  it('dead-letters without retries when the SMTP server refuses permanently (5xx)', async () => {
    const { store, mailer, run } = setup();
    store.rows.set(NOTIFICATION_ID, notification());
    mailer.failures.push(Object.assign(new Error('550 mailbox unavailable'), { responseCode: 550 }));
    await expect(run(job())).rejects.toBeInstanceOf(UnrecoverableError);
    expect(store.rows.get(NOTIFICATION_ID)).toMatchObject({ deliveryStatus: 'failed' });
    expect(store.logs.map((l) => l.status)).toEqual(['dead_lettered']);
  });

  it('does not send an expired verification email', async () => {
    const { store, mailer, run } = setup();
    store.rows.set(NOTIFICATION_ID, notification({ expiresAt: new Date('2026-11-22T11:59:59Z') }));
    await expect(run(job())).resolves.toEqual({ outcome: 'expired' });
    expect(mailer.sent).toHaveLength(0);
    expect(store.rows.get(NOTIFICATION_ID)).toMatchObject({ deliveryStatus: 'expired', secretToken: null });
  });

  it('fails malformed job data and unknown job names without retries', async () => {
    const { run, mailer } = setup();
    await expect(run(job({ data: { notificationId: 'not-a-uuid' } }))).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(run(job({ data: { notificationId: NOTIFICATION_ID, extra: 1 } }))).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(run(job({ data: 'x' }))).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(run(job({ data: { notificationId: NOTIFICATION_ID, correlationId: 'bad id with spaces' } }))).rejects.toThrow('invalid send-email job');
    await expect(run(job({ name: 'other' }))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(mailer.sent).toHaveLength(0);
  });

  it('counts runs by outcome', async () => {
    const { store, run, counts } = setup();
    store.rows.set(NOTIFICATION_ID, notification());
    await run(job());
    await run(job());
    expect(await counts('email_jobs_total')).toEqual({ sent: 1, skipped: 1 });
  });

  describe('onFailed', () => {
    it('ignores a failure with attempts left', async () => {
      const { store, failed } = setup();
      store.rows.set(NOTIFICATION_ID, notification());
      await expect(failed(job({ attemptsMade: 2 }), new Error('boom'))).resolves.toBe(false);
      expect(store.rows.get(NOTIFICATION_ID)!.deliveryStatus).toBe('pending');
    });

    it('dead-letters once attempts are exhausted, exactly once', async () => {
      const { store, job: processor, failed, counts } = setup();
      store.rows.set(NOTIFICATION_ID, notification());
      await expect(failed(job({ attemptsMade: 3 }), new Error('boom'))).resolves.toBe(true);
      await expect(failed(job({ attemptsMade: 3 }), new Error('boom'))).resolves.toBe(true);
      const data = { notificationId: NOTIFICATION_ID };
      await expect(processor.onFailed({ id: NOTIFICATION_ID, name: JobName.SendEmail, data, attemptsMade: 3, opts: {} }, new Error('boom'))).resolves.toBe(false);
      expect(store.rows.get(NOTIFICATION_ID)!.deliveryStatus).toBe('failed');
      expect(store.logs).toEqual([{ status: 'dead_lettered', error: 'Error: boom', retryCount: 2 }]);
      expect(await counts('email_dead_lettered_total')).toEqual({ all: 1 });
    });

    it('dead-letters at once after an unrecoverable error', async () => {
      const { store, failed } = setup();
      store.rows.set(NOTIFICATION_ID, notification());
      await expect(failed(job({ attemptsMade: 1 }), new UnrecoverableError('no'))).resolves.toBe(true);
      expect(store.rows.get(NOTIFICATION_ID)!.deliveryStatus).toBe('failed');
    });

    it('never dead-letters a notification that was sent', async () => {
      const { store, failed, counts } = setup();
      store.rows.set(NOTIFICATION_ID, notification({ isSent: true, deliveryStatus: 'sent' }));
      await failed(job({ attemptsMade: 3 }), new Error('late failure'));
      expect(store.rows.get(NOTIFICATION_ID)!.deliveryStatus).toBe('sent');
      expect(await counts('email_dead_lettered_total')).toEqual({ all: 0 });
    });

    it('records nothing for a job whose data never was valid', async () => {
      const { store, failed } = setup();
      store.rows.set(NOTIFICATION_ID, notification());
      await expect(failed(job({ data: { notificationId: 'nope' } }), new UnrecoverableError('invalid'))).resolves.toBe(false);
      expect(store.rows.get(NOTIFICATION_ID)!.deliveryStatus).toBe('pending');
    });

    it('survives a store that cannot record the dead letter (the sweeper requeues it later)', async () => {
      const { store, failed } = setup();
      store.deadLetter = async () => { throw new Error('connection refused'); };
      await expect(failed(job({ attemptsMade: 3 }), new Error('boom'))).resolves.toBe(true);
    });
  });
});
