import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { BudgetEventData } from '@tally/contracts';
import type { BudgetPeriod } from '@tally/money';
import type { TimeIdCursor } from '@tally/service-kit';

/** A budget as analytics holds it (from expense-service's budget.* events). */
export interface TrackedBudget {
  budgetId: string;
  userId: string;
  categoryId: string | null;
  categoryName: string | null;
  /** NUMERIC(13,3) text, e.g. "100.000". */
  amount: string;
  currency: string;
  period: BudgetPeriod;
  startDate: string;
  endDate: string | null;
  createdAt: Date;
}

/** One person's part of one expense, as the newest expense.* event says. */
export interface SpendingRow {
  userId: string;
  /** Decimal string. */
  amount: string;
}

const BUDGET_COLUMNS = `budget_id, user_id, category_id, category_name, amount::text AS amount, currency, period,
  to_char(start_date, 'YYYY-MM-DD') AS start_date, to_char(end_date, 'YYYY-MM-DD') AS end_date, created_at`;

type BudgetRow = {
  budget_id: string; user_id: string; category_id: string | null; category_name: string | null; amount: string; currency: string;
  period: BudgetPeriod; start_date: string; end_date: string | null; created_at: Date;
};

const toBudget = (r: BudgetRow): TrackedBudget => ({
  budgetId: r.budget_id, userId: r.user_id, categoryId: r.category_id, categoryName: r.category_name, amount: r.amount, currency: r.currency,
  period: r.period, startDate: r.start_date, endDate: r.end_date, createdAt: new Date(r.created_at),
});

