import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

/** Where a settlement moves balances: one group, or two friends outside groups. */
export type SettlementScope = { kind: 'group'; groupId: string } | { kind: 'friends'; payerId: string; payeeId: string };

export interface SettlementRecord {
  settlementId: string;
  groupId: string | null;
  payerId: string;
  payeeId: string;
  /** Decimal string (NUMERIC(16,3) text). */
  amount: string;
  currency: string;
  paymentId: string | null;
  /** When it completed (ISO); the event's time when the event did not say. */
  completedAt: string;
}

/** A share of the payer's that the settlement may pay: what is still open of it, as NUMERIC text. */
export interface OpenShareRow {
  shareId: string;
  expenseId: string;
  open: string;
}

/** Expenses that count: approved, not deleted. */
const COUNTED = `e.is_approved AND NOT e.is_deleted`;

/** A PostgreSQL array literal of ids (UUIDs need no quoting): one parameter however many there are. */
const idArray = (ids: readonly string[]): string => `{${ids.join(',')}}`;

/**
 * The only code that touches `settlements` (expense-service's projection of completed settlements) and
 * `share_settlements` (which settlement paid how much of which share), and the code that writes the
 * settlement bookkeeping of `expense_shares` (`settled_amount`, `is_settled`, `settled_at`,
 * `settlement_id`) and `expenses.is_settled`; the expense repository writes everything else of those
 * tables, and refuses to change an expense that has anything settled. Every method takes the consumer's
 * transaction; amounts stay NUMERIC in SQL.
 *
 * Locks, always in this order, so that settlement events and expense edits never wait on each other in
 * a circle: the scope (a transaction advisory lock per group, or per user for friends), then the expense
 * rows in id order (`FOR NO KEY UPDATE`, as an edit takes its expense's row before its shares), then
 * their shares.
 */
@Injectable()
export class SettlementRepository {
  private exec<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T> {
    return em.getConnection().execute(sql, params, 'all', em.getTransactionContext()) as Promise<T>;
  }

  /** Serializes the settlement events of one scope until the transaction ends (keys taken in sorted order). */
  async lockScope(em: EntityManager, scope: SettlementScope): Promise<void> {
    const keys = scope.kind === 'group' ? [`group:${scope.groupId}`] : [`user:${scope.payerId}`, `user:${scope.payeeId}`].sort();
    for (const key of keys) await this.exec(em, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, [`settlement-scope:${key}`]);
  }

