import { UnrecoverableError } from 'bullmq';
import { IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { Counter, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';
import { JobName, SendEmailJob } from '@tally/contracts';
import { redactErrorText } from '@tally/observability';
import { JobProcessor, TypedJob } from '@tally/service-kit';
import { decideEmailDelivery } from './delivery-decision';
import type { DeliveryStore } from './delivery.repository';
import { RenderError, renderNotificationEmail } from './email-renderer';
import { Mailer, isPermanentSmtpError } from './mailer';

/** `SendEmailJob` as it must look on arrival; job data is an input like any other. */
export class SendEmailJobData implements SendEmailJob {
  @IsUUID()
  notificationId!: string;

  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,100}$/)
  correlationId?: string;
}

export type EmailJobOutcome = 'sent' | 'skipped' | 'expired' | 'rejected' | 'failed';

export interface EmailJobResult {
  outcome: EmailJobOutcome;
  reason?: string;
  messageId?: string;
}

export interface SendEmailJobDeps {
  store: DeliveryStore;
  mailer: Mailer;
  appPublicUrl: string;
  logger: Logger;
  /** Where its metrics go (the worker's /metrics). */
  registry: Registry;
  clock?: () => Date;
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; responseCode?: number; code?: string };
  const code = e?.responseCode ?? e?.code;
  // Stored in notification_logs and logged: an SMTP or SQL error's text may quote a recipient or a token.
  return redactErrorText(`${e?.name ?? 'Error'}${code ? ` (${code})` : ''}: ${e?.message ?? String(err)}`);
}

/**
 * `send-email` jobs of the `email-delivery` queue: one notification's email over SMTP.
 * Idempotent: with the notification row locked it decides (`decideEmailDelivery`), sends only if
 * the notification is still pending, and marks it sent in the same transaction, so a duplicate or
 * replayed job sends nothing. A failed send is logged (`notification_logs`, status failed) and
 * rethrown so BullMQ retries with backoff; `onFailed` dead-letters the notification once the job
 * will not run again.
 *
 * Metrics: email_jobs_total and email_job_duration_seconds by outcome, email_dead_lettered_total.
 */
export class SendEmailJobProcessor extends JobProcessor<JobName.SendEmail, EmailJobResult> {
  readonly name = JobName.SendEmail;
  protected readonly dataClass = SendEmailJobData;
  private readonly clock: () => Date;
  private readonly runs: Counter<'outcome'>;
  private readonly seconds: Histogram<'outcome'>;
  private readonly deadLettered: Counter;

  constructor(private readonly deps: SendEmailJobDeps) {
    super();
    this.clock = deps.clock ?? (() => new Date());
    const registers = [deps.registry];
    this.runs = new Counter({ name: 'email_jobs_total', help: 'Email job runs by outcome', labelNames: ['outcome'], registers });
    this.seconds = new Histogram({
      name: 'email_job_duration_seconds', help: 'Email job run time (render, SMTP, database)', labelNames: ['outcome'], registers,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.deadLettered = new Counter({ name: 'email_dead_lettered_total', help: 'Notifications whose email attempts were exhausted', registers });
  }

  async process(job: TypedJob<JobName.SendEmail>): Promise<EmailJobResult> {
    const started = Date.now();
    const observe = (outcome: EmailJobOutcome) => {
      this.runs.inc({ outcome });
      this.seconds.observe({ outcome }, (Date.now() - started) / 1000);
    };
    const result = await this.deliver(job.data.notificationId, job.attemptsMade + 1).catch((err) => {
      observe(err instanceof UnrecoverableError ? 'rejected' : 'failed');
      throw err;
    });
    observe(result.outcome);
    return result;
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
   * The job will not run again (attempts exhausted, or unrecoverable): the notification is marked
   * failed and a `dead_lettered` log row written, the record an operator reads. Idempotent: a
   * notification already sent, failed or gone is left alone. Returns whether it recorded one.
   */
  override async onFailed(job: TypedJob<JobName.SendEmail>, err: Error): Promise<boolean> {
    const { notificationId } = job.data;
    let recorded: boolean;
    try {
      recorded = await this.deps.store.deadLetter(notificationId, {
        error: describe(err),
        attempts: job.attemptsMade,
        ...(job.id ? { jobId: job.id } : {}),
        at: this.clock(),
      });
    } catch (e) {
      this.deps.logger.error({ err: redactErrorText((e as Error).message), notificationId, jobId: job.id }, 'could not record the dead letter; the sweeper will requeue the notification');
      return false;
    }
    if (recorded) {
      this.deadLettered.inc();
      this.deps.logger.error({ notificationId, attempts: job.attemptsMade, err: redactErrorText(err?.message ?? '') }, 'email delivery attempts exhausted; dead-lettered');
    }
    return recorded;
  }
}