/** The only code that touches `budgets`, `expense_spending` and `budget_threshold_crossings`; every method takes the EntityManager first. */
@Injectable()
export class BudgetTrackingRepository {
  private run<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
    return em.getConnection().execute(sql, params, 'all', em.getTransactionContext()) as Promise<T[]>;
  }

  /** Applies a budget event unless a newer one is held. True when it was applied. */
  async upsertBudget(em: EntityManager, d: BudgetEventData, eventTime: string): Promise<boolean> {
    const rows = await this.run<{ budget_id: string }>(em,
      `INSERT INTO budgets (budget_id, user_id, category_id, category_name, amount, currency, period, start_date, end_date, is_deleted, created_at, event_time)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (budget_id) DO UPDATE SET category_id = EXCLUDED.category_id, category_name = EXCLUDED.category_name, amount = EXCLUDED.amount,
         currency = EXCLUDED.currency, period = EXCLUDED.period, start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date,
         is_deleted = EXCLUDED.is_deleted, event_time = EXCLUDED.event_time
       WHERE budgets.event_time <= EXCLUDED.event_time
       RETURNING budget_id`,
      [d.budgetId, d.userId, d.categoryId, d.categoryName, d.amount, d.currency, d.period, d.startDate, d.endDate, d.isDeleted, d.createdAt, eventTime]);
    return rows.length > 0;
  }

  /** The budget if it is followed (not deleted), locked until the transaction ends: its checks run one at a time. */
  async lockBudget(em: EntityManager, budgetId: string): Promise<TrackedBudget | null> {
    const [row] = await this.run<BudgetRow>(em, `SELECT ${BUDGET_COLUMNS} FROM budgets WHERE budget_id = ? AND NOT is_deleted FOR UPDATE`, [budgetId]);
    return row ? toBudget(row) : null;
  }

  /** The users' followed budgets that spending in `currency` and `categoryId` counts for, locked in id order. */
  async lockBudgetsFor(em: EntityManager, userIds: readonly string[], currency: string, categoryId: string | null): Promise<TrackedBudget[]> {
    if (!userIds.length) return [];
    const rows = await this.run<BudgetRow>(em,
      `SELECT ${BUDGET_COLUMNS} FROM budgets
       WHERE user_id = ANY(?::uuid[]) AND NOT is_deleted AND currency = ? AND (category_id IS NULL OR category_id = ?::uuid)
       ORDER BY budget_id FOR UPDATE`,
      [`{${userIds.join(',')}}`, currency, categoryId]);
    return rows.map(toBudget);
  }

  /** The user's followed budgets, newest first (ties by id), after the cursor. */
  async listForUser(em: EntityManager, userId: string, after: TimeIdCursor | undefined, take: number): Promise<TrackedBudget[]> {
    const params: unknown[] = [userId];
    let where = 'user_id = ? AND NOT is_deleted';
    if (after) {
      where += ' AND (created_at, budget_id) < (?::timestamptz, ?::uuid)';
      params.push(after.at.toISOString(), after.id);
    }
    params.push(take);
    return (await this.run<BudgetRow>(em, `SELECT ${BUDGET_COLUMNS} FROM budgets WHERE ${where} ORDER BY created_at DESC, budget_id DESC LIMIT ?`, params)).map(toBudget);
  }

  /**
   * Replaces an expense's spending rows with the event's (one per share owner, a person's shares
   * summed), unless a newer event of the expense is held. True when they were replaced.
   */
  async replaceSpending(em: EntityManager, expenseId: string, e: { currency: string; categoryId: string | null; expenseDate: string; counts: boolean; shares: readonly SpendingRow[] }, eventTime: string): Promise<boolean> {
    const [held] = await this.run<{ newest: Date | null }>(em, `SELECT max(event_time) AS newest FROM expense_spending WHERE expense_id = ?`, [expenseId]);
    if (held?.newest && new Date(held.newest).getTime() > new Date(eventTime).getTime()) return false;
    await this.run(em, `DELETE FROM expense_spending WHERE expense_id = ?`, [expenseId]);
    for (const s of e.shares) {
      await this.run(em,
        `INSERT INTO expense_spending (expense_id, user_id, amount, currency, category_id, expense_date, counts, event_time)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (expense_id, user_id) DO UPDATE SET amount = expense_spending.amount + EXCLUDED.amount`,
        [expenseId, s.userId, s.amount, e.currency, e.categoryId, e.expenseDate, e.counts, eventTime]);
    }
    return true;
  }

  /** What `userId` spent in `currency` (and `categoryId`, or any) on dates in [from, to): approved, not deleted expenses. NUMERIC text. */
  async spent(em: EntityManager, userId: string, currency: string, categoryId: string | null, from: string, to: string): Promise<string> {
    const [row] = await this.run<{ spent: string }>(em,
      `SELECT COALESCE(sum(amount), 0)::text AS spent FROM expense_spending
       WHERE user_id = ? AND currency = ? AND counts AND (?::uuid IS NULL OR category_id = ?::uuid) AND expense_date >= ?::date AND expense_date < ?::date`,
      [userId, currency, categoryId, categoryId, from, to]);
    return row.spent;
  }

  /** The thresholds recorded for a budget's period. */
  async recordedThresholds(em: EntityManager, budgetId: string, periodStart: string): Promise<Set<number>> {
    const rows = await this.run<{ threshold: number }>(em, `SELECT threshold FROM budget_threshold_crossings WHERE budget_id = ? AND period_start = ?`, [budgetId, periodStart]);
    return new Set(rows.map((r) => Number(r.threshold)));
  }

  /** Records a crossing once ever: false when (budget, period start, threshold) was recorded already (by this or a concurrent transaction). */
  async recordCrossing(em: EntityManager, c: { budgetId: string; periodStart: string; periodEnd: string; threshold: number; spent: string; announced: boolean }): Promise<boolean> {
    const rows = await this.run(em,
      `INSERT INTO budget_threshold_crossings (budget_id, period_start, threshold, period_end, spent, announced) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING RETURNING budget_id`,
      [c.budgetId, c.periodStart, c.threshold, c.periodEnd, c.spent, c.announced]);
    return rows.length > 0;
  }
}
