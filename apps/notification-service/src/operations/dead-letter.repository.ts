import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { TimeIdCursor } from '@tally/service-kit';

export type DeliveryStatusName = 'scheduled' | 'sent' | 'failed' | 'skipped' | 'digested' | 'cancelled';

/** A planned delivery as the operations API reads it, with its notification's type and its latest dead-letter record. */
export interface DeliveryRecord {
  id: string;
  notificationId: string;
  notificationType: string;
  userId: string;
  channel: 'email' | 'push' | 'sms';
  target: string;
  status: DeliveryStatusName;
  attempts: number;
  lastError: string | null;
  deliverAfter: Date;
  sentAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  deadLetter: { at: Date; recipient: string; metadata: Record<string, unknown> } | null;
}

/** An account email (a notification sent by the old `send-email` job, one row, no planned deliveries). */
export interface AccountEmailRecord {
  id: string;
  notificationType: string;
  userId: string | null;
  recipient: string | null;
  deliveryStatus: string;
  attempts: number;
  lastError: string | null;
  lastAttemptAt: Date | null;
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  deadLetter: { at: Date; metadata: Record<string, unknown> } | null;
}

type Row = Record<string, unknown>;
const date = (v: unknown): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));
const json = (v: unknown): Record<string, unknown> => (typeof v === 'string' ? (JSON.parse(v) as Record<string, unknown>) : ((v as Record<string, unknown>) ?? {}));

async function sql<T = Row>(em: EntityManager, query: string, params: unknown[]): Promise<T[]> {
  return em.getConnection().execute<T[]>(query, params, 'all', em.getTransactionContext());
}

const DELIVERY_COLUMNS = `d.id, d.notification_id, d.user_id, d.channel, d.target, d.status, d.attempts, d.last_error, d.deliver_after, d.sent_at, d.created_at, d.updated_at,
  n.notification_type, l.created_at AS dl_at, l.recipient AS dl_recipient, l.metadata AS dl_metadata
  FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id
  LEFT JOIN LATERAL (
    SELECT created_at, recipient, metadata FROM notification_logs
     WHERE notification_id = d.notification_id AND delivery_method = d.channel AND status = 'dead_lettered' AND metadata->>'deliveryId' = d.id::text
     ORDER BY created_at DESC LIMIT 1) l ON TRUE`;

function toDelivery(r: Row): DeliveryRecord {
  return {
    id: String(r.id), notificationId: String(r.notification_id), notificationType: String(r.notification_type), userId: String(r.user_id),
    channel: r.channel as DeliveryRecord['channel'], target: String(r.target), status: r.status as DeliveryStatusName, attempts: Number(r.attempts),
    lastError: (r.last_error as string | null) ?? null, deliverAfter: date(r.deliver_after)!, sentAt: date(r.sent_at), createdAt: date(r.created_at)!,
    updatedAt: date(r.updated_at)!,
    deadLetter: r.dl_at ? { at: date(r.dl_at)!, recipient: String(r.dl_recipient ?? ''), metadata: json(r.dl_metadata) } : null,
  };
}

const ACCOUNT_EMAIL = `n.recipient IS NOT NULL AND n.delivery_channels @> '["email"]'::jsonb
  AND NOT EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = n.id)`;

const ACCOUNT_COLUMNS = `n.id, n.notification_type, n.user_id, n.recipient, n.delivery_status, n.delivery_attempts, n.last_error, n.last_attempt_at, n.expires_at,
  n.created_at, n.updated_at, l.created_at AS dl_at, l.metadata AS dl_metadata
  FROM notifications n
  LEFT JOIN LATERAL (
    SELECT created_at, metadata FROM notification_logs WHERE notification_id = n.id AND status = 'dead_lettered' ORDER BY created_at DESC LIMIT 1) l ON TRUE`;

function toAccountEmail(r: Row): AccountEmailRecord {
  return {
    id: String(r.id), notificationType: String(r.notification_type), userId: (r.user_id as string | null) ?? null, recipient: (r.recipient as string | null) ?? null,
    deliveryStatus: String(r.delivery_status), attempts: Number(r.delivery_attempts), lastError: (r.last_error as string | null) ?? null,
    lastAttemptAt: date(r.last_attempt_at), expiresAt: date(r.expires_at), createdAt: date(r.created_at)!, updatedAt: date(r.updated_at)!,
    deadLetter: r.dl_at ? { at: date(r.dl_at)!, metadata: json(r.dl_metadata) } : null,
  };
}

/**
 * The operators' reads and replays over planned deliveries (`notification_deliveries`) and account
 * emails (`notifications` sent by `send-email`), with the `notification_logs` rows that record
 * them. The delivery jobs write these rows through their stores; this repository only lists them
 * and puts a failed one back to where its job can send it again.
 */
@Injectable()
export class DeadLetterRepository {
  /** Newest change first (`updated_at`, then id), `limit` rows after the cursor. */
  async listDeliveries(em: EntityManager, f: { status: DeliveryStatusName; channel?: string; after?: TimeIdCursor }, limit: number): Promise<DeliveryRecord[]> {
    const params: unknown[] = [f.status];
    let where = `d.status = ?`;
    if (f.channel) {
      where += ` AND d.channel = ?`;
      params.push(f.channel);
    }
    if (f.after) {
      where += ` AND (d.updated_at, d.id) < (?, ?)`;
      params.push(f.after.at, f.after.id);
    }
    params.push(limit);
    const rows = await sql(em, `SELECT ${DELIVERY_COLUMNS} WHERE ${where} ORDER BY d.updated_at DESC, d.id DESC LIMIT ?`, params);
    return rows.map(toDelivery);
  }

