import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

/** One user's net in one currency: what they paid minus what they owe, as exact NUMERIC text. */
export interface NetRow {
  currency: string;
  userId: string;
  net: string;
}

/**
 * Payers and shares of the expenses that count (approved, not deleted), for pairwise and per-friend views.
 * A completed settlement is one more such row pair, as an expense of its own: `expenseId` is then the
 * settlement's id, its payer "paid" the amount and its payee "owes" it.
 */
export interface PartRow {
  expenseId: string;
  currency: string;
  userId: string;
  paid: string;
  owed: string;
}

/** A completed settlement in a member's ledger: what they paid or received. */
export interface SettlementLedgerRow {
  settlementId: string;
  payerId: string;
  payeeId: string;
  completedAt: string | null;
  paid: string;
  received: string;
}

/** Only completed settlements count; a refunded one no longer moves anything. */
const COMPLETED = `st.status = 'completed'`;

/**
 * Balance queries over `expenses`, `expense_payers`, `expense_shares` and `settlements` (read-only; the
 * expense and settlement repositories write them). Only approved, not deleted expenses count, and every
 * completed settlement, in its own currency, like an expense paid by the payer and owed by the payee:
 * payer +amount, payee −amount (docs/adr/0012). Sums are PostgreSQL NUMERIC: exact, never a float.
 */
@Injectable()
export class BalanceRepository {
  /** Each member's net per currency in a group (non-zero only). */
  async groupNets(em: EntityManager, groupId: string): Promise<NetRow[]> {
    return em.getConnection().execute<NetRow[]>(
      `SELECT x.currency, x.user_id AS "userId", sum(x.amount)::text AS net FROM (
         SELECT e.currency, p.user_id, p.amount FROM expenses e JOIN expense_payers p ON p.expense_id = e.id
          WHERE e.group_id = ? AND e.is_approved AND NOT e.is_deleted
         UNION ALL
         SELECT e.currency, s.user_id, -s.amount FROM expenses e JOIN expense_shares s ON s.expense_id = e.id
          WHERE e.group_id = ? AND e.is_approved AND NOT e.is_deleted
         UNION ALL
         SELECT st.currency, st.payer_id, st.amount FROM settlements st WHERE st.group_id = ? AND ${COMPLETED}
         UNION ALL
         SELECT st.currency, st.payee_id, -st.amount FROM settlements st WHERE st.group_id = ? AND ${COMPLETED}
       ) x GROUP BY x.currency, x.user_id HAVING sum(x.amount) <> 0 ORDER BY x.currency, x.user_id`,
      [groupId, groupId, groupId, groupId], 'all', em.getTransactionContext(),
    );
  }

  /**
   * Each member's net per currency in a group, split further by the rate snapshotted on the expenses
   * when `byRate` (null: no rate was known); with `byRate` false, `rate` is always null. Settlements have
   * no snapshotted rate: their rate is always null, like an expense saved before any rate was known.
   */
  async groupNetsByRate(em: EntityManager, groupId: string, byRate: boolean): Promise<(NetRow & { rate: string | null })[]> {
    const rate = byRate ? 'e.exchange_rate_to_usd::text' : 'NULL::text';
    return em.getConnection().execute(
      `SELECT x.currency, x.rate, x.user_id AS "userId", sum(x.amount)::text AS net FROM (
         SELECT e.currency, ${rate} AS rate, p.user_id, p.amount FROM expenses e JOIN expense_payers p ON p.expense_id = e.id
          WHERE e.group_id = ? AND e.is_approved AND NOT e.is_deleted
         UNION ALL
         SELECT e.currency, ${rate} AS rate, s.user_id, -s.amount FROM expenses e JOIN expense_shares s ON s.expense_id = e.id
          WHERE e.group_id = ? AND e.is_approved AND NOT e.is_deleted
         UNION ALL
         SELECT st.currency, NULL::text AS rate, st.payer_id, st.amount FROM settlements st WHERE st.group_id = ? AND ${COMPLETED}
         UNION ALL
         SELECT st.currency, NULL::text AS rate, st.payee_id, -st.amount FROM settlements st WHERE st.group_id = ? AND ${COMPLETED}
       ) x GROUP BY x.currency, x.rate, x.user_id HAVING sum(x.amount) <> 0 ORDER BY x.currency, x.rate NULLS FIRST, x.user_id`,
      [groupId, groupId, groupId, groupId], 'all', em.getTransactionContext(),
    );
  }

