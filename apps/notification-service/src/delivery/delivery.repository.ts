import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { inTransaction } from '@tally/persistence';
import { Notification } from '../notifications/notification.entity';
import { NotificationLog, NotificationLogStatus } from './notification-log.entity';
import type { SentEmail } from './mailer';

/** Writes done while the notification row is locked, committed together. */
export interface DeliveryUnit {
  // `attempt` is the job's attempt number (log rows' retry_count); the notification's
  // `delivery_attempts` counts every attempt across jobs, operator retries included.
  /** Sent: marks the notification sent, clears its secret, logs `delivered` (accepted by the SMTP server). */
  markSent(n: Notification, r: { sent: SentEmail; attempt: number; at: Date }): Promise<void>;
  /** One failed attempt: counts it and logs `failed` with the error; the job retries. */
  recordFailure(n: Notification, f: { error: string; attempt: number; at: Date }): Promise<void>;
  /** Too late to send: marks it expired, clears its secret, logs `expired`. */
  markExpired(n: Notification, at: Date): Promise<void>;
  /** Cannot ever be sent: marks it failed and writes the dead-letter record at once. */
  reject(n: Notification, f: { error: string; attempt: number; at: Date }): Promise<void>;
}

export interface DeliveryStore {
  /** Loads the notification with its row locked (FOR UPDATE) for the duration of `fn`, in one transaction. */
  withLocked<T>(notificationId: string, fn: (n: Notification | null, unit: DeliveryUnit) => Promise<T>): Promise<T>;
  /**
   * Attempts exhausted: marks the notification failed and writes a `dead_lettered` log row, if it is
   * still pending. Returns whether it did (false: already sent, failed or gone).
   */
  deadLetter(notificationId: string, f: { error: string; attempts: number; jobId?: string; at: Date }): Promise<boolean>;
}

const MAX_ERROR = 2000;

function log(em: EntityManager, n: Notification, status: NotificationLogStatus, fields: Partial<NotificationLog>, at: Date): void {
  const row = new NotificationLog();
  row.id = randomUUID();
  row.notificationId = n.id;
  row.deliveryMethod = 'email';
  row.recipient = n.recipient ?? '';
  row.status = status;
  row.createdAt = at;
  row.updatedAt = at;
  Object.assign(row, fields);
  em.persist(row);
}

class OrmDeliveryUnit implements DeliveryUnit {
  constructor(private readonly em: EntityManager) {}

  async markSent(n: Notification, r: { sent: SentEmail; attempt: number; at: Date }): Promise<void> {
    n.isSent = true;
    n.sentAt = r.at;
    n.deliveryStatus = 'sent';
    n.deliveryAttempts += 1;
    n.lastAttemptAt = r.at;
    n.lastError = null;
    n.secretToken = null;
    log(this.em, n, 'delivered', {
      externalId: r.sent.messageId.slice(0, 255) || null,
      sentAt: r.at,
      deliveredAt: r.at,
      retryCount: r.attempt - 1,
      metadata: { smtpResponse: r.sent.response.slice(0, 500), accepted: r.sent.accepted.length, rejected: r.sent.rejected.length },
    }, r.at);
    await this.em.flush();
  }

  async recordFailure(n: Notification, f: { error: string; attempt: number; at: Date }): Promise<void> {
    n.deliveryAttempts += 1;
    n.lastAttemptAt = f.at;
    n.lastError = f.error.slice(0, MAX_ERROR);
    log(this.em, n, 'failed', { errorMessage: f.error.slice(0, MAX_ERROR), retryCount: f.attempt - 1 }, f.at);
    await this.em.flush();
  }

  async markExpired(n: Notification, at: Date): Promise<void> {
    n.deliveryStatus = 'expired';
    n.secretToken = null;
    n.lastError = 'expired before it could be delivered';
    log(this.em, n, 'expired', { errorMessage: n.lastError, retryCount: n.deliveryAttempts }, at);
    await this.em.flush();
  }

  async reject(n: Notification, f: { error: string; attempt: number; at: Date }): Promise<void> {
    n.deliveryStatus = 'failed';
    n.deliveryAttempts += 1;
    n.lastAttemptAt = f.at;
    n.lastError = f.error.slice(0, MAX_ERROR);
    log(this.em, n, 'dead_lettered', { errorMessage: n.lastError, retryCount: f.attempt - 1, metadata: { permanent: true } }, f.at);
    await this.em.flush();
  }
}

/**
 * The email worker's store. It is the DeliveryStore port of the processor (which knows nothing of
 * the ORM), so unlike a repository its methods open their transaction themselves (inTransaction),
 * each one around a row lock.
 */
export class DeliveryRepository implements DeliveryStore {
  constructor(private readonly orm: MikroORM) {}

  async withLocked<T>(notificationId: string, fn: (n: Notification | null, unit: DeliveryUnit) => Promise<T>): Promise<T> {
    return inTransaction(this.orm, async (em) => {
      const n = await em.findOne(Notification, { id: notificationId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      return fn(n, new OrmDeliveryUnit(em));
    });
  }

  async deadLetter(notificationId: string, f: { error: string; attempts: number; jobId?: string; at: Date }): Promise<boolean> {
    return inTransaction(this.orm, async (em) => {
      const n = await em.findOne(Notification, { id: notificationId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!n || n.deliveryStatus !== 'pending') return false;
      n.deliveryStatus = 'failed';
      n.lastError = f.error.slice(0, MAX_ERROR);
      log(em, n, 'dead_lettered', {
        errorMessage: n.lastError,
        retryCount: Math.max(0, f.attempts - 1),
        metadata: { attempts: f.attempts, ...(f.jobId ? { jobId: f.jobId } : {}), queue: 'email-delivery' },
      }, f.at);
      await em.flush();
      return true;
    });
  }

  async ping(): Promise<void> {
    await this.orm.em.getConnection().execute('SELECT 1');
  }
}
