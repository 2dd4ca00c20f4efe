import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

/** A group settlement as member balances apply it. */
export interface AppliedSettlement {
  settlementId: string;
  groupId: string;
  payerId: string;
  payeeId: string;
  /** Decimal string. */
  amount: string;
  currency: string;
}

/**
 * `applied_settlements`: the group settlements `member_balances` and `groups.settled_amount` reflect, one
 * row per settlement, so each applies once whatever the events, and its reversal takes back exactly what
 * was applied.
 */
@Injectable()
export class AppliedSettlementRepository {
  /** Records the settlement as applied; false when it was already known (applied, or refunded): then nothing is to be done. */
  async insertCompleted(em: EntityManager, s: AppliedSettlement): Promise<boolean> {
    const rows = await em.getConnection().execute<{ settlement_id: string }[]>(
      `INSERT INTO applied_settlements (settlement_id, group_id, payer_id, payee_id, amount, currency, status)
       VALUES (?, ?, ?, ?, ?::numeric, ?, 'completed') ON CONFLICT (settlement_id) DO NOTHING RETURNING settlement_id`,
      [s.settlementId, s.groupId, s.payerId, s.payeeId, s.amount, s.currency], 'all', em.getTransactionContext(),
    );
    return rows.length > 0;
  }

  /**
   * Marks an applied settlement refunded and returns what it had applied (to take back); null when it
   * was not applied: then it is kept as refunded, so that a late completion moves nothing.
   */
  async markRefunded(em: EntityManager, s: AppliedSettlement): Promise<AppliedSettlement | null> {
    const rows = await em.getConnection().execute<AppliedSettlement[]>(
      `UPDATE applied_settlements SET status = 'refunded', refunded_at = now() WHERE settlement_id = ? AND status = 'completed'
       RETURNING settlement_id AS "settlementId", group_id AS "groupId", payer_id AS "payerId", payee_id AS "payeeId", amount::text AS amount, currency`,
      [s.settlementId], 'all', em.getTransactionContext(),
    );
    if (rows[0]) return rows[0];
    await em.getConnection().execute(
      `INSERT INTO applied_settlements (settlement_id, group_id, payer_id, payee_id, amount, currency, status, refunded_at)
       VALUES (?, ?, ?, ?, ?::numeric, ?, 'refunded', now()) ON CONFLICT (settlement_id) DO NOTHING`,
      [s.settlementId, s.groupId, s.payerId, s.payeeId, s.amount, s.currency], 'run', em.getTransactionContext(),
    );
    return null;
  }
}
