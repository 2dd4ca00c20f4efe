import { EventData, currencyDecimals } from '@tally/contracts';
import type { NewEvent } from '@tally/messaging';
import { formatAmount, parseAmount } from '@tally/money';
import type { Settlement } from './settlement.entity';

type SettlementEventType = 'settlement.created' | 'settlement.confirmed' | 'settlement.completed' | 'settlement.cancelled' | 'settlement.reversed' | 'settlement.overdue';

/** The settlement's amount with exactly its currency's places ("12.50", JPY "1200", BHD "1.250"), from NUMERIC(16,3). */
export function settlementAmount(s: Pick<Settlement, 'amount' | 'currency'>): string {
  const places = currencyDecimals(s.currency) ?? 2;
  return formatAmount(parseAmount(String(s.amount), places, { lenientPlaces: true }), places);
}

/** The settlement as settlement.* events carry it (settlementSchema in libs/contracts). */
export function settlementEventData(s: Settlement, by: { byUserId: string | null; paymentId?: string | null; at?: Date }): EventData<'settlement.created'> {
  return {
    settlementId: s.id,
    groupId: s.groupId ?? null,
    payerId: s.payerId,
    payeeId: s.payeeId,
    amount: settlementAmount(s),
    currency: s.currency,
    method: s.method,
    status: s.status,
    isConfirmedByPayer: s.isConfirmedByPayer,
    isConfirmedByPayee: s.isConfirmedByPayee,
    dueDate: s.dueDate ? s.dueDate.toISOString() : null,
    completedAt: s.completedAt ? s.completedAt.toISOString() : null,
    ...(by.paymentId !== undefined ? { paymentId: by.paymentId } : {}),
    byUserId: by.byUserId,
    at: (by.at ?? new Date()).toISOString(),
  };
}

function event<T extends SettlementEventType>(type: T, s: Settlement, by: { byUserId: string | null; paymentId?: string | null; at?: Date }): NewEvent<T> {
  return { type, subject: s.id, data: settlementEventData(s, by) as EventData<T> };
}

/** One payload factory for the settlement aggregate: `outbox.append(em, SettlementEvents.completed(s, ...))`. */
export const SettlementEvents = {
  created: (s: Settlement, byUserId: string) => event('settlement.created', s, { byUserId }),
  confirmed: (s: Settlement, byUserId: string) => event('settlement.confirmed', s, { byUserId }),
  /** Both confirmations (byUserId: the second to confirm), or a provider payment (byUserId null, paymentId). */
  completed: (s: Settlement, by: { byUserId: string | null; paymentId?: string | null; at?: Date }) => event('settlement.completed', s, by),
  cancelled: (s: Settlement, byUserId: string) => event('settlement.cancelled', s, { byUserId }),
  reversed: (s: Settlement, by: { paymentId: string | null; at?: Date }) => event('settlement.reversed', s, { byUserId: null, ...by }),
  overdue: (s: Settlement) => event('settlement.overdue', s, { byUserId: null }),
};
