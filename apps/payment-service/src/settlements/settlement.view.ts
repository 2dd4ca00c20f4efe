import { Settlement } from './settlement.entity';
import { settlementAmount } from './settlement.events';

/** A settlement as the API shows it (no provider references or metadata). */
export interface SettlementView {
  id: string;
  payerId: string;
  payeeId: string;
  /** With exactly the currency's places ("12.50", JPY "1200"). */
  amount: string;
  currency: string;
  groupId: string | null;
  method: string;
  status: string;
  paymentMethodId: string | null;
  dueDate: string | null;
  description: string | null;
  notes: string | null;
  isConfirmedByPayer: boolean;
  isConfirmedByPayee: boolean;
  confirmedAt: string | null;
  completedAt: string | null;
  cancelledAt: string | null;
  cancelledById: string | null;
  refundedAt: string | null;
  createdById: string;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function toSettlementView(s: Settlement): SettlementView {
  return {
    id: s.id, payerId: s.payerId, payeeId: s.payeeId, amount: settlementAmount(s), currency: s.currency, groupId: s.groupId ?? null,
    method: s.method, status: s.status, paymentMethodId: s.paymentMethodId ?? null, dueDate: iso(s.dueDate),
    description: s.description ?? null, notes: s.notes ?? null,
    isConfirmedByPayer: s.isConfirmedByPayer, isConfirmedByPayee: s.isConfirmedByPayee, confirmedAt: iso(s.confirmedAt),
    completedAt: iso(s.completedAt), cancelledAt: iso(s.cancelledAt), cancelledById: s.cancelledById ?? null, refundedAt: iso(s.refundedAt),
    createdById: s.createdById, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString(),
  };
}
