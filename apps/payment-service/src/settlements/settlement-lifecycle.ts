import { EntityManager } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import type { MembershipProjectionRepository } from '@tally/projections';
import { Settlement } from './settlement.entity';
import { SettlementErrors } from './settlement.exceptions';
import { SettlementEvents } from './settlement.events';
import { SettlementRepository } from './settlement.repository';

/**
 * What provider payments do to a settlement (payments and payment-worker's webhook processing call it,
 * in their own transactions): lock it for a new payment, complete it when a payment succeeded, reverse
 * it when that payment was refunded. A plain class, built by hand in payment-worker and provided by
 * Nest in the API (SettlementModule). Each method locks the settlement row (FOR UPDATE) and publishes
 * its event through the outbox in the caller's transaction.
 */
export class SettlementLifecycle {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly repo: SettlementRepository,
    /** When given, a group admin who is no party gets 403 (they can read it) instead of 404. */
    private readonly members?: MembershipProjectionRepository,
  ) {}

  /**
   * The settlement, locked FOR UPDATE, when `userId` is its payer and it is pending. Otherwise: 404
   * SETTLEMENT_NOT_FOUND when the user may not see it, 403 SETTLEMENT_PAYER_ONLY when they may (the
   * payee, an admin of its group), 409 SETTLEMENT_NOT_PENDING when it is completed, cancelled or refunded.
   */
  async lockForPayment(em: EntityManager, settlementId: string, userId: string): Promise<Settlement> {
    const s = await this.repo.lock(em, settlementId);
    if (!s) throw SettlementErrors.notFound();
    if (s.payerId !== userId) {
      if (s.payeeId === userId || (await this.isGroupAdmin(em, s, userId))) throw SettlementErrors.payerOnly();
      throw SettlementErrors.notFound();
    }
    if (s.status !== 'pending') throw SettlementErrors.notPending(s.status);
    return s;
  }

  /**
   * A provider payment for it succeeded: pending → completed (completed_at = `at`; the method stays as
   * recorded), settlement.completed with `paymentId`. False, changing nothing, when it is not pending
   * (already completed by this or another way, or — which the cancel rule prevents — cancelled).
   */
  async completeByPayment(em: EntityManager, settlementId: string, p: { paymentId: string; at: Date }): Promise<boolean> {
    const s = await this.repo.lock(em, settlementId);
    if (!s) throw SettlementErrors.notFound();
    if (s.status !== 'pending') return false;
    const done = await this.repo.update(em, s.id, { status: 'completed', completedAt: p.at, confirmedAt: s.confirmedAt ?? p.at });
    await this.outbox.append(em, SettlementEvents.completed(done, { byUserId: null, paymentId: p.paymentId, at: p.at }));
    return true;
  }

  /**
   * The payment that completed it was refunded: completed → refunded (refunded_at = `at`),
   * settlement.reversed with `paymentId`. False, changing nothing, when it is not completed (already
   * refunded, or never completed).
   */
  async reverseByRefund(em: EntityManager, settlementId: string, p: { paymentId: string; at: Date }): Promise<boolean> {
    const s = await this.repo.lock(em, settlementId);
    if (!s) throw SettlementErrors.notFound();
    if (s.status !== 'completed') return false;
    const reversed = await this.repo.update(em, s.id, { status: 'refunded', refundedAt: p.at });
    await this.outbox.append(em, SettlementEvents.reversed(reversed, { paymentId: p.paymentId, at: p.at }));
    return true;
  }

  private async isGroupAdmin(em: EntityManager, s: Settlement, userId: string): Promise<boolean> {
    if (!s.groupId || !this.members) return false;
    const m = await this.members.find(em, s.groupId, userId);
    return !!m && m.isActive && m.role === 'admin';
  }
}