  /** What each counted expense of the group in this currency did to the user's balance (newest first). */
  async memberLedger(em: EntityManager, groupId: string, userId: string, currency: string, limit: number): Promise<{ expenseId: string; title: string; expenseDate: string; paid: string; owed: string }[]> {
    return em.getConnection().execute(
      `SELECT e.id AS "expenseId", e.title, to_char(e.expense_date, 'YYYY-MM-DD') AS "expenseDate",
              COALESCE(p.amount, 0)::text AS paid, COALESCE(s.amount, 0)::text AS owed
         FROM expenses e
         LEFT JOIN expense_payers p ON p.expense_id = e.id AND p.user_id = ?
         LEFT JOIN expense_shares s ON s.expense_id = e.id AND s.user_id = ?
        WHERE e.group_id = ? AND e.currency = ? AND e.is_approved AND NOT e.is_deleted AND (p.user_id IS NOT NULL OR s.user_id IS NOT NULL)
        ORDER BY e.expense_date DESC, e.created_at DESC, e.id DESC LIMIT ?`,
      [userId, userId, groupId, currency, limit], 'all', em.getTransactionContext(),
    );
  }

  /** The completed settlements of the group in this currency that the user paid or received (newest first). */
  async memberSettlements(em: EntityManager, groupId: string, userId: string, currency: string, limit: number): Promise<SettlementLedgerRow[]> {
    return em.getConnection().execute(
      `SELECT st.id AS "settlementId", st.payer_id AS "payerId", st.payee_id AS "payeeId",
              to_char(st.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "completedAt",
              (CASE WHEN st.payer_id = ? THEN st.amount ELSE 0 END)::text AS paid,
              (CASE WHEN st.payee_id = ? THEN st.amount ELSE 0 END)::text AS received
         FROM settlements st
        WHERE st.group_id = ? AND st.currency = ? AND ${COMPLETED} AND (st.payer_id = ? OR st.payee_id = ?)
        ORDER BY st.completed_at DESC NULLS LAST, st.id DESC LIMIT ?`,
      [userId, userId, groupId, currency, userId, userId, limit], 'all', em.getTransactionContext(),
    );
  }

  /**
   * Whether every member's balance in the group and currency is exactly zero, settlements included:
   * the books of that currency are closed.
   */
  async groupCurrencyIsSquare(em: EntityManager, groupId: string, currency: string): Promise<boolean> {
    const [row] = await em.getConnection().execute<{ square: boolean }[]>(
      `SELECT NOT EXISTS (SELECT 1 FROM (
         SELECT p.user_id, p.amount FROM expenses e JOIN expense_payers p ON p.expense_id = e.id
          WHERE e.group_id = ? AND e.currency = ? AND e.is_approved AND NOT e.is_deleted
         UNION ALL
         SELECT s.user_id, -s.amount FROM expenses e JOIN expense_shares s ON s.expense_id = e.id
          WHERE e.group_id = ? AND e.currency = ? AND e.is_approved AND NOT e.is_deleted
         UNION ALL
         SELECT st.payer_id, st.amount FROM settlements st WHERE st.group_id = ? AND st.currency = ? AND ${COMPLETED}
         UNION ALL
         SELECT st.payee_id, -st.amount FROM settlements st WHERE st.group_id = ? AND st.currency = ? AND ${COMPLETED}
       ) x GROUP BY x.user_id HAVING sum(x.amount) <> 0) AS square`,
      [groupId, currency, groupId, currency, groupId, currency, groupId, currency], 'all', em.getTransactionContext(),
    );
    return row.square;
  }

