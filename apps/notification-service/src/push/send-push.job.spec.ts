import pino from 'pino';
import { UnrecoverableError } from 'bullmq';
import { Registry } from 'prom-client';
import { JobName, Queues } from '@tally/contracts';
import { JobDispatcher, JobLike } from '@tally/service-kit';
import type { Delivery, DeliveryStorePort, DeliveryUnit, LockedDelivery } from '../deliveries/delivery-store';
import { Notification } from '../notifications/notification.entity';
import type { PushDevice } from './push-device.repository';
import { PushEndpointNotAllowedError, PushGoneError, PushNotConfiguredError, PushPayload, PushPermanentError, PushRetryableError, PushSender, PushTarget } from './push-sender';
import { PushDevicePort, PushJobResult, SendPushJobProcessor } from './send-push.job';

const DELIVERY_ID = '0b8d3f1e-5c6a-4d7b-9e8f-1a2b3c4d5e6f';
const USER_ID = '9a0b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d';
const DEVICE_ID = '3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a0f9';
const SECRET_PATH = '/push/v2/gAAAAABk9secretCapabilityPath0123456789';
const now = new Date('2026-12-06T12:00:00Z');

const subscription = JSON.stringify({
  endpoint: `https://push.example.net${SECRET_PATH}`,
  keys: { p256dh: Buffer.alloc(65, 4).toString('base64url'), auth: Buffer.alloc(16, 7).toString('base64url') },
});

function notification(over: Partial<Notification> = {}): Notification {
  return Object.assign(new Notification(), {
    id: '6f1c1a8e-4a57-4a0e-9d7b-2a3e3c4d5e6f', userId: USER_ID, notificationType: 'friend_request',
    title: 'Bob sent you a friend request', message: 'Bob wants to be your friend on Tally.', actionUrl: '/friends', priority: 'normal',
    isRead: false, isSent: false, deliveryStatus: 'pending',
  }, over);
}

function delivery(over: Partial<Delivery> = {}): Delivery {
  return {
    id: DELIVERY_ID, notificationId: notification().id, userId: USER_ID, channel: 'push', target: DEVICE_ID, status: 'scheduled',
    deliverAfter: new Date(now.getTime() - 1000), digestAt: null, attempts: 0, lastError: null, sentAt: null, ...over,
  };
}

function device(over: Partial<PushDevice> = {}): PushDevice {
  return { deviceId: DEVICE_ID, userId: USER_ID, deviceType: 'web', token: subscription, isActive: true, deactivatedReason: null, ...over };
}

interface LogRow { status: string; error?: string; reason?: string; retryCount?: number; recipient?: string }

/** In-memory store: one locked run at a time; a unit's writes are dropped if `fn` throws (rolled back). */
class FakeStore implements DeliveryStorePort {
  row: LockedDelivery | null = { delivery: delivery(), notification: notification() };
  readonly logs: LogRow[] = [];
  private lock: Promise<unknown> = Promise.resolve();

