import { UnrecoverableError } from 'bullmq';
import { IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { Counter, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';
import { JobName, SendPushJob } from '@tally/contracts';
import { redactErrorText } from '@tally/observability';
import { JobProcessor, TypedJob } from '@tally/service-kit';
import type { Delivery, DeliveryStorePort, LockedDelivery } from '../deliveries/delivery-store';
import type { Notification } from '../notifications/notification.entity';
import type { PushDevice } from './push-device.repository';
import {
  PushEndpointNotAllowedError, PushGoneError, PushNotConfiguredError, PushPayload, PushPermanentError, PushSender, PushTarget, pushRecipient, redactPushError,
} from './push-sender';

/** `SendPushJob` as it must look on arrival; job data is an input like any other. */
export class SendPushJobData implements SendPushJob {
  @IsUUID()
  deliveryId!: string;

  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,100}$/)
  correlationId?: string;
}

/** The push devices as the job needs them (PushDeviceRepository over its own connection in the worker). */
export interface PushDevicePort {
  find(deviceId: string): Promise<PushDevice | null>;
  /**
   * The device stops receiving (until auth registers it again): the push service said the subscription
   * is gone (`gone`), or its endpoint is not an allowed push service (`endpoint_not_allowed`).
   */
  deactivate(deviceId: string, token: string, reason: DeactivationReason): Promise<boolean>;
}

export type DeactivationReason = 'gone' | 'endpoint_not_allowed';

export type PushJobOutcome = 'sent' | 'skipped' | 'not_due' | 'gone' | 'refused' | 'rejected' | 'failed';

export interface PushJobResult {
  outcome: PushJobOutcome;
  reason?: string;
  externalId?: string;
}

export interface SendPushJobDeps {
  store: DeliveryStorePort;
  devices: PushDevicePort;
  sender: PushSender;
  logger: Logger;
  /** Where its metrics go (the worker's /metrics). */
  registry: Registry;
  clock?: () => Date;
}

/** A push that runs this much before its `deliver_after` (quiet hours) is not sent; the sweeper enqueues it again. */
const EARLY_TOLERANCE_MS = 5_000;
/** Web Push payloads are at most 4 KB encrypted; leave room for the JSON and the record overhead. */
const MAX_TITLE = 120;
const MAX_BODY = 1000;

const URGENCY: Record<string, PushPayload['urgency']> = { low: 'low', normal: 'normal', high: 'high', urgent: 'high' };

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** What a push shows: the notification's title and message, and where tapping it leads. */
export function pushPayloadOf(n: Notification): PushPayload {
  return {
    title: clip(n.title, MAX_TITLE),
    body: clip(n.message, MAX_BODY),
    url: n.actionUrl ?? null,
    notificationId: n.id,
    urgency: URGENCY[n.priority] ?? 'normal',
  };
}

export type PushDecision =
  | { action: 'ignore'; reason: string }
  | { action: 'skip'; reason: string }
  | { action: 'wait' }
  | { action: 'send'; device: PushDevice; notification: Notification };

/**
 * What to do with a push delivery, from its locked row and its device. `ignore`: the delivery is
 * not this job's to touch any more (missing, finished, or waiting for a digest): nothing is written.
 * `skip`: it will never be sent; the delivery is marked skipped with the reason.
 */
export function decidePush(row: LockedDelivery | null, device: PushDevice | null, now: Date): PushDecision {
  if (!row) return { action: 'ignore', reason: 'delivery_missing' };
  const { delivery: d, notification: n } = row;
  if (d.channel !== 'push') return { action: 'ignore', reason: 'not_push' };
  if (d.status !== 'scheduled') return { action: 'ignore', reason: `already_${d.status}` };
  if (d.digestAt) return { action: 'ignore', reason: 'digest' };
  if (d.deliverAfter.getTime() - now.getTime() > EARLY_TOLERANCE_MS) return { action: 'wait' };
  if (!n) return { action: 'skip', reason: 'notification_gone' };
  if (!device) return { action: 'skip', reason: 'device_unknown' };
  if (device.userId !== d.userId) return { action: 'skip', reason: 'device_not_recipients' };
  if (!device.isActive) {
    const why = device.deactivatedReason === 'gone' ? 'device_gone' : device.deactivatedReason === 'endpoint_not_allowed' ? 'endpoint_not_allowed' : 'device_inactive';
    return { action: 'skip', reason: why };
  }
  // Read in the app before the push went out (say, after quiet hours): a push would only be noise.
  if (n.isRead) return { action: 'skip', reason: 'already_read' };
  return { action: 'send', device, notification: n };
}

