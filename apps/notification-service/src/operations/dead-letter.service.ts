import { Inject, Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { freshEm, inTransaction } from '@tally/persistence';
import type { AuthenticatedUser } from '@tally/security';
import { CursorPage, ServiceRuntime, cursorPage, decodeCursor } from '@tally/service-kit';
import { DELIVERY_QUEUE } from '../deliveries/delivery-scheduler';
import { type DeliveryQueue, isQueuedChannel } from '../deliveries/delivery-queue';
import type { EmailQueue } from '../delivery/email-queue';
import { EMAIL_QUEUE } from '../notifications/notification.handlers';
import { AccountEmailRecord, DeadLetterRepository, DeliveryRecord, DeliveryStatusName } from './dead-letter.repository';
import { OperationsErrors } from './operations.exceptions';
import { maskRecipient, redactForAdmin } from './redact';

/** What a replay needs of the planned deliveries' queue and of the account emails' queue. */
export type ReplayDeliveryQueue = Pick<DeliveryQueue, 'inspect' | 'remove' | 'enqueue'>;
export type ReplayEmailQueue = Pick<EmailQueue, 'inspect' | 'remove' | 'enqueue'>;

/** Whether the job went back on its queue now, or is left to the sweeper (Redis unreachable, or a channel without a queue yet). */
export type ReplayJob = 'enqueued' | 'already_queued' | 'left_to_sweeper';

/**
 * A planned delivery as an admin sees it. `recipient` is the masked address the dead-letter record
 * names (see redact.ts); `deviceId` is our id of a push device (never its token or endpoint).
 */
export interface DeliveryView {
  id: string;
  notificationId: string;
  notificationType: string;
  userId: string;
  channel: string;
  status: string;
  deviceId: string | null;
  recipient: string | null;
  attempts: number;
  lastError: string | null;
  deliverAfter: string;
  sentAt: string | null;
  createdAt: string;
  updatedAt: string;
  deadLetter: { at: string; attempts: number | null; queue: string | null; jobId: string | null } | null;
}

export interface AccountEmailView {
  id: string;
  notificationType: string;
  userId: string | null;
  channel: 'email';
  status: string;
  recipient: string | null;
  attempts: number;
  lastError: string | null;
  lastAttemptAt: string | null;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  deadLetter: { at: string; attempts: number | null; queue: string | null; jobId: string | null } | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const num = (v: unknown) => (typeof v === 'number' ? v : null);
const str = (v: unknown) => (typeof v === 'string' ? v : null);

function deadLetterView(dl: { at: Date; metadata: Record<string, unknown> } | null): DeliveryView['deadLetter'] {
  return dl ? { at: dl.at.toISOString(), attempts: num(dl.metadata.attempts), queue: str(dl.metadata.queue), jobId: str(dl.metadata.jobId) } : null;
}

export const toDeliveryView = (d: DeliveryRecord): DeliveryView => ({
  id: d.id, notificationId: d.notificationId, notificationType: d.notificationType, userId: d.userId, channel: d.channel, status: d.status,
  deviceId: d.channel === 'push' && d.target ? d.target : null, recipient: maskRecipient(d.deadLetter?.recipient),
  attempts: d.attempts, lastError: redactForAdmin(d.lastError), deliverAfter: d.deliverAfter.toISOString(), sentAt: iso(d.sentAt),
  createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString(), deadLetter: deadLetterView(d.deadLetter),
});

export const toAccountEmailView = (n: AccountEmailRecord): AccountEmailView => ({
  id: n.id, notificationType: n.notificationType, userId: n.userId, channel: 'email', status: n.deliveryStatus, recipient: maskRecipient(n.recipient),
  attempts: n.attempts, lastError: redactForAdmin(n.lastError), lastAttemptAt: iso(n.lastAttemptAt), expiresAt: iso(n.expiresAt),
  createdAt: n.createdAt.toISOString(), updatedAt: n.updatedAt.toISOString(), deadLetter: deadLetterView(n.deadLetter),
});

/** A job already there that will run: leave it (its run finds the row scheduled again). */
const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Dead letters for platform admins (403 ADMIN_REQUIRED otherwise): the failed planned deliveries
 * and account emails, and their replay: the row back to where its job sends it, then the job back
 * on its queue (a finished job under the same id is removed first). If Redis does not answer, the
 * sweepers enqueue it within one interval, so a replay is never lost to the queue.
 */
@Injectable()
export class DeadLetterService {
  private readonly log: Logger;

  constructor(
    private readonly orm: MikroORM,
    private readonly repo: DeadLetterRepository,
    @Inject(DELIVERY_QUEUE) private readonly deliveryQueue: ReplayDeliveryQueue,
    @Inject(EMAIL_QUEUE) private readonly emailQueue: ReplayEmailQueue,
    runtime: ServiceRuntime,
  ) {
    this.log = runtime.logger.child({ component: 'dead-letters' });
  }

  async listDeliveries(actor: AuthenticatedUser, q: { status: DeliveryStatusName; channel?: string; limit: number; cursor?: string }): Promise<CursorPage<DeliveryView>> {
    requireAdmin(actor);
    const after = decodeCursor(q.cursor);
    const rows = await this.repo.listDeliveries(freshEm(this.orm), { status: q.status, channel: q.channel, after }, q.limit + 1);
    return cursorPage(rows, q.limit, (d) => ({ at: d.updatedAt, id: d.id }), toDeliveryView);
  }

  async getDelivery(actor: AuthenticatedUser, id: string): Promise<DeliveryView> {
    requireAdmin(actor);
    const d = await this.repo.findDelivery(freshEm(this.orm), id);
    if (!d) throw OperationsErrors.notFound();
    return toDeliveryView(d);
  }

  /** A failed delivery sent again: 409 DELIVERY_NOT_REPLAYABLE unless it is `failed`. */
  async replayDelivery(actor: AuthenticatedUser, id: string): Promise<DeliveryView & { job: ReplayJob }> {
    requireAdmin(actor);
    const at = new Date();
    const replayed = await inTransaction(this.orm, (em) => this.repo.replayDelivery(em, id, { adminId: actor.id, at }));
    if (!replayed) throw OperationsErrors.notFound();
    if (replayed.before !== 'failed') throw OperationsErrors.notReplayable(replayed.before);
    this.log.info({ deliveryId: id, channel: replayed.channel, adminId: actor.id }, 'dead-lettered delivery replayed');
    let job: ReplayJob = 'left_to_sweeper';
    const channel = replayed.channel;
    if (isQueuedChannel(channel)) {
      job = await this.requeue(id, {
        inspect: () => this.deliveryQueue.inspect(channel, id),
        remove: () => this.deliveryQueue.remove(channel, id),
        enqueue: () => this.deliveryQueue.enqueue({ deliveryId: id, channel, deliverAfter: replayed.deliverAfter }),
      });
    }
    const view = await this.repo.findDelivery(freshEm(this.orm), id);
    return { ...toDeliveryView(view!), job };
  }

  async listAccountEmails(actor: AuthenticatedUser, q: { status: string; limit: number; cursor?: string }): Promise<CursorPage<AccountEmailView>> {
    requireAdmin(actor);
    const after = decodeCursor(q.cursor);
    const rows = await this.repo.listAccountEmails(freshEm(this.orm), { status: q.status, after }, q.limit + 1);
    return cursorPage(rows, q.limit, (n) => ({ at: n.updatedAt, id: n.id }), toAccountEmailView);
  }

  /** A failed account email sent again: 409 unless `failed`, 409 DELIVERY_EXPIRED once its link has expired. */
  async replayAccountEmail(actor: AuthenticatedUser, id: string): Promise<AccountEmailView & { job: ReplayJob }> {
    requireAdmin(actor);
    const replayed = await inTransaction(this.orm, (em) => this.repo.replayAccountEmail(em, id, { adminId: actor.id, at: new Date() }));
    if (!replayed) throw OperationsErrors.notFound();
    if (replayed.before !== 'failed') throw OperationsErrors.notReplayable(replayed.before);
    if (replayed.expired) throw OperationsErrors.expired();
    this.log.info({ notificationId: id, adminId: actor.id }, 'dead-lettered account email replayed');
    const job = await this.requeue(id, {
      inspect: () => this.emailQueue.inspect(id),
      remove: () => this.emailQueue.remove(id),
      enqueue: () => this.emailQueue.enqueue({ notificationId: id }),
    });
    const view = await this.repo.findAccountEmail(freshEm(this.orm), id);
    return { ...toAccountEmailView(view!), job };
  }

  private async requeue(id: string, q: { inspect(): Promise<{ state: string }>; remove(): Promise<void>; enqueue(): Promise<void> }): Promise<ReplayJob> {
    try {
      const { state } = await q.inspect();
      if (LIVE_STATES.has(state)) return 'already_queued';
      if (state !== 'missing') await q.remove();
      await q.enqueue();
      return 'enqueued';
    } catch (err) {
      this.log.warn({ id, err: (err as Error).message }, 'replayed, but its job could not be enqueued now; the sweeper will');
      return 'left_to_sweeper';
    }
  }
}

function requireAdmin(actor: AuthenticatedUser): void {
  if (actor.role !== 'admin') throw OperationsErrors.adminRequired();
}