  async withLocked<T>(_id: string, fn: (row: LockedDelivery | null, unit: DeliveryUnit) => Promise<T>): Promise<T> {
    const run = this.lock.then(async () => {
      const copy = this.row ? { delivery: { ...this.row.delivery }, notification: this.row.notification } : null;
      const logs: LogRow[] = [];
      const unit: DeliveryUnit = {
        markSent: async (d, r) => { Object.assign(d, { status: 'sent', sentAt: r.at, attempts: d.attempts + 1 }); logs.push({ status: 'sent', retryCount: r.attempt - 1, recipient: r.recipient }); },
        recordFailure: async (d, f) => { Object.assign(d, { attempts: d.attempts + 1, lastError: f.error }); logs.push({ status: 'failed', error: f.error, retryCount: f.attempt - 1 }); },
        fail: async (d, f) => { Object.assign(d, { status: 'failed', attempts: d.attempts + 1, lastError: f.error }); logs.push({ status: 'failed', error: f.error, reason: f.reason }); },
        skip: async (d, s) => { Object.assign(d, { status: 'skipped' }); logs.push({ status: 'skipped', reason: s.reason }); },
      };
      const result = await fn(copy, unit);
      if (copy && this.row) this.row = { ...this.row, delivery: copy.delivery };
      this.logs.push(...logs);
      return result;
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  async deadLetter(_id: string, f: { error: string; attempts: number }): Promise<boolean> {
    if (!this.row || this.row.delivery.status !== 'scheduled') return false;
    this.row.delivery.status = 'failed';
    this.logs.push({ status: 'dead_lettered', error: f.error, retryCount: f.attempts - 1 });
    return true;
  }
}

class FakeDevices implements PushDevicePort {
  current: PushDevice | null = device();
  deactivated: string[] = [];
  async find(): Promise<PushDevice | null> { return this.current; }
  async deactivate(deviceId: string, _token: string, reason: 'gone' | 'endpoint_not_allowed'): Promise<boolean> {
    this.deactivated.push(deviceId);
    if (this.current) this.current = { ...this.current, isActive: false, deactivatedReason: reason };
    return true;
  }
}

class FakeSender implements PushSender {
  readonly sent: { device: PushTarget; payload: PushPayload }[] = [];
  failures: Error[] = [];
  async send(d: PushTarget, payload: PushPayload) {
    const f = this.failures.shift();
    if (f) throw f;
    this.sent.push({ device: d, payload });
    return { status: 'sent' as const, externalId: 'https://push.example.net/m/1' };
  }
}

function setup() {
  const store = new FakeStore();
  const devices = new FakeDevices();
  const sender = new FakeSender();
  const registry = new Registry();
  const job = new SendPushJobProcessor({ store, devices, sender, logger: pino({ level: 'silent' }), registry, clock: () => now });
  const dispatcher = new JobDispatcher([job]);
  const jobLike = (attemptsMade = 0, attempts = 5): JobLike => ({ id: DELIVERY_ID, name: JobName.SendPush, data: { deliveryId: DELIVERY_ID }, attemptsMade, opts: { attempts } });
  const run = (attemptsMade = 0) => dispatcher.run(Queues.pushDelivery, jobLike(attemptsMade)) as Promise<PushJobResult>;
  /** What BullMQ does after a failed attempt: the failure handler, which dead-letters on the last one. */
  const failed = (err: Error, attemptsMade: number, attempts = 5) => dispatcher.failed(Queues.pushDelivery, jobLike(attemptsMade, attempts), err);
  return { store, devices, sender, registry, run, failed };
}

describe('SendPushJobProcessor', () => {
  it('sends the notification to the device and marks the delivery sent', async () => {
    const { store, sender, run, registry } = setup();
    await expect(run()).resolves.toMatchObject({ outcome: 'sent', externalId: 'https://push.example.net/m/1' });
    expect(sender.sent).toHaveLength(1);
    expect(sender.sent[0].payload).toEqual({
      title: 'Bob sent you a friend request', body: 'Bob wants to be your friend on Tally.', url: '/friends', notificationId: notification().id, urgency: 'normal',
    });
    expect(store.row!.delivery.status).toBe('sent');
    expect(store.logs).toEqual([{ status: 'sent', retryCount: 0, recipient: `https://push.example.net (${DEVICE_ID})` }]);
    expect(await registry.getSingleMetricAsString('push_jobs_total')).toContain('outcome="sent"} 1');
  });

  it('sends once when the same job runs twice, even at the same time', async () => {
    const { sender, run } = setup();
    const results = await Promise.all([run(), run()]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['sent', 'skipped']);
    await expect(run()).resolves.toEqual({ outcome: 'skipped', reason: 'already_sent' });
    expect(sender.sent).toHaveLength(1);
  });

  it('clips a long message so the encrypted push stays under 4 KB, and urgent notifications go out with high urgency', async () => {
    const { store, sender, run } = setup();
    store.row!.notification = notification({ message: 'x'.repeat(5000), priority: 'urgent' });
    await run();
    expect(sender.sent[0].payload.body).toHaveLength(1000);
    expect(sender.sent[0].payload.urgency).toBe('high');
  });

  it.each([
    ['the device was removed', () => device({ isActive: false, deactivatedReason: 'removed' }), 'device_inactive'],
    ['the device is gone', () => device({ isActive: false, deactivatedReason: 'gone' }), 'device_gone'],
    ['the device is unknown', () => null, 'device_unknown'],
    ['the device belongs to someone else', () => device({ userId: '11111111-2222-4333-8444-555555555555' }), 'device_not_recipients'],
  ])('skips the delivery when %s', async (_what, make, reason) => {
    const { store, devices, sender, run } = setup();
    devices.current = make();
    await expect(run()).resolves.toEqual({ outcome: 'skipped', reason });
    expect(sender.sent).toHaveLength(0);
    expect(store.row!.delivery.status).toBe('skipped');
    expect(store.logs).toEqual([{ status: 'skipped', reason }]);
  });

  it('skips a notification the person already read in the app', async () => {
    const { store, sender, run } = setup();
    store.row!.notification = notification({ isRead: true });
    await expect(run()).resolves.toEqual({ outcome: 'skipped', reason: 'already_read' });
    expect(sender.sent).toHaveLength(0);
  });

  it('writes nothing for a delivery that is missing, finished, or waiting for a digest', async () => {
    const { store, sender, run } = setup();
    store.row = null;
    await expect(run()).resolves.toEqual({ outcome: 'skipped', reason: 'delivery_missing' });
    store.row = { delivery: delivery({ status: 'cancelled' }), notification: notification() };
    await expect(run()).resolves.toEqual({ outcome: 'skipped', reason: 'already_cancelled' });
    store.row = { delivery: delivery({ digestAt: new Date(now.getTime() + 3600_000) }), notification: notification() };
    await expect(run()).resolves.toEqual({ outcome: 'skipped', reason: 'digest' });
    expect(store.logs).toEqual([]);
    expect(sender.sent).toHaveLength(0);
  });

  it('does not send before deliver_after (quiet hours) and leaves the delivery scheduled', async () => {
    const { store, sender, run } = setup();
    store.row!.delivery.deliverAfter = new Date(now.getTime() + 60_000);
    await expect(run()).resolves.toEqual({ outcome: 'not_due' });
    expect(sender.sent).toHaveLength(0);
    expect(store.row!.delivery.status).toBe('scheduled');
  });

  it('deactivates a gone subscription and fails the delivery without a retry or a dead letter', async () => {
    const { store, devices, sender, run, failed } = setup();
    sender.failures.push(new PushGoneError('push service answered 410', 410));
    const err = await run().catch((e: Error) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(devices.deactivated).toEqual([DEVICE_ID]);
    expect(store.row!.delivery.status).toBe('failed');
    expect(store.logs).toEqual([expect.objectContaining({ status: 'failed', reason: 'gone' })]);
    // BullMQ calls the failure handler: the delivery is finished already, so no dead letter.
    await failed(err as Error, 1);
    expect(store.logs.map((l) => l.status)).toEqual(['failed']);
  });

  it('deactivates a device whose endpoint is not an allowed push service: failed with the reason, no retry, no dead letter, never tried again', async () => {
    const { store, devices, sender, run, failed } = setup();
    sender.failures.push(new PushEndpointNotAllowedError('push subscription endpoint host 10.0.0.5 is not a push service this deployment allows (PUSH_ENDPOINT_HOSTS)'));
    const err = await run().catch((e: Error) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(devices.deactivated).toEqual([DEVICE_ID]);
    expect(devices.current).toMatchObject({ isActive: false, deactivatedReason: 'endpoint_not_allowed' });
    expect(store.row!.delivery.status).toBe('failed');
    expect(store.logs).toEqual([expect.objectContaining({
      status: 'failed', reason: 'endpoint_not_allowed',
      error: 'PushEndpointNotAllowedError: push subscription endpoint host 10.0.0.5 is not a push service this deployment allows (PUSH_ENDPOINT_HOSTS)',
    })]);
    await failed(err as Error, 1);
    expect(store.logs.map((l) => l.status)).toEqual(['failed']);
    expect(sender.sent).toEqual([]);
  });

  it('records a retryable failure and throws so BullMQ retries; the retry sends', async () => {
    const { store, sender, run, failed } = setup();
    sender.failures.push(new PushRetryableError(`push service answered 503: overloaded at https://push.example.net${SECRET_PATH}`, 503));
    const err = await run(0).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(UnrecoverableError);
    expect(await failed(err as Error, 1)).toBe(false); // not the last attempt: nothing dead-lettered
    expect(store.row!.delivery).toMatchObject({ status: 'scheduled', attempts: 1 });
    await expect(run(1)).resolves.toMatchObject({ outcome: 'sent' });
    expect(store.logs.map((l) => [l.status, l.retryCount])).toEqual([['failed', 0], ['sent', 1]]);
    // The stored error names the push service, never the subscription's capability path.
    expect(store.logs[0].error).toContain('PushRetryableError (503)');
    expect(store.logs[0].error).not.toContain(SECRET_PATH);
    expect((err as Error).message).not.toContain(SECRET_PATH);
  });

  it('dead-letters the delivery once the last attempt failed', async () => {
    const { store, sender, run, failed } = setup();
    sender.failures.push(new PushRetryableError('push service unreachable: fetch failed: ECONNREFUSED'));
    const err = (await run(4).catch((e: Error) => e)) as Error;
    expect(await failed(err, 5)).toBe(true);
    expect(store.row!.delivery.status).toBe('failed');
    expect(store.logs.map((l) => l.status)).toEqual(['failed', 'dead_lettered']);
    expect(store.logs[1].error).toContain('ECONNREFUSED');
    expect(await failed(err, 5)).toBe(true); // the dispatcher ran the handler …
    expect(store.logs.map((l) => l.status)).toEqual(['failed', 'dead_lettered']); // … which recorded nothing twice
  });

  it('does not retry a permanent refusal and dead-letters it at once', async () => {
    const { store, sender, run, failed } = setup();
    sender.failures.push(new PushPermanentError('push service answered 403: VAPID key mismatch', 403));
    const err = (await run(0).catch((e: Error) => e)) as Error;
    expect(err).toBeInstanceOf(UnrecoverableError);
    await failed(err, 1);
    expect(store.logs.map((l) => l.status)).toEqual(['failed', 'dead_lettered']);
    expect(store.row!.delivery.status).toBe('failed');
  });

  it('skips a device type without an adapter (ios/android for now)', async () => {
    const { store, devices, sender, run } = setup();
    devices.current = device({ deviceType: 'ios', token: 'apns-token-0123456789' });
    sender.failures.push(new PushNotConfiguredError('ios push is not configured'));
    await expect(run()).resolves.toEqual({ outcome: 'skipped', reason: 'not_configured' });
    expect(store.logs).toEqual([{ status: 'skipped', reason: 'not_configured' }]);
  });

  it('refuses malformed job data without running it', async () => {
    const { sender } = setup();
    const job = new SendPushJobProcessor({ store: new FakeStore(), devices: new FakeDevices(), sender, logger: pino({ level: 'silent' }), registry: new Registry() });
    expect(() => job.parse({ deliveryId: 'not-a-uuid' })).toThrow(UnrecoverableError);
    expect(() => job.parse({ deliveryId: DELIVERY_ID, extra: 1 })).toThrow(UnrecoverableError);
  });
});