  /** Records a completed settlement; false when it was already known (completed, or refunded): then nothing is to be done. */
  async insertCompleted(em: EntityManager, s: SettlementRecord, eventTime: string): Promise<boolean> {
    const rows = await this.exec<{ id: string }[]>(em,
      `INSERT INTO settlements (id, group_id, payer_id, payee_id, amount, currency, status, payment_id, completed_at, last_event_at)
       VALUES (?, ?, ?, ?, ?::numeric, ?, 'completed', ?, ?::timestamptz, ?::timestamptz)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [s.settlementId, s.groupId, s.payerId, s.payeeId, s.amount, s.currency, s.paymentId, s.completedAt, eventTime]);
    return rows.length > 0;
  }

  /**
   * Marks a completed settlement refunded; true when it was completed here until now. A reversal of a
   * settlement never seen completed is recorded as refunded, so that its completion, if it still comes,
   * moves nothing.
   */
  async markRefunded(em: EntityManager, s: SettlementRecord, refundedAt: string, eventTime: string): Promise<boolean> {
    const rows = await this.exec<{ id: string }[]>(em,
      `UPDATE settlements SET status = 'refunded', refunded_at = ?::timestamptz, last_event_at = ?::timestamptz
        WHERE id = ? AND status = 'completed' RETURNING id`,
      [refundedAt, eventTime, s.settlementId]);
    if (rows.length) return true;
    await this.exec(em,
      `INSERT INTO settlements (id, group_id, payer_id, payee_id, amount, currency, status, payment_id, completed_at, refunded_at, last_event_at)
       VALUES (?, ?, ?, ?, ?::numeric, ?, 'refunded', ?, NULL, ?::timestamptz, ?::timestamptz)
       ON CONFLICT (id) DO NOTHING`,
      [s.settlementId, s.groupId, s.payerId, s.payeeId, s.amount, s.currency, s.paymentId, refundedAt, eventTime]);
    return false;
  }

  /**
   * Locks (in id order) the counted expenses of the scope in the currency in which the payer has an open
   * share that is a debt (someone else is its creditor); between friends, the expenses the payee paid
   * (or helped pay).
   */
  async lockPayersOpenDebts(em: EntityManager, scope: SettlementScope, payerId: string, currency: string): Promise<string[]> {
    const [where, params]: [string, unknown[]] = scope.kind === 'group'
      ? [`e.group_id = ?`, [scope.groupId]]
      : [`e.group_id IS NULL AND e.id IN (SELECT expense_id FROM expense_payers WHERE user_id = ?)`, [scope.payeeId]];
    const rows = await this.exec<{ id: string }[]>(em,
      `SELECT e.id FROM expenses e
        WHERE ${where} AND e.currency = ? AND ${COUNTED}
          AND e.id IN (SELECT expense_id FROM expense_shares WHERE user_id = ? AND paid_by_id <> ? AND NOT is_settled)
        ORDER BY e.id FOR NO KEY UPDATE OF e`,
      [...params, currency, payerId, payerId]);
    return rows.map((r) => r.id);
  }

  /**
   * The payer's open debt shares of those (locked) expenses, in the order a settlement pays them: the
   * payee's first (the payee is the expense's main payer), then the rest; each oldest first by expense
   * date, then creation, then expense id, then share id.
   */
  async openDebts(em: EntityManager, expenseIds: string[], payerId: string, payeeId: string): Promise<OpenShareRow[]> {
    if (!expenseIds.length) return [];
    return this.exec<OpenShareRow[]>(em,
      `SELECT s.id AS "shareId", s.expense_id AS "expenseId", (s.amount - s.settled_amount)::text AS open
         FROM expense_shares s JOIN expenses e ON e.id = s.expense_id
        WHERE s.expense_id = ANY(?::uuid[]) AND s.user_id = ? AND s.paid_by_id <> ? AND NOT s.is_settled
        ORDER BY (s.paid_by_id = ?) DESC, e.expense_date, e.created_at, e.id, s.id`,
      [idArray(expenseIds), payerId, payerId, payeeId]);
  }

  /**
   * Records what the settlement pays of each share and adds it to the share's `settled_amount`; a share
   * paid in full becomes settled by this settlement. Returns the expenses touched.
   */
  async allocate(em: EntityManager, settlementId: string, settledAt: string, allocations: { shareId: string; amount: string }[]): Promise<string[]> {
    if (!allocations.length) return [];
    const rows = await this.exec<{ expense_id: string }[]>(em,
      `WITH a AS (SELECT share_id, amount::numeric AS amount FROM jsonb_to_recordset(?::jsonb) AS x(share_id uuid, amount text)),
       ins AS (
         INSERT INTO share_settlements (share_id, settlement_id, amount) SELECT share_id, ?::uuid, amount FROM a
         ON CONFLICT (share_id, settlement_id) DO UPDATE SET amount = share_settlements.amount + EXCLUDED.amount
       )
       UPDATE expense_shares s SET settled_amount = s.settled_amount + a.amount,
              is_settled = (s.settled_amount + a.amount = s.amount),
              settled_at = CASE WHEN s.settled_amount + a.amount = s.amount THEN ?::timestamptz END,
              settlement_id = CASE WHEN s.settled_amount + a.amount = s.amount THEN ?::uuid END,
              updated_at = now()
         FROM a WHERE s.id = a.share_id RETURNING s.expense_id`,
      [JSON.stringify(allocations.map((x) => ({ share_id: x.shareId, amount: x.amount }))), settlementId, settledAt, settlementId]);
    return [...new Set(rows.map((r) => r.expense_id))];
  }

  /**
   * One's own part of what one paid (the share of the expense's main payer) is no debt: it is settled,
   * by this settlement, once every other share of its expense is. Returns the expenses touched.
   */
  async settleOwnShares(em: EntityManager, settlementId: string, settledAt: string, expenseIds: string[]): Promise<string[]> {
    if (!expenseIds.length) return [];
    return this.closeShares(em, settlementId, settledAt,
      `s.expense_id = ANY(?::uuid[]) AND s.user_id = s.paid_by_id
       AND NOT EXISTS (SELECT 1 FROM expense_shares o WHERE o.expense_id = s.expense_id AND o.id <> s.id AND NOT o.is_settled)`,
      [idArray(expenseIds)]);
  }

  /**
   * Locks (in id order) the counted expenses of the scope in the currency that still have an open share:
   * in a group, any; between friends, a share of one of the two whose creditor is the other.
   */
  async lockOpenExpenses(em: EntityManager, scope: SettlementScope, currency: string): Promise<string[]> {
    const [where, params]: [string, unknown[]] = scope.kind === 'group'
      ? [`e.group_id = ? AND EXISTS (SELECT 1 FROM expense_shares s WHERE s.expense_id = e.id AND NOT s.is_settled)`, [scope.groupId]]
      : [`e.group_id IS NULL AND e.id IN (SELECT expense_id FROM expense_shares WHERE NOT is_settled AND ((user_id = ? AND paid_by_id = ?) OR (user_id = ? AND paid_by_id = ?)))`,
        [scope.payerId, scope.payeeId, scope.payeeId, scope.payerId]];
    const rows = await this.exec<{ id: string }[]>(em,
      `SELECT e.id FROM expenses e WHERE ${where} AND e.currency = ? AND ${COUNTED} ORDER BY e.id FOR NO KEY UPDATE OF e`,
      [...params, currency]);
    return rows.map((r) => r.id);
  }

  /**
   * The books are closed: every open share of those (locked) expenses is settled by this settlement (in
   * a group, all of them; between friends, those of one of the two whose creditor is the other), its open
   * rest recorded as this settlement's. Returns the expenses touched.
   */
  async settleOpenShares(em: EntityManager, settlementId: string, settledAt: string, expenseIds: string[], scope: SettlementScope): Promise<string[]> {
    if (!expenseIds.length) return [];
    const [which, params]: [string, unknown[]] = scope.kind === 'group'
      ? [`TRUE`, []]
      : [`((s.user_id = ? AND s.paid_by_id = ?) OR (s.user_id = ? AND s.paid_by_id = ?))`, [scope.payerId, scope.payeeId, scope.payeeId, scope.payerId]];
    return this.closeShares(em, settlementId, settledAt, `s.expense_id = ANY(?::uuid[]) AND ${which}`, [idArray(expenseIds), ...params]);
  }

  /** Settles the open shares matching `where` (on `s`) in full by the settlement, recording each open rest as its allocation. */
  private async closeShares(em: EntityManager, settlementId: string, settledAt: string, where: string, params: unknown[]): Promise<string[]> {
    const rows = await this.exec<{ expense_id: string }[]>(em,
      `WITH open AS (SELECT s.id, s.amount - s.settled_amount AS rest FROM expense_shares s WHERE ${where} AND NOT s.is_settled),
       ins AS (
         INSERT INTO share_settlements (share_id, settlement_id, amount) SELECT id, ?::uuid, rest FROM open
         ON CONFLICT (share_id, settlement_id) DO UPDATE SET amount = share_settlements.amount + EXCLUDED.amount
       )
       UPDATE expense_shares s SET settled_amount = s.amount, is_settled = TRUE, settled_at = ?::timestamptz, settlement_id = ?::uuid, updated_at = now()
         FROM open WHERE s.id = open.id RETURNING s.expense_id`,
      [...params, settlementId, settledAt, settlementId]);
    return [...new Set(rows.map((r) => r.expense_id))];
  }

  /** Locks (in id order) the expenses whose shares the settlement paid or closed. */
  async lockAllocatedExpenses(em: EntityManager, settlementId: string): Promise<string[]> {
    const rows = await this.exec<{ id: string }[]>(em,
      `SELECT e.id FROM expenses e
        WHERE e.id IN (SELECT s.expense_id FROM share_settlements a JOIN expense_shares s ON s.id = a.share_id WHERE a.settlement_id = ?)
        ORDER BY e.id FOR NO KEY UPDATE OF e`,
      [settlementId]);
    return rows.map((r) => r.id);
  }

  /**
   * Takes back exactly what the settlement paid or closed: deletes its allocations and subtracts them
   * from the shares' `settled_amount`; each of those shares is open again (partly paid, if other
   * settlements paid some of it). Returns the expenses touched.
   */
  async takeBack(em: EntityManager, settlementId: string): Promise<string[]> {
    const rows = await this.exec<{ expense_id: string }[]>(em,
      `WITH gone AS (DELETE FROM share_settlements WHERE settlement_id = ? RETURNING share_id, amount)
       UPDATE expense_shares s SET settled_amount = s.settled_amount - gone.amount, is_settled = FALSE, settled_at = NULL, settlement_id = NULL, updated_at = now()
         FROM gone WHERE s.id = gone.share_id RETURNING s.expense_id`,
      [settlementId]);
    return [...new Set(rows.map((r) => r.expense_id))];
  }

  /** A main payer's own share is settled only while every other share of its expense is: reopens those that no longer are. */
  async reopenOwnShares(em: EntityManager, expenseIds: string[]): Promise<void> {
    if (!expenseIds.length) return;
    await this.exec(em,
      `WITH own AS (
         SELECT s.id FROM expense_shares s
          WHERE s.expense_id = ANY(?::uuid[]) AND s.user_id = s.paid_by_id AND s.is_settled
            AND EXISTS (SELECT 1 FROM expense_shares o WHERE o.expense_id = s.expense_id AND o.id <> s.id AND NOT o.is_settled)
       ),
       gone AS (DELETE FROM share_settlements a USING own WHERE a.share_id = own.id)
       UPDATE expense_shares s SET settled_amount = 0, is_settled = FALSE, settled_at = NULL, settlement_id = NULL, updated_at = now()
         FROM own WHERE s.id = own.id`,
      [idArray(expenseIds)]);
  }

  /** `expenses.is_settled`: every share of the expense is settled (written only where it changes). */
  async refreshExpenses(em: EntityManager, expenseIds: string[]): Promise<void> {
    if (!expenseIds.length) return;
    await this.exec(em,
      `UPDATE expenses e SET is_settled = x.settled, updated_at = now()
         FROM (SELECT e2.id, NOT EXISTS (SELECT 1 FROM expense_shares s WHERE s.expense_id = e2.id AND NOT s.is_settled) AS settled
                 FROM expenses e2 WHERE e2.id = ANY(?::uuid[])) x
        WHERE e.id = x.id AND e.is_settled <> x.settled`,
      [idArray(expenseIds)]);
  }
}
