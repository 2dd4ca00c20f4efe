import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { IsOptional, IsString, Matches } from 'class-validator';
import { Counter, Registry } from 'prom-client';
import type { Logger } from 'pino';
import { JobName, SendDigestsJob } from '@tally/contracts';
import { redactErrorText } from '@tally/observability';
import { inTransaction } from '@tally/persistence';
import { JobProcessor, TypedJob } from '@tally/service-kit';
import type { Mailer } from '../delivery/mailer';
import { absoluteUrl, renderDigest } from './digest';

export class SendDigestsJobData implements SendDigestsJob {
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,100}$/)
  correlationId?: string;
}

export interface SendDigestsDeps {
  orm: MikroORM;
  mailer: Mailer;
  appPublicUrl: string;
  logger: Logger;
  registry: Registry;
  /** Recipients handled per run (the next run takes the rest). */
  batchSize?: number;
  clock?: () => Date;
}

export interface DigestRunResult {
  sent: number;
  skipped: number;
  failed: number;
}

interface Row {
  id: string;
  notification_id: string;
  title: string;
  message: string;
  action_url: string | null;
  created_at: Date;
  frequency: string | null;
}

/**
 * `send-digests` (a repeating job on `email-delivery`): every recipient whose digest is due gets
 * their waiting email deliveries (status scheduled, `digest_at` passed) as one email. Per
 * recipient, in one transaction: the rows are locked (SKIP LOCKED: two workers never take the same
 * ones), the email sent over SMTP, and the rows marked `digested` with a `sent` log row per
 * notification, so a digest goes out once; if SMTP fails the rows stay scheduled (their attempts
 * and error recorded) and the next run tries again. A recipient without a verified address any
 * more has the rows skipped.
 */
export class SendDigestsJobProcessor extends JobProcessor<JobName.SendDigests, DigestRunResult> {
  readonly name = JobName.SendDigests;
  protected readonly dataClass = SendDigestsJobData;
  private readonly clock: () => Date;
  private readonly digests: Counter<'outcome'>;

  constructor(private readonly deps: SendDigestsDeps) {
    super();
    this.clock = deps.clock ?? (() => new Date());
    this.digests = new Counter({ name: 'digest_emails_total', help: 'Digest emails by outcome', labelNames: ['outcome'], registers: [deps.registry] });
  }

  process(_job: TypedJob<JobName.SendDigests>): Promise<DigestRunResult> {
    return this.runOnce();
  }

  /** Sends every due digest (up to the batch size of recipients). */
  async runOnce(): Promise<DigestRunResult> {
    const now = this.clock();
    const users = await this.deps.orm.em.getConnection().execute<{ user_id: string }[]>(
      `SELECT user_id FROM notification_deliveries
        WHERE status = 'scheduled' AND channel = 'email' AND digest_at IS NOT NULL AND digest_at <= ?
        GROUP BY user_id ORDER BY min(digest_at) LIMIT ?`,
      [now, this.deps.batchSize ?? 200],
    );
    const result: DigestRunResult = { sent: 0, skipped: 0, failed: 0 };
    for (const { user_id } of users) {
      const outcome = await this.digestFor(user_id, now).catch(async (err) => {
        const error = redactErrorText(`${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`).slice(0, 2000);
        this.deps.logger.warn({ userId: user_id, err: error }, 'digest not sent; the next run retries');
        await this.deps.orm.em.getConnection().execute(
          `UPDATE notification_deliveries SET attempts = attempts + 1, last_error = ?, updated_at = now()
            WHERE user_id = ? AND status = 'scheduled' AND channel = 'email' AND digest_at IS NOT NULL AND digest_at <= ?`,
          [error, user_id, now],
        ).catch(() => undefined);
        return 'failed' as const;
      });
      result[outcome]++;
      this.digests.inc({ outcome });
    }
    return result;
  }

  private digestFor(userId: string, now: Date): Promise<'sent' | 'skipped'> {
    return inTransaction(this.deps.orm, async (em) => {
      const conn = em.getConnection();
      const tx = em.getTransactionContext();
      const rows = await conn.execute<Row[]>(
        `SELECT d.id, d.notification_id, n.title, n.message, n.action_url, n.created_at, p.frequency_limit AS frequency
           FROM notification_deliveries d
           JOIN notifications n ON n.id = d.notification_id
           LEFT JOIN notification_preferences p ON p.user_id = d.user_id AND p.notification_type = n.notification_type
          WHERE d.user_id = ? AND d.status = 'scheduled' AND d.channel = 'email' AND d.digest_at IS NOT NULL AND d.digest_at <= ?
          ORDER BY n.created_at, n.id
          FOR UPDATE OF d SKIP LOCKED`,
        [userId, now], 'all', tx,
      );
      if (!rows.length) return 'skipped';
      const users = await conn.execute<{ email: string | null; email_verified: boolean; is_active: boolean; first_name: string | null; username: string }[]>(
        `SELECT email, email_verified, is_active, first_name, username FROM users WHERE id = ?`, [userId], 'all', tx,
      );
      const u = users[0];
      const ids = rows.map((r) => r.id);
      if (!u?.email || !u.email_verified || !u.is_active) {
        await conn.execute(
          `UPDATE notification_deliveries SET status = 'skipped', last_error = 'no verified email address', updated_at = now() WHERE id IN (?)`, [ids], 'run', tx,
        );
        return 'skipped';
      }
      const frequencies = [...new Set(rows.map((r) => r.frequency ?? 'daily'))];
      const email = renderDigest(u.first_name ?? u.username, frequencies.length === 1 ? frequencies[0] : 'as you chose', rows.map((r) => ({
        title: r.title, message: r.message, url: absoluteUrl(this.deps.appPublicUrl, r.action_url), createdAt: new Date(r.created_at),
      })));
      const digestId = randomUUID();
      // Sent inside the transaction that marks the rows: if the commit then fails the digest may go
      // out twice (at-least-once; SMTP and PostgreSQL cannot commit together), never not at all.
      const sent = await this.deps.mailer.send({ to: u.email, ...email, headers: { 'X-Tally-Digest-Id': digestId } });
      const at = this.clock();
      await conn.execute(
        `UPDATE notification_deliveries SET status = 'digested', sent_at = ?, attempts = attempts + 1, last_error = NULL, updated_at = now() WHERE id IN (?)`,
        [at, ids], 'run', tx,
      );
      const values: unknown[] = [];
      for (const r of rows) values.push(randomUUID(), r.notification_id, u.email, sent.messageId.slice(0, 255), at, JSON.stringify({ digestId, deliveryId: r.id }), at, at);
      await conn.execute(
        `INSERT INTO notification_logs (id, notification_id, delivery_method, recipient, status, external_id, sent_at, metadata, created_at, updated_at)
         VALUES ${rows.map(() => `(?, ?, 'email', ?, 'sent', ?, ?, ?::jsonb, ?, ?)`).join(', ')}`,
        values, 'run', tx,
      );
      await conn.execute(
        `UPDATE notifications SET is_sent = TRUE, sent_at = COALESCE(sent_at, ?), delivery_status = 'sent', updated_at = now() WHERE id IN (?)`,
        [at, [...new Set(rows.map((r) => r.notification_id))]], 'run', tx,
      );
      this.deps.logger.info({ userId, digestId, notifications: rows.length, messageId: sent.messageId }, 'digest sent');
      return 'sent';
    });
  }
}
