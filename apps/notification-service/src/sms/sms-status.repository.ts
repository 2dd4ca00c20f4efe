import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { SMS_LOG_RANK, SmsLogTarget } from './sms-status';

export type SmsStatusOutcome = 'updated' | 'unchanged' | 'unknown';

async function sql<T = Record<string, unknown>>(em: EntityManager, query: string, params: unknown[]): Promise<T[]> {
  return em.getConnection().execute<T[]>(query, params, 'all', em.getTransactionContext());
}

/**
 * What Twilio's status callbacks change: the `sent` log row of an SMS (`notification_logs`,
 * `delivery_method = 'sms'`, `external_id` = the message sid) moves to `delivered` or `failed`,
 * forward only (`SMS_LOG_RANK`): a late `sent` after `delivered` and a repeated callback change nothing.
 */
@Injectable()
export class SmsStatusRepository {
  /**
   * Applies one callback, in the caller's transaction. `deliveryId` (our reference in the callback
   * URL) is locked first: the worker holds that row from before it asks Twilio until its `sent` log
   * row commits, so a callback that overtakes the commit waits for it instead of finding no row.
   */
  async apply(
    em: EntityManager,
    c: { sid: string; deliveryId: string | null; target: SmsLogTarget; providerStatus: string; errorCode: number | null; errorMessage: string | null; at: Date },
  ): Promise<SmsStatusOutcome> {
    if (c.deliveryId) {
      await sql(em, `SET LOCAL lock_timeout = '5s'`, []);
      await sql(em, `SELECT id FROM notification_deliveries WHERE id = ? FOR UPDATE`, [c.deliveryId]);
    }
    const rows = await sql<{ id: string; status: string }>(em,
      `SELECT id, status FROM notification_logs WHERE external_id = ? AND delivery_method = 'sms' ORDER BY created_at DESC LIMIT 1 FOR UPDATE`, [c.sid]);
    const row = rows[0];
    if (!row) return 'unknown';
    const rank = SMS_LOG_RANK[row.status as SmsLogTarget] ?? Number.POSITIVE_INFINITY;
    if (SMS_LOG_RANK[c.target] <= rank) return 'unchanged';
    const meta = JSON.stringify({ providerStatus: c.providerStatus, ...(c.errorCode !== null ? { errorCode: c.errorCode } : {}), statusAt: c.at.toISOString() });
    if (c.target === 'delivered') {
      await sql(em, `UPDATE notification_logs SET status = 'delivered', delivered_at = COALESCE(delivered_at, ?), metadata = metadata || ?::jsonb, updated_at = ? WHERE id = ?`,
        [c.at, meta, c.at, row.id]);
    } else {
      await sql(em, `UPDATE notification_logs SET status = 'failed', error_message = ?, metadata = metadata || ?::jsonb, updated_at = ? WHERE id = ?`,
        [c.errorMessage, meta, c.at, row.id]);
    }
    return 'updated';
  }
}