/** An error as stored in notification_logs and logged: no token, no endpoint path, no key. */
export function describePushError(err: unknown, device: PushTarget): string {
  const e = err as { name?: string; message?: string; status?: number };
  const text = `${e?.name ?? 'Error'}${e?.status ? ` (${e.status})` : ''}: ${e?.message ?? String(err)}`;
  return redactErrorText(redactPushError(text, device));
}

/**
 * `send-push` jobs of the `push-delivery` queue: one notification to one push device (a
 * `notification_deliveries` row; the job id is the row id). With the delivery row locked it decides
 * (`decidePush`), sends only a scheduled delivery and marks it sent in the same transaction, so a
 * duplicate or replayed job sends nothing.
 * - the push service says the subscription is gone (404/410): the device is deactivated, the
 *   delivery failed (reason `gone`), no retry;
 * - retryable (429, 5xx, network, timeout): logged `failed`, rethrown: BullMQ retries with backoff;
 * - permanent (400, 401, 403, 413, malformed subscription): logged `failed`, no retry, dead-lettered;
 * - no adapter for the device type (ios/android today): skipped.
 * `onFailed` dead-letters the delivery once the job will not run again.
 *
 * Metrics: push_jobs_total and push_job_duration_seconds by outcome, push_dead_lettered_total.
 */
export class SendPushJobProcessor extends JobProcessor<JobName.SendPush, PushJobResult> {
  readonly name = JobName.SendPush;
  protected readonly dataClass = SendPushJobData;
  private readonly clock: () => Date;
  private readonly runs: Counter<'outcome'>;
  private readonly seconds: Histogram<'outcome'>;
  private readonly deadLettered: Counter;

