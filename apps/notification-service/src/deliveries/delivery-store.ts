import { randomUUID } from 'node:crypto';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { inTransaction } from '@tally/persistence';
import { JobName, JobQueues } from '@tally/contracts';
import { NotificationLog, NotificationLogStatus } from '../delivery/notification-log.entity';
import { Notification } from '../notifications/notification.entity';

export type DeliveryChannelName = 'email' | 'push' | 'sms';
export type DeliveryRowStatus = 'scheduled' | 'sent' | 'failed' | 'skipped' | 'digested' | 'cancelled';

/** A `notification_deliveries` row: one notification to one channel and target (a push device id; '' for email/sms). */
export interface Delivery {
  id: string;
  notificationId: string;
  /** Null only for an SMS to someone without an account (a phone-only group invitation). */
  userId: string | null;
  channel: DeliveryChannelName;
  target: string;
  status: DeliveryRowStatus;
  deliverAfter: Date;
  digestAt: Date | null;
  attempts: number;
  lastError: string | null;
  sentAt: Date | null;
}

/** What a job sees with the delivery row locked. */
export interface LockedDelivery {
  delivery: Delivery;
  /** Null only if the notification vanished (its deliveries cascade with it, so practically never). */
  notification: Notification | null;
}

/**
 * Writes done while the delivery row is locked, committed together. `attempt` is the job's attempt
 * number (log rows' retry_count = attempt - 1); `recipient` is what a log row may say about where it
 * went (an email address, a push endpoint's origin and device id; never a token).
 */
export interface DeliveryUnit {
  /** Accepted by the provider: delivery `sent`; log `sent`; the notification is_sent (see `settleNotification`). */
  markSent(d: Delivery, r: { externalId?: string; recipient: string; attempt: number; at: Date }): Promise<void>;
  /** One failed attempt that may succeed later: attempts+1, last_error; log `failed`; the delivery stays scheduled. */
  recordFailure(d: Delivery, f: { error: string; recipient: string; attempt: number; at: Date }): Promise<void>;
  /** Failed, and no retry can help (e.g. the push subscription is gone): delivery `failed`; log `failed` with the reason (`bounced` when the recipient's server refused it). */
  fail(d: Delivery, f: { error: string; recipient: string; attempt: number; at: Date; reason: string; bounced?: boolean }): Promise<void>;
  /** Nothing to send any more (device gone or inactive, notification read or gone, channel not configured): delivery `skipped`; log `skipped`. */
  skip(d: Delivery, s: { reason: string; recipient?: string; at: Date }): Promise<void>;
}

/** The delivery jobs' port (the job classes know nothing of the ORM); `DeliveryStore` is the PostgreSQL one. */
export interface DeliveryStorePort {
  /**
   * Runs `fn` in one transaction with the delivery row locked (SELECT … FOR UPDATE), so two runs of
   * one delivery's job never overlap and a finished delivery is seen as finished. `row` is null when
   * there is no such delivery.
   */
  withLocked<T>(deliveryId: string, fn: (row: LockedDelivery | null, unit: DeliveryUnit) => Promise<T>): Promise<T>;
  /**
   * The job will not run again: a still scheduled delivery becomes `failed` with a `dead_lettered`
   * log row (the record an operator reads and replays). Idempotent: returns false (and writes
   * nothing) when the delivery is missing or no longer scheduled.
   */
  deadLetter(deliveryId: string, f: { error: string; attempts: number; jobId?: string; recipient?: string; at: Date }): Promise<boolean>;
}

/** Optional observers of the store (the worker's metrics). */
export interface DeliveryStoreHooks {
  /** A delivery was marked sent and committed; `latencySeconds` since it could go (see `withLocked`). */
  onSent?(e: { channel: DeliveryChannelName; latencySeconds: number }): void;
}

const MAX_ERROR = 2000;
/** Where each channel's delivery jobs run (a dead-letter row names it). */
const QUEUE_OF: Record<DeliveryChannelName, string> = { email: JobQueues[JobName.DeliverEmail], push: JobQueues[JobName.SendPush], sms: JobQueues[JobName.SendSms] };

interface DeliveryDbRow {
  id: string; notification_id: string; user_id: string | null; channel: DeliveryChannelName; target: string; status: DeliveryRowStatus;
  deliver_after: Date | string; digest_at: Date | string | null; attempts: number; last_error: string | null; sent_at: Date | string | null;
}

const date = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));

function toDelivery(r: DeliveryDbRow): Delivery {
  return {
    id: r.id, notificationId: r.notification_id, userId: r.user_id, channel: r.channel, target: r.target, status: r.status,
    deliverAfter: date(r.deliver_after)!, digestAt: date(r.digest_at), attempts: Number(r.attempts), lastError: r.last_error, sentAt: date(r.sent_at),
  };
}