  /** The user's net per currency in each group they are an active member of (non-zero only). */
  async myGroupNets(em: EntityManager, userId: string): Promise<(NetRow & { groupId: string })[]> {
    return em.getConnection().execute(
      `SELECT x.group_id AS "groupId", x.currency, ? AS "userId", sum(x.amount)::text AS net FROM (
         SELECT e.group_id, e.currency, p.amount FROM expenses e JOIN expense_payers p ON p.expense_id = e.id
          WHERE p.user_id = ? AND e.group_id IS NOT NULL AND e.is_approved AND NOT e.is_deleted
         UNION ALL
         SELECT e.group_id, e.currency, -s.amount FROM expenses e JOIN expense_shares s ON s.expense_id = e.id
          WHERE s.user_id = ? AND e.group_id IS NOT NULL AND e.is_approved AND NOT e.is_deleted
         UNION ALL
         SELECT st.group_id, st.currency, st.amount FROM settlements st WHERE st.payer_id = ? AND st.group_id IS NOT NULL AND ${COMPLETED}
         UNION ALL
         SELECT st.group_id, st.currency, -st.amount FROM settlements st WHERE st.payee_id = ? AND st.group_id IS NOT NULL AND ${COMPLETED}
       ) x WHERE x.group_id IN (SELECT group_id FROM group_members WHERE user_id = ? AND is_active)
       GROUP BY x.group_id, x.currency HAVING sum(x.amount) <> 0 ORDER BY x.group_id, x.currency`,
      [userId, userId, userId, userId, userId, userId], 'all', em.getTransactionContext(),
    );
  }

  /** Payers and shares of a group's expenses that count, and its completed settlements. */
  async groupParts(em: EntityManager, groupId: string): Promise<PartRow[]> {
    return this.parts(
      em,
      `SELECT e.id, e.currency FROM expenses e WHERE e.group_id = ? AND e.is_approved AND NOT e.is_deleted`, [groupId],
      `st.group_id = ?`, [groupId],
    );
  }

  /** Payers and shares of the non-group expenses the user takes part in, and the user's completed settlements with friends. */
  async nonGroupParts(em: EntityManager, userId: string): Promise<PartRow[]> {
    return this.parts(
      em,
      `SELECT e.id, e.currency FROM expenses e WHERE e.group_id IS NULL AND e.is_approved AND NOT e.is_deleted
          AND (e.id IN (SELECT expense_id FROM expense_shares WHERE user_id = ?) OR e.id IN (SELECT expense_id FROM expense_payers WHERE user_id = ?))`,
      [userId, userId],
      `st.group_id IS NULL AND (st.payer_id = ? OR st.payee_id = ?)`, [userId, userId],
    );
  }

  private parts(em: EntityManager, which: string, params: unknown[], settlements: string, settlementParams: unknown[]): Promise<PartRow[]> {
    return em.getConnection().execute<PartRow[]>(
      `WITH mine AS (${which})
       SELECT m.id AS "expenseId", m.currency, u.user_id AS "userId", COALESCE(p.amount, 0)::text AS paid, COALESCE(s.amount, 0)::text AS owed
         FROM mine m
         JOIN (SELECT expense_id, user_id FROM expense_payers UNION SELECT expense_id, user_id FROM expense_shares) u ON u.expense_id = m.id
         LEFT JOIN expense_payers p ON p.expense_id = m.id AND p.user_id = u.user_id
         LEFT JOIN expense_shares s ON s.expense_id = m.id AND s.user_id = u.user_id
       UNION ALL
       SELECT st.id, st.currency, st.payer_id, st.amount::text, '0' FROM settlements st WHERE ${settlements} AND ${COMPLETED}
       UNION ALL
       SELECT st.id, st.currency, st.payee_id, '0', st.amount::text FROM settlements st WHERE ${settlements} AND ${COMPLETED}
        ORDER BY 1, 3`,
      [...params, ...settlementParams, ...settlementParams], 'all', em.getTransactionContext(),
    );
  }
}
