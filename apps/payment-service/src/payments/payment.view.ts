import { paymentAmount } from './payment.events';
import type { PaymentStatus } from './payment-status';
import type { Payment } from './payment.repository';

/** A payment as the API shows it (to the settlement's payer and payee). */
export interface PaymentView {
  id: string;
  settlementId: string;
  amount: string;
  currency: string;
  status: PaymentStatus;
  provider: string;
  paymentMethodId: string;
  /** The provider's id of it (Stripe's PaymentIntent id), once it answered. */
  externalTransactionId: string | null;
  processingFee: string;
  errorCode: string | null;
  errorMessage: string | null;
  initiatedAt: string;
  processedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toPaymentView(p: Payment): PaymentView {
  return {
    id: p.id,
    settlementId: p.settlementId,
    amount: paymentAmount(p.amount, p.currency),
    currency: p.currency,
    status: p.status,
    provider: p.paymentService,
    paymentMethodId: p.paymentMethodId,
    externalTransactionId: p.externalTransactionId,
    processingFee: paymentAmount(p.processingFee, p.currency),
    errorCode: p.errorCode,
    errorMessage: p.errorMessage,
    initiatedAt: p.initiatedAt.toISOString(),
    processedAt: p.processedAt ? p.processedAt.toISOString() : null,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}