async function sql<T = Record<string, unknown>>(em: EntityManager, query: string, params: unknown[]): Promise<T[]> {
  return em.getConnection().execute<T[]>(query, params, 'all', em.getTransactionContext());
}

async function lockDelivery(em: EntityManager, id: string): Promise<Delivery | null> {
  const rows = await sql<DeliveryDbRow>(em, `SELECT id, notification_id, user_id, channel, target, status, deliver_after, digest_at, attempts, last_error, sent_at
    FROM notification_deliveries WHERE id = ? FOR UPDATE`, [id]);
  return rows[0] ? toDelivery(rows[0]) : null;
}

function log(em: EntityManager, d: Delivery, status: NotificationLogStatus, recipient: string, fields: Partial<NotificationLog>, at: Date): void {
  const row = new NotificationLog();
  row.id = randomUUID();
  row.notificationId = d.notificationId;
  row.deliveryMethod = d.channel;
  row.recipient = recipient.slice(0, 255);
  row.status = status;
  row.createdAt = at;
  row.updatedAt = at;
  Object.assign(row, fields);
  row.metadata = { deliveryId: d.id, ...(d.target ? { target: d.target } : {}), ...(fields.metadata ?? {}) };
  em.persist(row);
}

async function setDelivery(em: EntityManager, d: Delivery, set: { status?: DeliveryRowStatus; attempt?: boolean; error?: string | null; sentAt?: Date }, at: Date): Promise<void> {
  await em.getConnection().execute(
    `UPDATE notification_deliveries SET status = ?, attempts = attempts + ?, last_error = ?, sent_at = COALESCE(?, sent_at), updated_at = ? WHERE id = ?`,
    [set.status ?? d.status, set.attempt ? 1 : 0, set.error === undefined ? d.lastError : set.error, set.sentAt ?? null, at, d.id], 'run', em.getTransactionContext(),
  );
  if (set.status) d.status = set.status;
  if (set.attempt) d.attempts += 1;
  if (set.error !== undefined) d.lastError = set.error;
  if (set.sentAt) d.sentAt ??= set.sentAt;
}

/**
 * Brings the notification's own delivery columns in line with its deliveries, telling the truth:
 * - `is_sent`/`sent_at`/`delivery_status = 'sent'` once ANY outbound delivery (push to one device,
 *   the email) was accepted by its provider; `sent_at` is that first time and never moves. (The
 *   schema's check_notification_sent makes is_sent and delivery_status 'sent' go together, so 'sent'
 *   means "reached the person on at least one channel"; each channel's own truth is its delivery row.)
 * - otherwise, once no delivery is scheduled any more: `failed` if one of them failed, `cancelled`
 *   if every one was skipped or cancelled (nothing was or will be sent); a delivery waiting for a
 *   digest is still scheduled, so the notification stays `pending` until it goes out;
 * - `delivery_attempts`/`last_attempt_at`/`last_error` count every attempt of every channel.
 * The notification row is locked first (after the delivery row: always that order), so two
 * deliveries finishing at once cannot both think the other is still scheduled.
 */
export async function settleNotification(em: EntityManager, notificationId: string, f: { sentAt?: Date; attempt?: { at: Date; error: string | null } }): Promise<void> {
  await sql(em, `SELECT id FROM notifications WHERE id = ? FOR UPDATE`, [notificationId]);
  if (f.attempt) {
    await sql(em, `UPDATE notifications SET delivery_attempts = delivery_attempts + 1, last_attempt_at = ?, last_error = COALESCE(?, last_error), updated_at = now() WHERE id = ?`,
      [f.attempt.at, f.attempt.error, notificationId]);
  }
  if (f.sentAt) {
    await sql(em, `UPDATE notifications SET is_sent = TRUE, sent_at = COALESCE(sent_at, ?), delivery_status = 'sent', last_error = NULL, updated_at = now()
      WHERE id = ? AND delivery_status IN ('pending', 'sent', 'failed', 'cancelled')`, [f.sentAt, notificationId]);
    return;
  }
  // A fresh statement after the lock: READ COMMITTED sees what the deliveries finished meanwhile committed.
  await sql(em, `UPDATE notifications n SET delivery_status = CASE WHEN s.failed THEN 'failed' ELSE 'cancelled' END, updated_at = now()
    FROM (SELECT bool_or(status = 'failed') AS failed, bool_or(status = 'scheduled') AS open, bool_or(status IN ('sent', 'digested')) AS sent
          FROM notification_deliveries WHERE notification_id = ?) s
    WHERE n.id = ? AND n.delivery_status = 'pending' AND n.is_sent = FALSE AND s.open = FALSE AND s.sent = FALSE`, [notificationId, notificationId]);
}

class SqlDeliveryUnit implements DeliveryUnit {
  /** Deliveries this unit marked sent, told to `DeliveryStoreHooks.onSent` once the transaction committed. */
  readonly sent: { delivery: Delivery; at: Date }[] = [];