  async findDelivery(em: EntityManager, id: string): Promise<DeliveryRecord | null> {
    const rows = await sql(em, `SELECT ${DELIVERY_COLUMNS} WHERE d.id = ?`, [id]);
    return rows[0] ? toDelivery(rows[0]) : null;
  }

  /**
   * A failed delivery back to `scheduled`, due now, its attempts kept (the next job's attempt numbers
   * continue from them in the log), with a `pending` log row saying who replayed it; its
   * notification, if it had failed, back to `pending`. Under the delivery row's lock, the same the
   * delivery jobs take. Returns the row as it was when locked (null: no such delivery); nothing is
   * written unless it was `failed`.
   */
  async replayDelivery(em: EntityManager, id: string, by: { adminId: string; at: Date }): Promise<{ before: DeliveryStatusName; channel: DeliveryRecord['channel']; deliverAfter: Date } | null> {
    const rows = await sql<{ status: DeliveryStatusName; channel: DeliveryRecord['channel']; notification_id: string; target: string; attempts: number }>(em,
      `SELECT status, channel, notification_id, target, attempts FROM notification_deliveries WHERE id = ? FOR UPDATE`, [id]);
    const d = rows[0];
    if (!d) return null;
    if (d.status !== 'failed') return { before: d.status, channel: d.channel, deliverAfter: by.at };
    await sql(em, `UPDATE notification_deliveries SET status = 'scheduled', deliver_after = ?, updated_at = ? WHERE id = ?`, [by.at, by.at, id]);
    await sql(em, `SELECT id FROM notifications WHERE id = ? FOR UPDATE`, [d.notification_id]);
    await sql(em, `UPDATE notifications SET delivery_status = 'pending', updated_at = ? WHERE id = ? AND delivery_status = 'failed' AND is_sent = FALSE`, [by.at, d.notification_id]);
    await sql(em, `INSERT INTO notification_logs (id, notification_id, delivery_method, recipient, status, retry_count, metadata, created_at, updated_at)
      VALUES (?, ?, ?, ?, 'pending', ?, ?::jsonb, ?, ?)`, [
      randomUUID(), d.notification_id, d.channel, d.target || d.channel, Number(d.attempts),
      JSON.stringify({ deliveryId: id, ...(d.target ? { target: d.target } : {}), replayedBy: by.adminId, reason: 'replay' }), by.at, by.at,
    ]);
    return { before: 'failed', channel: d.channel, deliverAfter: by.at };
  }

  /** Account emails in a delivery status (`failed`: the dead letters), newest change first. */
  async listAccountEmails(em: EntityManager, f: { status: string; after?: TimeIdCursor }, limit: number): Promise<AccountEmailRecord[]> {
    const params: unknown[] = [f.status];
    let where = `${ACCOUNT_EMAIL} AND n.delivery_status = ?`;
    if (f.after) {
      where += ` AND (n.updated_at, n.id) < (?, ?)`;
      params.push(f.after.at, f.after.id);
    }
    params.push(limit);
    const rows = await sql(em, `SELECT ${ACCOUNT_COLUMNS} WHERE ${where} ORDER BY n.updated_at DESC, n.id DESC LIMIT ?`, params);
    return rows.map(toAccountEmail);
  }

  async findAccountEmail(em: EntityManager, id: string): Promise<AccountEmailRecord | null> {
    const rows = await sql(em, `SELECT ${ACCOUNT_COLUMNS} WHERE n.id = ? AND ${ACCOUNT_EMAIL}`, [id]);
    return rows[0] ? toAccountEmail(rows[0]) : null;
  }

  /**
   * A failed account email back to `pending` (its job sends it again; the sweeper enqueues it if
   * our enqueue does not reach Redis), with a `pending` log row naming the admin. Refused (nothing
   * written) unless it is `failed`, or when its link has expired (`expired`: the user asks again).
   */
  async replayAccountEmail(em: EntityManager, id: string, by: { adminId: string; at: Date }): Promise<{ before: string; expired: boolean } | null> {
    const rows = await sql<{ delivery_status: string; expires_at: Date | string | null; recipient: string; delivery_attempts: number }>(em,
      `SELECT n.delivery_status, n.expires_at, n.recipient, n.delivery_attempts FROM notifications n WHERE n.id = ? AND ${ACCOUNT_EMAIL} FOR UPDATE`, [id]);
    const n = rows[0];
    if (!n) return null;
    const expired = n.expires_at !== null && date(n.expires_at)!.getTime() <= by.at.getTime();
    if (n.delivery_status !== 'failed' || expired) return { before: n.delivery_status, expired };
    await sql(em, `UPDATE notifications SET delivery_status = 'pending', updated_at = ? WHERE id = ?`, [by.at, id]);
    await sql(em, `INSERT INTO notification_logs (id, notification_id, delivery_method, recipient, status, retry_count, metadata, created_at, updated_at)
      VALUES (?, ?, 'email', ?, 'pending', ?, ?::jsonb, ?, ?)`, [
      randomUUID(), id, n.recipient.slice(0, 255), Number(n.delivery_attempts), JSON.stringify({ replayedBy: by.adminId, reason: 'replay' }), by.at, by.at,
    ]);
    return { before: 'failed', expired: false };
  }
}
