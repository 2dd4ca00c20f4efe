import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Notification } from './notification.entity';

export interface PendingDelivery {
  id: string;
  correlationId?: string;
}

/** The only code that touches `notifications`; every method takes the EntityManager first. */
@Injectable()
export class NotificationRepository {
  /** Inside the caller's transaction (a Kafka handler's `ctx.em`): commits with the inbox record. */
  async insert(em: EntityManager, notification: Notification): Promise<void> {
    em.persist(notification);
    await em.flush();
  }

  /**
   * The active account whose verified address is `email` (case-insensitive), from the identity
   * projection (`users`, kept with addresses here). Read-only; null when there is none, or not exactly
   * one. In the caller's transaction. (The projection's writer is libs/identity's repository; this
   * read belongs there once it offers one that this module can inject.)
   */
  async findVerifiedAccountByEmail(em: EntityManager, email: string): Promise<string | null> {
    const rows = await em.getConnection().execute<{ id: string }[]>(
      `SELECT id FROM users WHERE lower(email) = lower(?) AND email_verified AND is_active LIMIT 2`,
      [email],
      'all',
      em.getTransactionContext(),
    );
    return rows.length === 1 ? rows[0].id : null;
  }

  /** A user's notifications, newest first. */
  async findForUser(em: EntityManager, userId: string, limit: number, offset: number): Promise<[Notification[], number]> {
    return em.findAndCount(
      Notification,
      { userId },
      { orderBy: { createdAt: 'desc', id: 'asc' }, limit, offset },
    );
  }

  /** Notifications still waiting for delivery, created before `createdBefore`, oldest first. */
  async findPendingDeliveries(em: EntityManager, createdBefore: Date, limit: number): Promise<PendingDelivery[]> {
    const rows = await em.getConnection().execute<{ id: string; correlation_id: string | null }[]>(
      `SELECT id, metadata->>'correlationId' AS correlation_id FROM notifications
        WHERE delivery_status = 'pending' AND created_at < ? AND delivery_channels @> '["email"]'::jsonb
        ORDER BY created_at LIMIT ?`,
      [createdBefore, limit],
    );
    return rows.map((r) => ({ id: r.id, ...(r.correlation_id ? { correlationId: r.correlation_id } : {}) }));
  }

  /**
   * Pending notifications past their `expires_at` become `expired` (with a log row), and secrets
   * of every notification past its expiry are cleared. Returns how many expired.
   */
  async expireOverdue(em: EntityManager, now: Date): Promise<number> {
    const conn = em.getConnection();
    const expired = await conn.execute<{ id: string }[]>(
      `WITH expired AS (
         UPDATE notifications
            SET delivery_status = 'expired', secret_token = NULL, last_error = 'expired before it could be delivered', updated_at = ?
          WHERE delivery_status = 'pending' AND expires_at IS NOT NULL AND expires_at <= ?
          RETURNING id, recipient, delivery_attempts)
       INSERT INTO notification_logs (id, notification_id, delivery_method, recipient, status, error_message, retry_count, metadata, created_at, updated_at)
       SELECT gen_random_uuid(), id, 'email', COALESCE(recipient, ''), 'expired', 'expired before it could be delivered', delivery_attempts,
              '{"by": "sweeper"}'::jsonb, ?, ?
         FROM expired
       RETURNING notification_id AS id`,
      [now, now, now, now],
    );
    await conn.execute(
      `UPDATE notifications SET secret_token = NULL, updated_at = ? WHERE secret_token IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= ?`,
      [now, now],
    );
    return expired.length;
  }
}
