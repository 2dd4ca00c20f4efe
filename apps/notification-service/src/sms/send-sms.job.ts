import { UnrecoverableError } from 'bullmq';
import { IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { Counter, Registry } from 'prom-client';
import type { Logger } from 'pino';
import { JobName, SendSmsJob } from '@tally/contracts';
import { redactErrorText } from '@tally/observability';
import { JobProcessor, TypedJob } from '@tally/service-kit';
import type { DeliveryStorePort, LockedDelivery } from '../deliveries/delivery-store';
import {
  SmsNotConfiguredError, SmsPermanentError, SmsRecipientError, SmsSender, maskPhone, maskPhonesIn,
} from './sms-sender';

/** `SendSmsJob` as it must look on arrival; job data is an input like any other. */
export class SendSmsJobData implements SendSmsJob {
  @IsUUID()
  deliveryId!: string;

  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,100}$/)
  correlationId?: string;
}

/** What an SMS delivery says and where it goes, read before the row is locked (rendering needs no lock). */
export interface PreparedSms {
  /** The number now (the recipient's in the phone projection; null: none any more). */
  to: string | null;
  body: string;
}

/** The SMS content's port (`OrmSmsContent` renders the type's sms template over the worker's ORM). */
export interface SmsContentPort {
  prepare(deliveryId: string): Promise<PreparedSms | null>;
}

export type SmsJobOutcome = 'sent' | 'skipped' | 'not_due' | 'refused' | 'rejected' | 'failed';

export interface SmsJobResult {
  outcome: SmsJobOutcome;
  reason?: string;
  externalId?: string;
}

export interface SendSmsJobDeps {
  store: DeliveryStorePort;
  content: SmsContentPort;
  sender: SmsSender;
  logger: Logger;
  registry: Registry;
  clock?: () => Date;
}

const EARLY_TOLERANCE_MS = 5_000;

export type SmsDecision =
  | { action: 'ignore'; reason: string }
  | { action: 'skip'; reason: string }
  | { action: 'wait' }
  | { action: 'send'; to: string; body: string };

/**
 * What to do with an SMS delivery, from its locked row and what it would say. `ignore`: not this
 * job's to touch (missing, finished, waiting for a digest); `skip`: it will never be sent.
 */
export function decideSms(row: LockedDelivery | null, prepared: PreparedSms | null, now: Date): SmsDecision {
  if (!row) return { action: 'ignore', reason: 'delivery_missing' };
  const { delivery: d, notification: n } = row;
  if (d.channel !== 'sms') return { action: 'ignore', reason: 'not_sms' };
  if (d.status !== 'scheduled') return { action: 'ignore', reason: `already_${d.status}` };
  if (d.digestAt) return { action: 'ignore', reason: 'digest' };
  if (d.deliverAfter.getTime() - now.getTime() > EARLY_TOLERANCE_MS) return { action: 'wait' };
  if (!n || !prepared) return { action: 'skip', reason: 'notification_gone' };
  // The number was cleared after the notification was planned: nowhere to send it.
  if (!prepared.to) return { action: 'skip', reason: 'no_phone_number' };
  if (n.isRead) return { action: 'skip', reason: 'already_read' };
  return { action: 'send', to: prepared.to, body: prepared.body };
}

/** An error as stored and logged: numbers masked, no SQL values. */
export function describeSmsError(err: unknown, to: string): string {
  const e = err as { name?: string; message?: string };
  return maskPhonesIn(redactErrorText(`${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`), to);
}

/**
 * `send-sms` jobs of the `sms-delivery` queue: one notification to one phone number (a
 * `notification_deliveries` row with channel `sms`; the job id is the row id). With the row locked
 * it decides (`decideSms`), sends only a scheduled delivery and marks it sent in the same
 * transaction, so a duplicate or replayed job sends nothing.
 * - the provider will never deliver to the number (invalid, unsubscribed, unreachable): delivery
 *   `failed` with the reason, no retry, no dead letter;
 * - retryable (429, 5xx, network): logged `failed`, rethrown: BullMQ retries with backoff;
 * - permanent (bad credentials or sender, malformed request): logged `failed`, dead-lettered at once;
 * - no provider configured: skipped (`not_configured`).
 * The number is personal data: logs and `notification_logs.recipient` hold it masked (`+*******0123`).
 *
 * Metrics: sms_jobs_total by outcome, sms_dead_lettered_total.
 */
export class SendSmsJobProcessor extends JobProcessor<JobName.SendSms, SmsJobResult> {
  readonly name = JobName.SendSms;
  protected readonly dataClass = SendSmsJobData;
  private readonly clock: () => Date;
  private readonly runs: Counter<'outcome'>;
  private readonly deadLettered: Counter;