  constructor(private readonly deps: SendPushJobDeps) {
    super();
    this.clock = deps.clock ?? (() => new Date());
    const registers = [deps.registry];
    this.runs = new Counter({ name: 'push_jobs_total', help: 'Push job runs by outcome', labelNames: ['outcome'], registers });
    this.seconds = new Histogram({
      name: 'push_job_duration_seconds', help: 'Push job run time (push service, database)', labelNames: ['outcome'], registers,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.deadLettered = new Counter({ name: 'push_dead_lettered_total', help: 'Push deliveries whose attempts were exhausted or that can never be sent', registers });
  }

  async process(job: TypedJob<JobName.SendPush>): Promise<PushJobResult> {
    const started = Date.now();
    const observe = (outcome: PushJobOutcome) => {
      this.runs.inc({ outcome });
      this.seconds.observe({ outcome }, (Date.now() - started) / 1000);
    };
    let outcome: PushJobOutcome = 'failed';
    try {
      const { result, failure } = await this.deliver(job.data.deliveryId, job.attemptsMade + 1);
      outcome = result.outcome;
      // The failure is recorded (committed); now fail the job so BullMQ retries or stops.
      if (failure) throw failure;
      return result;
    } finally {
      observe(outcome);
    }
  }

  private async deliver(deliveryId: string, attempt: number): Promise<{ result: PushJobResult; failure?: Error }> {
    const log = this.deps.logger.child({ deliveryId, attempt });
    let failure: Error | undefined;
    let deactivate: { device: PushDevice; reason: DeactivationReason } | undefined;
    const result = await this.deps.store.withLocked(deliveryId, async (row, unit): Promise<PushJobResult> => {
      const now = this.clock();
      const device = row && row.delivery.channel === 'push' && row.delivery.status === 'scheduled' ? await this.deps.devices.find(row.delivery.target) : null;
      const decision = decidePush(row, device, now);
      if (decision.action === 'ignore') {
        log.info({ reason: decision.reason }, 'push not sent: nothing to do');
        return { outcome: 'skipped', reason: decision.reason };
      }
      if (decision.action === 'wait') {
        log.info({ deliverAfter: row!.delivery.deliverAfter }, 'push not due yet; left scheduled for the sweeper');
        return { outcome: 'not_due' };
      }
      const d: Delivery = row!.delivery;
      if (decision.action === 'skip') {
        await unit.skip(d, { reason: decision.reason, ...(device ? { recipient: pushRecipient(device) } : {}), at: now });
        log.info({ reason: decision.reason }, 'push skipped');
        return { outcome: 'skipped', reason: decision.reason };
      }
      const recipient = pushRecipient(decision.device);
      let sent;
      try {
        sent = await this.deps.sender.send(decision.device, pushPayloadOf(decision.notification));
      } catch (err) {
        const error = describePushError(err, decision.device);
        const at = this.clock();
        if (err instanceof PushGoneError) {
          await unit.fail(d, { error, recipient, attempt, at, reason: 'gone' });
          deactivate = { device: decision.device, reason: 'gone' };
          failure = new UnrecoverableError(`gone: ${error}`);
          log.warn({ err: error, deviceId: decision.device.deviceId }, 'push subscription gone; device deactivated');
          return { outcome: 'gone', reason: error };
        }
        if (err instanceof PushEndpointNotAllowedError) {
          // An SSRF guard: nothing was sent. The device cannot get pushes here, so it stops being tried.
          await unit.fail(d, { error, recipient, attempt, at, reason: 'endpoint_not_allowed' });
          deactivate = { device: decision.device, reason: 'endpoint_not_allowed' };
          failure = new UnrecoverableError(`endpoint_not_allowed: ${error}`);
          log.warn({ err: error, deviceId: decision.device.deviceId }, 'push endpoint not an allowed push service; device deactivated');
          return { outcome: 'refused', reason: error };
        }
        if (err instanceof PushNotConfiguredError) {
          await unit.skip(d, { reason: 'not_configured', recipient, at });
          log.info({ deviceType: decision.device.deviceType }, 'push skipped: no adapter for this device type');
          return { outcome: 'skipped', reason: 'not_configured' };
        }
        await unit.recordFailure(d, { error, recipient, attempt, at });
        if (err instanceof PushPermanentError) {
          failure = new UnrecoverableError(error);
          log.error({ err: error }, 'push refused permanently; dead-lettered');
          return { outcome: 'rejected', reason: error };
        }
        // PushRetryableError, or anything unexpected from the sender: BullMQ retries with backoff.
        failure = new Error(error); // the redacted text: BullMQ stores it with the job
        log.warn({ err: error }, 'push failed; will retry');
        return { outcome: 'failed', reason: error };
      }
      // If this write fails the transaction rolls back and the job retries: the push may then go
      // out twice (at-least-once; the push service and PostgreSQL cannot commit together).
      await unit.markSent(d, { ...(sent.externalId ? { externalId: sent.externalId } : {}), recipient, attempt, at: this.clock() });
      log.info('push sent');
      return { outcome: 'sent', ...(sent.externalId ? { externalId: sent.externalId } : {}) };
    });
    if (deactivate) {
      // After the commit: if this fails, the next push to the device is refused again and retries it.
      const { device, reason } = deactivate;
      await this.deps.devices.deactivate(device.deviceId, device.token, reason).catch((err: Error) =>
        log.error({ err: redactErrorText(err.message), reason }, 'could not deactivate the push device'));
    }
    return { result, ...(failure ? { failure } : {}) };
  }

  /**
   * The job will not run again (attempts exhausted, or a permanent refusal): a still scheduled
   * delivery is marked failed with a `dead_lettered` log row, the record an operator reads and
   * replays. A delivery already finished (sent, skipped, failed as gone) is left alone.
   */
  override async onFailed(job: TypedJob<JobName.SendPush>, err: Error): Promise<boolean> {
    const { deliveryId } = job.data;
    let recorded: boolean;
    try {
      recorded = await this.deps.store.deadLetter(deliveryId, {
        // This job's own failures carry the redacted description already; BullMQ's (stalled…) are plain.
        error: redactErrorText(err?.message ?? String(err)),
        attempts: job.attemptsMade,
        ...(job.id ? { jobId: job.id } : {}),
        at: this.clock(),
      });
    } catch (e) {
      this.deps.logger.error({ err: redactErrorText((e as Error).message), deliveryId, jobId: job.id }, 'could not record the dead letter; the sweeper will requeue the delivery');
      return false;
    }
    if (recorded) {
      this.deadLettered.inc();
      this.deps.logger.error({ deliveryId, attempts: job.attemptsMade, err: redactErrorText(err?.message ?? '') }, 'push delivery attempts exhausted; dead-lettered');
    }
    return recorded;
  }
}
