import pino from 'pino';
import { UnrecoverableError } from 'bullmq';
import { JobName } from '@tally/contracts';
import { currentContext } from '@tally/observability';
import { Notification } from '../notifications/notification.entity';
import type { DeliveryStore, DeliveryUnit } from './delivery.repository';
import { EmailDeliveryProcessor, EmailJobLike } from './email-delivery.processor';
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

function setup() {
  const store = new FakeStore();
  const mailer = new FakeMailer();
  const outcomes: string[] = [];
  const processor = new EmailDeliveryProcessor({
    store, mailer, appPublicUrl: 'http://localhost:8080', logger: pino({ level: 'silent' }), clock: () => now,
    onOutcome: (o) => outcomes.push(o),
  });
  return { store, mailer, processor, outcomes };
}

const job = (over: Partial<EmailJobLike> = {}): EmailJobLike => ({
  id: NOTIFICATION_ID, name: JobName.SendEmail, data: { notificationId: NOTIFICATION_ID, correlationId: 'corr-123' },
  attemptsMade: 0, opts: { attempts: 3 }, ...over,
});

describe('EmailDeliveryProcessor', () => {
  it('sends a pending notification once, marks it sent and logs the delivery', async () => {
    const { store, mailer, processor } = setup();
    store.rows.set(NOTIFICATION_ID, notification());

    await expect(processor.process(job())).resolves.toMatchObject({ outcome: 'sent', messageId: '<m1@test>' });

    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0].to).toBe('ann@example.com');
    expect(mailer.sent[0].text).toContain(`http://localhost:8080/verify-email?token=${TOKEN}`);
    expect(mailer.sent[0].text.split('\n')).toContain(TOKEN);
    const row = store.rows.get(NOTIFICATION_ID)!;
    expect(row).toMatchObject({ isSent: true, deliveryStatus: 'sent', secretToken: null });
    expect(store.logs).toEqual([{ status: 'delivered', retryCount: 0 }]);
  });

  it('runs the job in the correlation id carried by its data', async () => {
    const { store, mailer, processor } = setup();
    store.rows.set(NOTIFICATION_ID, notification());
    await processor.process(job());
    expect(mailer.correlationIds).toEqual(['corr-123']);
  });

  it('does not send again when the same job runs twice (redelivery, duplicate enqueue)', async () => {
    const { store, mailer, processor } = setup();
    store.rows.set(NOTIFICATION_ID, notification());
    await processor.process(job());
    await expect(processor.process(job())).resolves.toEqual({ outcome: 'skipped', reason: 'already_sent' });
    expect(mailer.sent).toHaveLength(1);
    expect(store.logs.filter((l) => l.status === 'delivered')).toHaveLength(1);
  });

  it('sends once when two copies of the job run at the same time', async () => {
    const { store, mailer, processor } = setup();
    store.rows.set(NOTIFICATION_ID, notification());
    const results = await Promise.all([processor.process(job()), processor.process(job())]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['sent', 'skipped']);
    expect(mailer.sent).toHaveLength(1);
  });

  it('skips a notification that is gone or already dead-lettered', async () => {
    const { store, mailer, processor } = setup();
    await expect(processor.process(job())).resolves.toEqual({ outcome: 'skipped', reason: 'not_found' });
    store.rows.set(NOTIFICATION_ID, notification({ deliveryStatus: 'failed' }));
    await expect(processor.process(job())).resolves.toEqual({ outcome: 'skipped', reason: 'dead_lettered' });
    expect(mailer.sent).toHaveLength(0);
  });

  it('records a failed attempt and rethrows, so BullMQ retries; the retry sends', async () => {
    const { store, mailer, processor, outcomes } = setup();
    store.rows.set(NOTIFICATION_ID, notification());
    mailer.failures.push(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ECONNECTION' }));

    await expect(processor.process(job())).rejects.toThrow('ECONNREFUSED');
    expect(store.rows.get(NOTIFICATION_ID)).toMatchObject({ deliveryStatus: 'pending', isSent: false, deliveryAttempts: 1 });
    expect(store.logs).toEqual([{ status: 'failed', error: 'Error (ECONNECTION): connect ECONNREFUSED 127.0.0.1:2525', retryCount: 0 }]);

    await expect(processor.process(job({ attemptsMade: 1 }))).resolves.toMatchObject({ outcome: 'sent' });
    expect(mailer.sent).toHaveLength(1);
    expect(store.logs.map((l) => l.status)).toEqual(['failed', 'delivered']);
    expect(outcomes).toEqual(['failed', 'sent']);
  });

  it('fails the job without logging a send failure when marking it sent fails (the write rolls back)', async () => {
    const { store, mailer, processor } = setup();
    store.rows.set(NOTIFICATION_ID, notification());
    const original = store.withLocked.bind(store);
    store.withLocked = (id, fn) => original(id, (n, unit) => fn(n, { ...unit, markSent: async () => { throw new Error('connection terminated'); } }));
    await expect(processor.process(job())).rejects.toThrow('connection terminated');
    expect(mailer.sent).toHaveLength(1);
    expect(store.logs).toEqual([]);
    expect(store.rows.get(NOTIFICATION_ID)).toMatchObject({ deliveryStatus: 'pending', isSent: false });
  });

  it('dead-letters without retries when the SMTP server refuses permanently (5xx)', async () => {
    const { store, mailer, processor } = setup();
    store.rows.set(NOTIFICATION_ID, notification());
    mailer.failures.push(Object.assign(new Error('550 mailbox unavailable'), { responseCode: 550 }));
    await expect(processor.process(job())).rejects.toBeInstanceOf(UnrecoverableError);
    expect(store.rows.get(NOTIFICATION_ID)).toMatchObject({ deliveryStatus: 'failed' });
    expect(store.logs.map((l) => l.status)).toEqual(['dead_lettered']);
  });

  it('does not send an expired verification email', async () => {
    const { store, mailer, processor } = setup();
    store.rows.set(NOTIFICATION_ID, notification({ expiresAt: new Date('2026-11-22T11:59:59Z') }));
    await expect(processor.process(job())).resolves.toEqual({ outcome: 'expired' });
    expect(mailer.sent).toHaveLength(0);
    expect(store.rows.get(NOTIFICATION_ID)).toMatchObject({ deliveryStatus: 'expired', secretToken: null });
  });

  it('fails malformed job data and unknown job names without retries', async () => {
    const { processor } = setup();
    await expect(processor.process(job({ data: { notificationId: 'not-a-uuid' } }))).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(processor.process(job({ data: { notificationId: NOTIFICATION_ID, extra: 1 } }))).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(processor.process(job({ name: 'other' }))).rejects.toBeInstanceOf(UnrecoverableError);
  });

  describe('onFailed', () => {
    it('ignores a failure with attempts left', async () => {
      const { store, processor } = setup();
      store.rows.set(NOTIFICATION_ID, notification());
      await expect(processor.onFailed(job({ attemptsMade: 2 }), new Error('boom'))).resolves.toBe(false);
      expect(store.rows.get(NOTIFICATION_ID)!.deliveryStatus).toBe('pending');
    });

    it('dead-letters once attempts are exhausted, exactly once', async () => {
      const { store, processor } = setup();
      store.rows.set(NOTIFICATION_ID, notification());
      await expect(processor.onFailed(job({ attemptsMade: 3 }), new Error('boom'))).resolves.toBe(true);
      await expect(processor.onFailed(job({ attemptsMade: 3 }), new Error('boom'))).resolves.toBe(false);
      expect(store.rows.get(NOTIFICATION_ID)!.deliveryStatus).toBe('failed');
      expect(store.logs).toEqual([{ status: 'dead_lettered', error: 'Error: boom', retryCount: 2 }]);
    });

    it('never dead-letters a notification that was sent', async () => {
      const { store, processor } = setup();
      store.rows.set(NOTIFICATION_ID, notification({ isSent: true, deliveryStatus: 'sent' }));
      await expect(processor.onFailed(job({ attemptsMade: 3 }), new Error('late failure'))).resolves.toBe(false);
      expect(store.rows.get(NOTIFICATION_ID)!.deliveryStatus).toBe('sent');
    });
  });
});