  constructor(private readonly deps: SendSmsJobDeps) {
    super();
    this.clock = deps.clock ?? (() => new Date());
    const registers = [deps.registry];
    this.runs = new Counter({ name: 'sms_jobs_total', help: 'SMS job runs by outcome', labelNames: ['outcome'], registers });
    this.deadLettered = new Counter({ name: 'sms_dead_lettered_total', help: 'SMS deliveries whose attempts were exhausted or that can never be sent', registers });
  }

  async process(job: TypedJob<JobName.SendSms>): Promise<SmsJobResult> {
    let outcome: SmsJobOutcome = 'failed';
    try {
      const { result, failure } = await this.deliver(job.data.deliveryId, job.attemptsMade + 1);
      outcome = result.outcome;
      if (failure) throw failure;
      return result;
    } finally {
      this.runs.inc({ outcome });
    }
  }

  private async deliver(deliveryId: string, attempt: number): Promise<{ result: SmsJobResult; failure?: Error }> {
    const log = this.deps.logger.child({ deliveryId, attempt });
    const prepared = await this.deps.content.prepare(deliveryId);
    let failure: Error | undefined;
    const result = await this.deps.store.withLocked(deliveryId, async (row, unit): Promise<SmsJobResult> => {
      const now = this.clock();
      const decision = decideSms(row, prepared, now);
      if (decision.action === 'ignore') {
        log.info({ reason: decision.reason }, 'sms not sent: nothing to do');
        return { outcome: 'skipped', reason: decision.reason };
      }
      if (decision.action === 'wait') {
        log.info({ deliverAfter: row!.delivery.deliverAfter }, 'sms not due yet; left scheduled for the sweeper');
        return { outcome: 'not_due' };
      }
      const d = row!.delivery;
      if (decision.action === 'skip') {
        await unit.skip(d, { reason: decision.reason, ...(prepared?.to ? { recipient: maskPhone(prepared.to) } : {}), at: now });
        log.info({ reason: decision.reason }, 'sms skipped');
        return { outcome: 'skipped', reason: decision.reason };
      }
      const recipient = maskPhone(decision.to);
      let sent;
      try {
        sent = await this.deps.sender.send({ to: decision.to, body: decision.body, reference: d.id });
      } catch (err) {
        const error = describeSmsError(err, decision.to);
        const at = this.clock();
        if (err instanceof SmsNotConfiguredError) {
          await unit.skip(d, { reason: 'not_configured', recipient, at });
          log.info('sms skipped: no provider configured');
          return { outcome: 'skipped', reason: 'not_configured' };
        }
        if (err instanceof SmsRecipientError) {
          await unit.fail(d, { error, recipient, attempt, at, reason: err.reason });
          failure = new UnrecoverableError(error);
          log.warn({ err: error, to: recipient, reason: err.reason }, 'sms refused for this number; not retried');
          return { outcome: 'refused', reason: err.reason };
        }
        await unit.recordFailure(d, { error, recipient, attempt, at });
        if (err instanceof SmsPermanentError) {
          failure = new UnrecoverableError(error);
          log.error({ err: error }, 'sms refused permanently; dead-lettered');
          return { outcome: 'rejected', reason: error };
        }
        failure = new Error(error);
        log.warn({ err: error }, 'sms failed; will retry');
        return { outcome: 'failed', reason: error };
      }
      // If this write fails the transaction rolls back and the job retries: the SMS may go out twice
      // (at-least-once; the provider and PostgreSQL cannot commit together).
      await unit.markSent(d, { externalId: sent.externalId, recipient, attempt, at: this.clock() });
      log.info({ to: recipient, externalId: sent.externalId }, 'sms sent');
      return { outcome: 'sent', externalId: sent.externalId };
    });
    return { result, ...(failure ? { failure } : {}) };
  }

  /** The job will not run again: a still scheduled delivery becomes failed with a `dead_lettered` log row. */
  override async onFailed(job: TypedJob<JobName.SendSms>, err: Error): Promise<boolean> {
    const { deliveryId } = job.data;
    let recorded: boolean;
    try {
      recorded = await this.deps.store.deadLetter(deliveryId, {
        error: maskPhonesIn(redactErrorText(err?.message ?? String(err))),
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
      this.deps.logger.error({ deliveryId, attempts: job.attemptsMade }, 'sms delivery attempts exhausted; dead-lettered');
    }
    return recorded;
  }
}
