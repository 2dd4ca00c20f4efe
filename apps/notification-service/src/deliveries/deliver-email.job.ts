import { UnrecoverableError } from 'bullmq';
import type { MikroORM } from '@mikro-orm/postgresql';
import { IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { Counter, Registry } from 'prom-client';
import type { Logger } from 'pino';
import { DeliverEmailJob, JobName } from '@tally/contracts';
import { redactErrorText } from '@tally/observability';
import { freshEm } from '@tally/persistence';
import { JobProcessor, TypedJob } from '@tally/service-kit';
import { Mailer, isPermanentSmtpError } from '../delivery/mailer';
import type { TemplateService } from '../templates/template.service';
import { EmailTracking, clickUrl, openPixelUrl, withOpenPixel } from '../tracking/tracking-token';
import { absoluteUrl } from './digest';
import type { DeliveryStorePort } from './delivery-store';

export class DeliverEmailJobData implements DeliverEmailJob {
  @IsUUID()
  deliveryId!: string;

  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,100}$/)
  correlationId?: string;
}

export type DeliverEmailOutcome = 'sent' | 'skipped' | 'rejected' | 'failed';

export interface DeliverEmailDeps {
  orm: MikroORM;
  store: DeliveryStorePort;
  templates: Pick<TemplateService, 'render'>;
  mailer: Mailer;
  appPublicUrl: string;
  /** Open/click tracking, when the deployment turns it on. */
  tracking?: EmailTracking;
  logger: Logger;
  registry: Registry;
  clock?: () => Date;
}

interface Person {
  email: string | null;
  email_verified: boolean;
  is_active: boolean;
  first_name: string | null;
  username: string;
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; responseCode?: number; code?: string };
  const code = e?.responseCode ?? e?.code;
  return redactErrorText(`${e?.name ?? 'Error'}${code ? ` (${code})` : ''}: ${e?.message ?? String(err)}`);
}

/**
 * `deliver-email` jobs of `email-delivery`: one planned email delivery (a `notification_deliveries`
 * row) of a notification from a domain event, rendered from its type's email template in the
 * recipient's language (English fallback) and sent over SMTP. Idempotent: with the row locked it
 * sends only while the row is `scheduled` and marks it sent in the same transaction, so a duplicate
 * or replayed job sends nothing. A transient SMTP failure is logged (`notification_logs`, failed)
 * and rethrown for BullMQ's backoff; a permanent one (5xx) fails the delivery at once; once the job
 * will not run again the delivery is dead-lettered (`dead_lettered` log row).
 */
export class DeliverEmailJobProcessor extends JobProcessor<JobName.DeliverEmail, { outcome: DeliverEmailOutcome; reason?: string }> {
  readonly name = JobName.DeliverEmail;
  protected readonly dataClass = DeliverEmailJobData;
  private readonly clock: () => Date;
  private readonly runs: Counter<'outcome'>;
  private readonly deadLettered: Counter;

  constructor(private readonly deps: DeliverEmailDeps) {
    super();
    this.clock = deps.clock ?? (() => new Date());
    const registers = [deps.registry];
    this.runs = new Counter({ name: 'notification_email_jobs_total', help: 'Notification email deliveries by outcome', labelNames: ['outcome'], registers });
    this.deadLettered = new Counter({ name: 'notification_email_dead_lettered_total', help: 'Notification email deliveries whose attempts were exhausted', registers });
  }

  async process(job: TypedJob<JobName.DeliverEmail>): Promise<{ outcome: DeliverEmailOutcome; reason?: string }> {
    const result = await this.deliver(job.data.deliveryId, job.attemptsMade + 1).catch((err) => {
      this.runs.inc({ outcome: err instanceof UnrecoverableError ? 'rejected' : 'failed' });
      throw err;
    });
    this.runs.inc({ outcome: result.outcome });
    return result;
  }

