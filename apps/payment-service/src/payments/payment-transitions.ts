import { EntityManager } from '@mikro-orm/postgresql';
import { currencyDecimals } from '@tally/contracts';
import { OutboxWriter } from '@tally/messaging';
import { isAmount } from '@tally/money';
import type { ProviderPaymentStatus } from '../providers/payment-provider';
import { SettlementLifecycle } from '../settlements/settlement-lifecycle';
import { SettlementRepository } from '../settlements/settlement.repository';
import { PaymentStatus, nextPaymentStatus } from './payment-status';
import { PaymentEvents } from './payment.events';
import { Payment, PaymentChange, PaymentRepository } from './payment.repository';

/** What a provider said of a payment (its answer at creation, or a webhook). */
export interface ReportedPayment {
  status: ProviderPaymentStatus;
  /** The provider's fee, when it says; recorded only when it is in the payment's currency. */
  fee?: { amount: string; currency: string } | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  /** When the provider says it happened (the settlement's completion time when it completes it). */
  at: Date;
}

/** What a completed payment's method needs: the provider confirmed it works (payment_methods.is_verified). */
export interface PaymentMethodVerifier {
  findById(em: EntityManager, id: string): Promise<{ id: string; provider?: string | null; externalId?: string | null } | null>;
  markVerified(em: EntityManager, methodId: string, provider: string, externalId: string): Promise<boolean>;
}

export interface Transition {
  payment: Payment;
  from: PaymentStatus;
  /** Null: the report moved nothing (the same status again, or late or out of order). */
  to: PaymentStatus | null;
  /** What it did to the settlement. */
  settlement: 'completed' | 'reversed' | 'unchanged';
}

const FINAL: readonly PaymentStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * Moves a payment (its row locked by the caller) by what its provider reported, through the one
 * status machine (`nextPaymentStatus`), in the caller's transaction: the row, `payment.<status>`, and
 * for a completed payment its settlement completed (settlement.completed), for a refunded one its
 * settlement reversed (settlement.reversed). A report that does not move it changes nothing. A plain
 * class: payment-worker builds it by hand, the API through PaymentModule.
 */
export class PaymentTransitions {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly payments: PaymentRepository,
    private readonly settlements: SettlementRepository,
    private readonly lifecycle: SettlementLifecycle,
    private readonly methods?: PaymentMethodVerifier,
  ) {}

  async apply(em: EntityManager, payment: Payment, reported: ReportedPayment): Promise<Transition> {
    const from = payment.status;
    const to = nextPaymentStatus(from, reported.status);
    if (!to) return { payment, from, to: null, settlement: 'unchanged' };
    const change: PaymentChange = { status: to };
    if (FINAL.includes(to)) change.processedAt = reported.at;
    const places = currencyDecimals(payment.currency);
    if (to === 'completed' && reported.fee && reported.fee.currency === payment.currency && places !== undefined && isAmount(reported.fee.amount, places)) {
      change.processingFee = reported.fee.amount;
    }
    if (to === 'failed' || to === 'cancelled') {
      change.errorCode = reported.errorCode?.slice(0, 100) ?? null;
      change.errorMessage = reported.errorMessage?.slice(0, 1000) ?? null;
    }
    const moved = await this.payments.update(em, payment.id, change);
    const settlement = await this.settlements.findById(em, moved.settlementId);
    if (!settlement) throw new Error(`settlement ${moved.settlementId} of payment ${moved.id} is missing`);
    await this.outbox.append(em, PaymentEvents.moved(moved, settlement, reported.at));
    let effect: Transition['settlement'] = 'unchanged';
    if (to === 'completed' && (await this.lifecycle.completeByPayment(em, moved.settlementId, { paymentId: moved.id, at: reported.at }))) effect = 'completed';
    if (to === 'refunded' && (await this.lifecycle.reverseByRefund(em, moved.settlementId, { paymentId: moved.id, at: reported.at }))) effect = 'reversed';
    if (to === 'completed') await this.verifyMethod(em, moved);
    return { payment: moved, from, to, settlement: effect };
  }

  /**
   * A real provider took money with the method: it works (is_verified, set only by a provider's
   * confirmation). Only for the provider that holds the method (its id there); never the sandbox's word.
   */
  private async verifyMethod(em: EntityManager, p: Payment): Promise<void> {
    if (!this.methods || p.paymentService === 'sandbox') return;
    const method = await this.methods.findById(em, p.paymentMethodId);
    const charged = typeof p.metadata.providerMethodId === 'string' ? p.metadata.providerMethodId : null;
    const externalId = method?.externalId ?? charged;
    if (!method || !externalId || (method.provider && method.provider !== p.paymentService)) return;
    await this.methods.markVerified(em, method.id, p.paymentService, externalId);
  }
}
