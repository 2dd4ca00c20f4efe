import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

export interface StoredIdempotentRequest {
  method: string;
  path: string;
  requestHash: string;
  /** 0 while the first request is in flight (never seen committed: the answer is stored in the same transaction). */
  statusCode: number;
  responseBody: unknown;
}

/** The only code that touches `idempotency_keys`. */
@Injectable()
export class IdempotencyRepository {
  /**
   * Takes the key for this request: inserts its row, or takes over an expired one. True when this
   * transaction now holds the key; false when a live row exists (committed by another request). When
   * another transaction holds an uncommitted row for the key, this waits on the primary key until it
   * commits (false) or rolls back (true).
   */
  async claim(em: EntityManager, row: { userId: string; key: string; method: string; path: string; requestHash: string; ttlSeconds: number }): Promise<boolean> {
    const rows = await em.getConnection().execute<{ user_id: string }[]>(
      `INSERT INTO idempotency_keys (user_id, idempotency_key, method, path, request_hash, status_code, response_body, expires_at)
       VALUES (?, ?, ?, ?, ?, 0, '{}'::jsonb, clock_timestamp() + make_interval(secs => ?))
       ON CONFLICT (user_id, idempotency_key) DO UPDATE SET method = EXCLUDED.method, path = EXCLUDED.path, request_hash = EXCLUDED.request_hash,
         status_code = 0, response_body = '{}'::jsonb, created_at = clock_timestamp(), expires_at = EXCLUDED.expires_at
       WHERE idempotency_keys.expires_at <= clock_timestamp()
       RETURNING user_id`,
      [row.userId, row.key, row.method, row.path, row.requestHash, row.ttlSeconds], 'all', em.getTransactionContext(),
    );
    return rows.length > 0;
  }

  async find(em: EntityManager, userId: string, key: string): Promise<StoredIdempotentRequest | null> {
    const rows = await em.getConnection().execute<{ method: string; path: string; request_hash: string; status_code: number; response_body: unknown }[]>(
      `SELECT method, path, request_hash, status_code, response_body FROM idempotency_keys
        WHERE user_id = ? AND idempotency_key = ? AND expires_at > clock_timestamp()`,
      [userId, key], 'all', em.getTransactionContext(),
    );
    const r = rows[0];
    return r ? { method: r.method, path: r.path, requestHash: r.request_hash, statusCode: Number(r.status_code), responseBody: r.response_body } : null;
  }

  /** Stores the answer on the row this transaction claimed. */
  async complete(em: EntityManager, userId: string, key: string, statusCode: number, body: unknown): Promise<void> {
    await em.getConnection().execute(
      `UPDATE idempotency_keys SET status_code = ?, response_body = ?::jsonb WHERE user_id = ? AND idempotency_key = ?`,
      [statusCode, JSON.stringify(body ?? null), userId, key], 'run', em.getTransactionContext(),
    );
  }

  /** Deletes up to `batch` expired rows (skipping any a request holds at this moment); how many it deleted. */
  async pruneExpired(em: EntityManager, batch: number): Promise<number> {
    const res = await em.getConnection().execute<{ affectedRows?: number }>(
      `DELETE FROM idempotency_keys WHERE (user_id, idempotency_key) IN (
         SELECT user_id, idempotency_key FROM idempotency_keys WHERE expires_at < clock_timestamp() ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED)`,
      [batch], 'run', em.getTransactionContext(),
    );
    return Number(res.affectedRows ?? 0);
  }
}