  /** Who it goes to and what it says, read before the row is locked (rendering needs no lock). */
  private async prepare(deliveryId: string) {
    const em = freshEm(this.deps.orm);
    const conn = em.getConnection();
    const rows = await conn.execute<{ user_id: string; sender_id: string | null; notification_type: string; title: string; message: string; action_url: string | null; metadata: Record<string, unknown> }[]>(
      `SELECT d.user_id, n.sender_id, n.notification_type, n.title, n.message, n.action_url, n.metadata
         FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id WHERE d.id = ?`,
      [deliveryId],
    );
    const row = rows[0];
    if (!row) return null;
    const ids = [row.user_id, ...(row.sender_id ? [row.sender_id] : [])];
    const people = new Map((await conn.execute<(Person & { id: string })[]>(
      `SELECT id, email, email_verified, is_active, first_name, username FROM users WHERE id IN (?)`, [ids],
    )).map((p) => [p.id, p]));
    const recipient = people.get(row.user_id) ?? null;
    const sender = row.sender_id ? people.get(row.sender_id) : undefined;
    const name = (p: Person | null | undefined) => p?.first_name?.trim() || p?.username || null;
    const rendered = await this.deps.templates.render(em, {
      type: row.notification_type,
      channel: 'email',
      language: null,
      vars: {
        title: row.title, message: row.message,
        actionUrl: this.deps.tracking && row.action_url ? clickUrl(this.deps.tracking, deliveryId) : absoluteUrl(this.deps.appPublicUrl, row.action_url),
        recipientName: name(recipient), senderName: name(sender), metadata: row.metadata ?? {},
      },
    });
    if (this.deps.tracking && rendered.html) rendered.html = withOpenPixel(rendered.html, openPixelUrl(this.deps.tracking, deliveryId));
    return { recipient, rendered };
  }

  private async deliver(deliveryId: string, attempt: number): Promise<{ outcome: DeliverEmailOutcome; reason?: string }> {
    const log = this.deps.logger.child({ deliveryId, attempt });
    const prepared = await this.prepare(deliveryId);
    let failure: Error | undefined;
    const result = await this.deps.store.withLocked(deliveryId, async (row, unit): Promise<{ outcome: DeliverEmailOutcome; reason?: string }> => {
      const now = this.clock();
      if (!row || !prepared) return { outcome: 'skipped', reason: 'not_found' };
      const d = row.delivery;
      if (d.status !== 'scheduled') return { outcome: 'skipped', reason: `already ${d.status}` };
      if (d.channel !== 'email') {
        failure = new UnrecoverableError(`delivery ${d.id} is a ${d.channel} delivery`);
        return { outcome: 'rejected', reason: failure.message };
      }
      const to = prepared.recipient;
      if (!to?.email || !to.email_verified || !to.is_active) {
        await unit.skip(d, { reason: 'no verified email address', at: now });
        log.info('email not sent: the recipient has no verified address now');
        return { outcome: 'skipped', reason: 'no verified email address' };
      }
      const { subject, text, html } = prepared.rendered;
      try {
        const sent = await this.deps.mailer.send({
          to: to.email, subject: subject ?? 'Tally', text, ...(html ? { html } : {}),
          headers: { 'X-Tally-Notification-Id': d.notificationId, 'X-Tally-Delivery-Id': d.id },
        });
        // If this write fails the transaction rolls back and the job retries: the email may then go
        // out twice (at-least-once; SMTP and PostgreSQL cannot commit together).
        await unit.markSent(d, { externalId: sent.messageId, recipient: to.email, attempt, at: this.clock() });
        log.info({ messageId: sent.messageId }, 'notification email sent');
        return { outcome: 'sent' };
      } catch (err) {
        const error = describe(err);
        if (isPermanentSmtpError(err)) {
          await unit.fail(d, { error, recipient: to.email, attempt, at: this.clock(), reason: 'smtp_permanent', bounced: true });
          failure = new UnrecoverableError(error);
          log.error({ err: error }, 'SMTP server refused the email permanently');
          return { outcome: 'rejected', reason: error };
        }
        await unit.recordFailure(d, { error, recipient: to.email, attempt, at: this.clock() });
        failure = err instanceof Error ? err : new Error(error);
        log.warn({ err: error }, 'notification email failed; will retry');
        return { outcome: 'failed', reason: error };
      }
    });
    if (failure) throw failure;
    return result;
  }

  override async onFailed(job: TypedJob<JobName.DeliverEmail>, err: Error): Promise<boolean> {
    const recorded = await this.deps.store.deadLetter(job.data.deliveryId, {
      error: describe(err), attempts: job.attemptsMade, ...(job.id ? { jobId: job.id } : {}), at: this.clock(),
    }).catch((e) => {
      this.deps.logger.error({ err: redactErrorText((e as Error).message), deliveryId: job.data.deliveryId }, 'could not record the dead letter');
      return false;
    });
    if (recorded) {
      this.deadLettered.inc();
      this.deps.logger.error({ deliveryId: job.data.deliveryId, attempts: job.attemptsMade }, 'notification email attempts exhausted; dead-lettered');
    }
    return recorded;
  }
}
