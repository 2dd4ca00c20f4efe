import type { DeliveryStatus } from '../notifications/notification.entity';

/** What the decision needs to know about a notification (a subset of the entity). */
export interface DeliverySubject {
  id: string;
  isSent: boolean;
  deliveryStatus: DeliveryStatus;
  deliveryChannels: readonly string[];
  recipient?: string | null;
  expiresAt?: Date | null;
}

export type DeliveryDecision =
  | { action: 'send' }
  /** Nothing to do: the job completes without sending (idempotency). */
  | { action: 'skip'; reason: 'not_found' | 'already_sent' | 'dead_lettered' | 'expired' | 'cancelled' }
  /** Too late to be useful: mark expired, do not send. */
  | { action: 'expire' }
  /** No retry can help: dead-letter at once. */
  | { action: 'reject'; reason: string };

/**
 * Decides what one email job does with the notification it names. The job runs with the row
 * locked, so a notification already marked sent is never sent again, however many times its
 * job (or a duplicate job) runs.
 */
export function decideEmailDelivery(n: DeliverySubject | null, now: Date): DeliveryDecision {
  if (!n) return { action: 'skip', reason: 'not_found' };
  if (n.isSent || n.deliveryStatus === 'sent') return { action: 'skip', reason: 'already_sent' };
  if (n.deliveryStatus === 'failed') return { action: 'skip', reason: 'dead_lettered' };
  if (n.deliveryStatus === 'expired') return { action: 'skip', reason: 'expired' };
  if (n.deliveryStatus === 'cancelled') return { action: 'skip', reason: 'cancelled' };
  if (n.expiresAt && n.expiresAt.getTime() <= now.getTime()) return { action: 'expire' };
  if (!n.deliveryChannels.includes('email')) return { action: 'reject', reason: 'notification has no email channel' };
  if (!n.recipient) return { action: 'reject', reason: 'notification has no recipient address' };
  return { action: 'send' };
}
