import { PAYMENT_STATUSES } from '@tally/contracts';

export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * Where a payment's status may go (docs/adr/0011): pending → processing → completed | failed | cancelled,
 * pending straight to any of those three, completed → refunded. Nothing else: failed, cancelled and
 * refunded are final, and nothing ever moves back.
 */
const NEXT: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  pending: ['processing', 'completed', 'failed', 'cancelled'],
  processing: ['completed', 'failed', 'cancelled'],
  completed: ['refunded'],
  failed: [],
  cancelled: [],
  refunded: [],
};

export function isPaymentStatus(value: unknown): value is PaymentStatus {
  return typeof value === 'string' && (PAYMENT_STATUSES as readonly string[]).includes(value);
}

/**
 * The status a payment moves to when its provider reports `reported`, or null when it does not move
 * (the same status again, a late or out-of-order report such as `processing` after `completed`, or
 * anything unknown). Never throws: a provider's word can only move a payment forward.
 */
export function nextPaymentStatus(current: unknown, reported: unknown): PaymentStatus | null {
  if (!isPaymentStatus(current) || !isPaymentStatus(reported)) return null;
  return NEXT[current].includes(reported) ? reported : null;
}

/** Whether a payment in this status still holds its settlement (the unique live index: pending, processing, completed). */
export const isLivePaymentStatus = (s: PaymentStatus): boolean => s === 'pending' || s === 'processing' || s === 'completed';