  constructor(private readonly em: EntityManager) {}

  async markSent(d: Delivery, r: { externalId?: string; recipient: string; attempt: number; at: Date }): Promise<void> {
    await setDelivery(this.em, d, { status: 'sent', attempt: true, error: null, sentAt: r.at }, r.at);
    log(this.em, d, 'sent', r.recipient, { externalId: r.externalId?.slice(0, 255) || null, sentAt: r.at, retryCount: r.attempt - 1 }, r.at);
    await settleNotification(this.em, d.notificationId, { sentAt: r.at, attempt: { at: r.at, error: null } });
    await this.em.flush();
    this.sent.push({ delivery: d, at: r.at });
  }

  async recordFailure(d: Delivery, f: { error: string; recipient: string; attempt: number; at: Date }): Promise<void> {
    const error = f.error.slice(0, MAX_ERROR);
    await setDelivery(this.em, d, { attempt: true, error }, f.at);
    log(this.em, d, 'failed', f.recipient, { errorMessage: error, retryCount: f.attempt - 1 }, f.at);
    await settleNotification(this.em, d.notificationId, { attempt: { at: f.at, error } });
    await this.em.flush();
  }

  /** The delivery failed for good; `bounced`: the recipient's server refused it (an SMTP 5xx), logged as `bounced`. */
  async fail(d: Delivery, f: { error: string; recipient: string; attempt: number; at: Date; reason: string; bounced?: boolean }): Promise<void> {
    const error = f.error.slice(0, MAX_ERROR);
    await setDelivery(this.em, d, { status: 'failed', attempt: true, error }, f.at);
    log(this.em, d, f.bounced ? 'bounced' : 'failed', f.recipient, { errorMessage: error, retryCount: f.attempt - 1, metadata: { reason: f.reason, final: true } }, f.at);
    await settleNotification(this.em, d.notificationId, { attempt: { at: f.at, error } });
    await this.em.flush();
  }

  async skip(d: Delivery, s: { reason: string; recipient?: string; at: Date }): Promise<void> {
    await setDelivery(this.em, d, { status: 'skipped', error: s.reason.slice(0, MAX_ERROR) }, s.at);
    log(this.em, d, 'skipped', s.recipient ?? d.target, { errorMessage: s.reason.slice(0, MAX_ERROR), retryCount: d.attempts, metadata: { reason: s.reason } }, s.at);
    await settleNotification(this.em, d.notificationId, {});
    await this.em.flush();
  }
}

/**
 * The delivery jobs' store over `notification_deliveries`, `notification_logs` and the
 * notification's delivery columns, whatever the channel (push now, email next). Like the email
 * worker's store it is a port of the job classes, so its methods open their transaction themselves.
 */
export class DeliveryStore implements DeliveryStorePort {
  constructor(private readonly orm: MikroORM, private readonly hooks: DeliveryStoreHooks = {}) {}

  async withLocked<T>(deliveryId: string, fn: (row: LockedDelivery | null, unit: DeliveryUnit) => Promise<T>): Promise<T> {
    let unit: SqlDeliveryUnit | undefined;
    let createdAt: Date | undefined;
    const result = await inTransaction(this.orm, async (em) => {
      const delivery = await lockDelivery(em, deliveryId);
      const notification = delivery ? await em.findOne(Notification, { id: delivery.notificationId }) : null;
      createdAt = notification?.createdAt;
      unit = new SqlDeliveryUnit(em);
      return fn(delivery ? { delivery, notification } : null, unit);
    });
    // After the commit: a rolled-back send is not counted.
    for (const s of unit?.sent ?? []) {
      // Since it could go: the notification's creation, or the end of the recipient's quiet hours (or a replay).
      const since = Math.max(createdAt?.getTime() ?? 0, s.delivery.deliverAfter.getTime());
      this.hooks.onSent?.({ channel: s.delivery.channel, latencySeconds: Math.max(0, (s.at.getTime() - since) / 1000) });
    }
    return result;
  }

  async deadLetter(deliveryId: string, f: { error: string; attempts: number; jobId?: string; recipient?: string; at: Date }): Promise<boolean> {
    return inTransaction(this.orm, async (em) => {
      const d = await lockDelivery(em, deliveryId);
      if (!d || d.status !== 'scheduled') return false;
      const error = f.error.slice(0, MAX_ERROR);
      await setDelivery(em, d, { status: 'failed', error }, f.at);
      log(em, d, 'dead_lettered', f.recipient ?? d.target, {
        errorMessage: error,
        retryCount: Math.max(0, f.attempts - 1),
        metadata: { attempts: f.attempts, ...(f.jobId ? { jobId: f.jobId } : {}), queue: QUEUE_OF[d.channel] },
      }, f.at);
      await settleNotification(em, d.notificationId, {});
      await em.flush();
      return true;
    });
  }
}
