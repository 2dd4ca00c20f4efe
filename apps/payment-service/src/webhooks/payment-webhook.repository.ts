import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { TimeIdCursor } from '@tally/service-kit';

export const WEBHOOK_STATUSES = ['received', 'processing', 'processed', 'ignored', 'failed'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** A row of `payment_webhooks`: one provider event, stored once (UNIQUE event_id). */
export interface PaymentWebhook {
  id: string;
  /** The provider: 'stripe' | 'sandbox'. */
  service: string;
  eventId: string;
  eventType: string;
  /** The verified body as the provider sent it. */
  rawPayload: Record<string, unknown>;
  /** What applying it did (reported status, from, to, settlement effect), or why it was ignored. */
  processedPayload: Record<string, unknown>;
  status: WebhookStatus;
  processedAt: Date | null;
  paymentId: string | null;
  errorMessage: string | null;
  retryCount: number;
  createdAt: Date;
  updatedAt: Date;
}

const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const json = (v: unknown): Record<string, unknown> => (typeof v === 'string' ? JSON.parse(v) : (v ?? {})) as Record<string, unknown>;

function toWebhook(r: Record<string, unknown>): PaymentWebhook {
  return {
    id: String(r.id), service: String(r.service), eventId: String(r.event_id), eventType: String(r.event_type),
    rawPayload: json(r.raw_payload), processedPayload: json(r.processed_payload), status: r.status as WebhookStatus,
    processedAt: r.processed_at ? date(r.processed_at) : null, paymentId: (r.payment_id as string | null) ?? null,
    errorMessage: (r.error_message as string | null) ?? null, retryCount: Number(r.retry_count), createdAt: date(r.created_at), updatedAt: date(r.updated_at),
  };
}

/** The only code that touches `payment_webhooks`. */
@Injectable()
export class PaymentWebhookRepository {
  private async rows(em: EntityManager, sql: string, params: unknown[]): Promise<PaymentWebhook[]> {
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(sql, params, 'all', em.getTransactionContext());
    return rows.map(toWebhook);
  }

  /**
   * Stores the event once: `INSERT ... ON CONFLICT (event_id) DO NOTHING`, then the row that holds the
   * event id. Concurrent deliveries of one event wait on the unique index and all get the same row.
   */
  async insertOnce(em: EntityManager, w: Pick<PaymentWebhook, 'id' | 'service' | 'eventId' | 'eventType' | 'rawPayload' | 'status'> & { processedPayload?: Record<string, unknown> }): Promise<{ webhook: PaymentWebhook; inserted: boolean }> {
    const [inserted] = await this.rows(
      em,
      `INSERT INTO payment_webhooks (id, service, event_id, event_type, raw_payload, processed_payload, status, processed_at)
       VALUES (?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, CASE WHEN ? = 'ignored' THEN clock_timestamp() END)
       ON CONFLICT (event_id) DO NOTHING RETURNING *`,
      [w.id, w.service, w.eventId, w.eventType, JSON.stringify(w.rawPayload), JSON.stringify(w.processedPayload ?? {}), w.status, w.status],
    );
    if (inserted) return { webhook: inserted, inserted: true };
    const [existing] = await this.rows(em, `SELECT * FROM payment_webhooks WHERE event_id = ?`, [w.eventId]);
    if (!existing) throw new Error(`webhook ${w.eventId} neither inserted nor found`);
    return { webhook: existing, inserted: false };
  }

  async findById(em: EntityManager, id: string): Promise<PaymentWebhook | null> {
    return (await this.rows(em, `SELECT * FROM payment_webhooks WHERE id = ?`, [id]))[0] ?? null;
  }

  /** The row locked for the transaction (one worker applies it at a time). */
  async lock(em: EntityManager, id: string): Promise<PaymentWebhook | null> {
    return (await this.rows(em, `SELECT * FROM payment_webhooks WHERE id = ? FOR UPDATE`, [id]))[0] ?? null;
  }

  /** Applied (`processed`) or deliberately not (`ignored`): final, with what it did. */
  async finish(em: EntityManager, id: string, r: { status: 'processed' | 'ignored'; paymentId: string | null; processedPayload: Record<string, unknown> }): Promise<void> {
    await em.getConnection().execute(
      `UPDATE payment_webhooks SET status = ?, payment_id = ?, processed_payload = ?::jsonb, processed_at = clock_timestamp(), error_message = NULL, updated_at = clock_timestamp()
        WHERE id = ?`,
      [r.status, r.paymentId, JSON.stringify(r.processedPayload), id], 'run', em.getTransactionContext(),
    );
  }

  /** An attempt failed: `failed`, one more retry counted, the (redacted) reason. Never touches a finished row. */
  async recordFailure(em: EntityManager, id: string, message: string): Promise<void> {
    await em.getConnection().execute(
      `UPDATE payment_webhooks SET status = 'failed', retry_count = retry_count + 1, error_message = ?, updated_at = clock_timestamp()
        WHERE id = ? AND status NOT IN ('processed', 'ignored')`,
      [message, id], 'run', em.getTransactionContext(),
    );
  }

  /** Back to `received` for a replay, when it failed (or was stored and never queued). Null when it is not replayable. */
  async resetForReplay(em: EntityManager, id: string): Promise<PaymentWebhook | null> {
    return (await this.rows(
      em,
      `UPDATE payment_webhooks SET status = 'received', updated_at = clock_timestamp() WHERE id = ? AND status IN ('failed', 'received') RETURNING *`,
      [id],
    ))[0] ?? null;
  }

  /** Newest first (ties by id), after the cursor, optionally of one status and provider. */
  async list(em: EntityManager, q: { status?: WebhookStatus; service?: string; after?: TimeIdCursor; take: number }): Promise<PaymentWebhook[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.status) {
      where.push('status = ?');
      params.push(q.status);
    }
    if (q.service) {
      where.push('service = ?');
      params.push(q.service);
    }
    if (q.after) {
      where.push('(created_at, id) < (?, ?)');
      params.push(q.after.at, q.after.id);
    }
    params.push(q.take);
    return this.rows(em, `SELECT * FROM payment_webhooks${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`, params);
  }
}
