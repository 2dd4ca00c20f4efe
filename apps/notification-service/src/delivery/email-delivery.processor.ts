import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { JobName } from '@tally/contracts';
import { newTraceparent, runWithContext, sanitizeCorrelationId } from '@tally/observability';
import { decideEmailDelivery } from './delivery-decision';
import type { DeliveryStore } from './delivery.repository';
import { RenderError, renderNotificationEmail } from './email-renderer';
import { Mailer, isPermanentSmtpError } from './mailer';
import { parseSendEmailJob } from './send-email.job';

/** The parts of a BullMQ job the processor reads (a real `Job` fits; tests pass plain objects). */
export interface EmailJobLike {
  id?: string;
  name: string;
  data: unknown;
  /** Attempts already made before this one. */
  attemptsMade: number;
  opts: { attempts?: number };
}

export type EmailJobOutcome = 'sent' | 'skipped' | 'expired' | 'rejected' | 'failed';

export interface EmailJobResult {
  outcome: EmailJobOutcome;
  reason?: string;
  messageId?: string;
}

export interface EmailDeliveryProcessorDeps {
  store: DeliveryStore;
  mailer: Mailer;
  appPublicUrl: string;
  logger: Logger;
  clock?: () => Date;
  /** Called once per job run with its outcome (metrics). */
  onOutcome?: (outcome: EmailJobOutcome, seconds: number) => void;
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; responseCode?: number; code?: string };
  const code = e?.responseCode ?? e?.code;
  return `${e?.name ?? 'Error'}${code ? ` (${code})` : ''}: ${e?.message ?? String(err)}`;
}

/**
 * Handles `send-email` jobs of the `email-delivery` queue. Idempotent: with the notification row
 * locked it decides (`decideEmailDelivery`), sends only if the notification is still pending,
 * and marks it sent in the same transaction, so a duplicate or replayed job sends nothing.
 * A failed send is logged (`notification_logs`, status failed) and rethrown so BullMQ retries with
 * backoff; `onFailed` dead-letters the notification once attempts are exhausted.
 */
export class EmailDeliveryProcessor {
  private readonly clock: () => Date;

  constructor(private readonly deps: EmailDeliveryProcessorDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async process(job: EmailJobLike): Promise<EmailJobResult> {
    if (job.name !== JobName.SendEmail) throw new UnrecoverableError(`unknown job name ${job.name}`);
    const data = parseSendEmailJob(job.data);
    const ctx = { correlationId: sanitizeCorrelationId(data.correlationId), traceparent: newTraceparent() };
    return runWithContext(ctx, async () => {
      const started = Date.now();
      const result = await this.deliver(data.notificationId, job.attemptsMade + 1).catch((err) => {
        this.deps.onOutcome?.(err instanceof UnrecoverableError ? 'rejected' : 'failed', (Date.now() - started) / 1000);
        throw err;
      });
      this.deps.onOutcome?.(result.outcome, (Date.now() - started) / 1000);
      return result;
    });
  }

  private async deliver(notificationId: string, attempt: number): Promise<EmailJobResult> {
    const log = this.deps.logger.child({ notificationId, attempt });
    let failure: Error | undefined;
    const result = await this.deps.store.withLocked(notificationId, async (n, unit): Promise<EmailJobResult> => {
      const now = this.clock();
      const decision = decideEmailDelivery(n, now);
      if (decision.action === 'skip') {
        log.info({ reason: decision.reason }, 'email not sent: nothing to do');
        return { outcome: 'skipped', reason: decision.reason };
      }
      if (decision.action === 'expire') {
        await unit.markExpired(n!, now);
        log.warn('email not sent: expired before delivery');
        return { outcome: 'expired' };
      }
      if (decision.action === 'reject') {
        await unit.reject(n!, { error: decision.reason, attempt, at: now });
        failure = new UnrecoverableError(decision.reason);
        log.error({ reason: decision.reason }, 'email cannot be sent; dead-lettered');
        return { outcome: 'rejected', reason: decision.reason };
      }
      let email;
      try {
        email = renderNotificationEmail(n!, this.deps.appPublicUrl);
      } catch (err) {
        if (!(err instanceof RenderError)) throw err;
        await unit.reject(n!, { error: err.message, attempt, at: now });
        failure = new UnrecoverableError(err.message);
        log.error({ reason: err.message }, 'email cannot be rendered; dead-lettered');
        return { outcome: 'rejected', reason: err.message };
      }
      let sent;
      try {
        sent = await this.deps.mailer.send({ to: n!.recipient!, ...email, headers: { 'X-Tally-Notification-Id': n!.id } });
      } catch (err) {
        const error = describe(err);
        if (isPermanentSmtpError(err)) {
          await unit.reject(n!, { error, attempt, at: this.clock() });
          failure = new UnrecoverableError(error);
          log.error({ err: error }, 'SMTP server refused the email permanently; dead-lettered');
          return { outcome: 'rejected', reason: error };
        }
        await unit.recordFailure(n!, { error, attempt, at: this.clock() });
        failure = err instanceof Error ? err : new Error(error);
        log.warn({ err: error }, 'email send failed; will retry');
        return { outcome: 'failed', reason: error };
      }
      // If this write fails the transaction rolls back and the job retries: the email may then go
      // out twice (at-least-once; nothing can make SMTP and PostgreSQL commit together).
      await unit.markSent(n!, { sent, attempt, at: this.clock() });
      log.info({ messageId: sent.messageId }, 'email sent');
      return { outcome: 'sent', messageId: sent.messageId };
    });
    // The failure is recorded (committed); now fail the job so BullMQ retries or stops.
    if (failure) throw failure;
    return result;
  }

  /**
   * BullMQ's `failed` event. Once the job will not run again (attempts exhausted, or an
   * unrecoverable error) the notification is marked failed and a `dead_lettered` log row written:
   * the dead-letter record an operator reads. Idempotent.
   */
  async onFailed(job: EmailJobLike, err: Error): Promise<boolean> {
    const attempts = job.opts.attempts ?? 1;
    const final = job.attemptsMade >= attempts || err instanceof UnrecoverableError || err?.name === 'UnrecoverableError';
    if (!final) return false;
    let data: ReturnType<typeof parseSendEmailJob>;
    try {
      data = parseSendEmailJob(job.data);
    } catch {
      this.deps.logger.error({ jobId: job.id, err: err?.message }, 'malformed email job failed');
      return false;
    }
    return runWithContext({ correlationId: sanitizeCorrelationId(data.correlationId) }, async () => {
      const recorded = await this.deps.store.deadLetter(data.notificationId, {
        error: describe(err),
        attempts: job.attemptsMade,
        ...(job.id ? { jobId: job.id } : {}),
        at: this.clock(),
      });
      if (recorded) {
        this.deps.logger.error({ notificationId: data.notificationId, attempts: job.attemptsMade, err: err?.message }, 'email delivery attempts exhausted; dead-lettered');
      }
      return recorded;
    });
  }
}
