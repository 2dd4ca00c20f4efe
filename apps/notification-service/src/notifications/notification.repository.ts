import { Injectable } from '@nestjs/common';
import { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import type { TimeIdCursor } from '@tally/service-kit';
import { Notification } from './notification.entity';
import { notifyNewNotifications } from '../stream/notify';

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
  /** `delivery_channels`: in_app when it shows in the inbox, plus the channels planned for it. */
  channels: readonly string[];
}

/** In the inbox: every notification not from an event (account emails, invitations to addresses), and those from events with in_app among their channels. */
export const IN_INBOX = `(n.source_event_id IS NULL OR n.delivery_channels @> '["in_app"]'::jsonb)`;

function inApp(r: InAppRow): boolean {
  return r.channels.includes('in_app');
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
    await notifyNewNotifications(em, [notification.userId]);
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
   * Notifications from one event, in the caller's transaction. The row itself is the in-app delivery
   * (being in the list): with in_app among its channels it is `sent` at once; otherwise it is sent
   * when its first outbound delivery (a `notification_deliveries` row) is. Having no `recipient`
   * address, it never looks like an account email to that sweeper. A recipient who already has
   * this event's notification gets nothing more (UNIQUE (source_event_id, user_id)). Returns the new
   * rows' ids by recipient.
   */
  async insertInApp(em: EntityManager, eventId: string, rows: readonly InAppRow[]): Promise<Map<string, string>> {
    if (!rows.length) return new Map();
    const now = new Date();
    const values: unknown[] = [];
    for (const r of rows) {
      values.push(r.id, r.userId, r.senderId, eventId, r.type, r.title, r.message, r.priority, r.relatedObjectType, r.relatedObjectId, r.actionUrl,
        JSON.stringify(r.metadata), JSON.stringify(r.channels), inApp(r) ? 'sent' : 'pending', inApp(r), inApp(r) ? now : null, now, now);
    }
    const res = await em.getConnection().execute<{ id: string; user_id: string }[]>(
      `INSERT INTO notifications (id, user_id, sender_id, source_event_id, notification_type, title, message, priority, related_object_type, related_object_id,
                                  action_url, metadata, delivery_channels, delivery_status, is_sent, sent_at, created_at, updated_at)
       VALUES ${rows.map(() => `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?)`).join(', ')}
       ON CONFLICT (source_event_id, user_id) WHERE source_event_id IS NOT NULL DO NOTHING
       RETURNING id, user_id`,
      values, 'all', em.getTransactionContext(),
    );
    await notifyNewNotifications(em, res.map((r) => r.user_id));
    return new Map(res.map((r) => [r.user_id, r.id]));
  }

  /**
   * A user's inbox, newest first (ties by id), after the cursor; `limit` rows at most. A notification
   * from an event whose recipient turned in-app off (email or push only) is not in the inbox.
   */
  async findForUser(em: EntityManager, userId: string, q: NotificationListFilter, limit: number): Promise<Notification[]> {
    const where: FilterQuery<Notification> = { userId };
    if (q.unreadOnly) where.isRead = false;
    if (q.type) where.notificationType = q.type;
    if (q.after) {
      where.$or = [{ createdAt: { $lt: q.after.at } }, { createdAt: q.after.at, id: { $lt: q.after.id } }];
    }
    return em.createQueryBuilder(Notification, 'n').select('*').where(where).andWhere(IN_INBOX).orderBy({ createdAt: 'desc', id: 'desc' }).limit(limit).getResultList();
  }

  async countUnread(em: EntityManager, userId: string): Promise<number> {
    return em.createQueryBuilder(Notification, 'n').where({ userId, isRead: false }).andWhere(IN_INBOX).getCount();
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
        WHERE delivery_status = 'pending' AND created_at < ? AND delivery_channels @> '["email"]'::jsonb AND recipient IS NOT NULL
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
