import { Injectable } from '@nestjs/common';
import { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import type { TimeIdCursor } from '@tally/service-kit';
import { Notification } from './notification.entity';

/** One in-app notification to store for one recipient of an event. */
export interface InAppRow {
  id: string;
  userId: string;
  senderId: string | null;
  type: string;
  title: string;
  message: string;
  priority: string;
  relatedObjectType: string | null;
  relatedObjectId: string | null;
  actionUrl: string | null;
  metadata: Record<string, unknown>;
}

export interface NotificationListFilter {
  unreadOnly?: boolean;
  type?: string;
  /** The last row of the previous page. */
  after?: TimeIdCursor;
}

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

  /**
   * In-app notifications from one event, in the caller's transaction: stored is delivered (in-app
   * delivery is being in the list), so each row is `sent` at once and never looks pending to the
   * email sweeper. A recipient who already has this event's notification gets nothing more
   * (UNIQUE (source_event_id, user_id)). Returns how many were new.
   */
  async insertInApp(em: EntityManager, eventId: string, rows: readonly InAppRow[]): Promise<number> {
    if (!rows.length) return 0;
    const now = new Date();
    const values: unknown[] = [];
    for (const r of rows) {
      values.push(r.id, r.userId, r.senderId, eventId, r.type, r.title, r.message, r.priority, r.relatedObjectType, r.relatedObjectId, r.actionUrl, JSON.stringify(r.metadata), now, now, now);
    }
    const res = await em.getConnection().execute<{ id: string }[]>(
      `INSERT INTO notifications (id, user_id, sender_id, source_event_id, notification_type, title, message, priority, related_object_type, related_object_id,
                                  action_url, metadata, delivery_channels, delivery_status, is_sent, sent_at, created_at, updated_at)
       VALUES ${rows.map(() => `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, '["in_app"]'::jsonb, 'sent', TRUE, ?, ?, ?)`).join(', ')}
       ON CONFLICT (source_event_id, user_id) WHERE source_event_id IS NOT NULL DO NOTHING
       RETURNING id`,
      values, 'all', em.getTransactionContext(),
    );
    return res.length;
  }

  /** A user's notifications, newest first (ties by id), after the cursor; `limit` rows at most. */
  async findForUser(em: EntityManager, userId: string, q: NotificationListFilter, limit: number): Promise<Notification[]> {
    const where: FilterQuery<Notification> = { userId };
    if (q.unreadOnly) where.isRead = false;
    if (q.type) where.notificationType = q.type;
    if (q.after) {
      where.$or = [{ createdAt: { $lt: q.after.at } }, { createdAt: q.after.at, id: { $lt: q.after.id } }];
    }
    return em.find(Notification, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit });
  }

  async countUnread(em: EntityManager, userId: string): Promise<number> {
    return em.count(Notification, { userId, isRead: false });
  }

  /** The user's own notification, or null (someone else's is as absent as a missing one). */
  async findOwn(em: EntityManager, userId: string, id: string): Promise<Notification | null> {
    return em.findOne(Notification, { id, userId });
  }

  /** Marks the user's notification read (once: the first read time stays). False when it is not theirs. */
  async markRead(em: EntityManager, userId: string, id: string, at: Date): Promise<boolean> {
    const n = await em.nativeUpdate(Notification, { id, userId, isRead: false }, { isRead: true, readAt: at, updatedAt: at });
    if (n) return true;
    return (await em.count(Notification, { id, userId })) > 0;
  }

  /** Marks every unread notification of the user read; returns how many changed. */
  async markAllRead(em: EntityManager, userId: string, at: Date): Promise<number> {
    return em.nativeUpdate(Notification, { userId, isRead: false }, { isRead: true, readAt: at, updatedAt: at });
  }

  /** Deletes the user's notification (its delivery logs go with it). False when it is not theirs. */
  async deleteOwn(em: EntityManager, userId: string, id: string): Promise<boolean> {
    return (await em.nativeDelete(Notification, { id, userId })) > 0;
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
