import { EventData, currencyDecimals } from '@tally/contracts';
import type { NewEvent } from '@tally/messaging';
import { formatAmount, parseAmount } from '@tally/money';
import type { Settlement } from '../settlements/settlement.entity';
import type { PaymentStatus } from './payment-status';
import type { Payment } from './payment.repository';

type PaymentEventType = 'payment.created' | 'payment.processing' | 'payment.completed' | 'payment.failed' | 'payment.cancelled' | 'payment.refunded';

/** NUMERIC(16,3) with exactly the currency's places ("12.50", JPY "1200", BHD "1.250"). */
export function paymentAmount(value: string, currency: string): string {
  const places = currencyDecimals(currency) ?? 2;
  return formatAmount(parseAmount(String(value), places, { lenientPlaces: true }), places);
}

function event<T extends PaymentEventType>(type: T, p: Payment, s: Pick<Settlement, 'payerId' | 'payeeId'>, at: Date): NewEvent<T> {
  const data: EventData<'payment.created'> = {
    paymentId: p.id,
    settlementId: p.settlementId,
    payerId: s.payerId,
    payeeId: s.payeeId,
    amount: paymentAmount(p.amount, p.currency),
    currency: p.currency,
    status: p.status,
    provider: p.paymentService,
    processingFee: paymentAmount(p.processingFee, p.currency),
    errorCode: p.errorCode,
    at: at.toISOString(),
  };
  return { type, subject: p.id, data: data as EventData<T> };
}

/** The events of a payment (`payment.payment.v1`, keyed by payment id): one factory for the aggregate. */
export const PaymentEvents = {
  created: (p: Payment, s: Pick<Settlement, 'payerId' | 'payeeId'>, at = new Date()) => event('payment.created', p, s, at),
  /** The event of the status a payment moved to (payment.processing, .completed, ...). */
  moved: (p: Payment, s: Pick<Settlement, 'payerId' | 'payeeId'>, at = new Date()) => {
    const types: Record<Exclude<PaymentStatus, 'pending'>, PaymentEventType> = {
      processing: 'payment.processing', completed: 'payment.completed', failed: 'payment.failed', cancelled: 'payment.cancelled', refunded: 'payment.refunded',
    };
    if (p.status === 'pending') throw new Error('a payment never moves to pending');
    return event(types[p.status], p, s, at);
  },
};
