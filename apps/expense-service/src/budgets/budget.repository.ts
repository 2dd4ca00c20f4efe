import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { BudgetPeriod } from '@tally/money';
import type { TimeIdCursor } from '@tally/service-kit';

/** A row of `budgets` (the finance seed's columns, plus currency and updated_at). Money is a decimal string. */
export interface Budget {
  id: string;
  userId: string;
  categoryId: string | null;
  /** As PostgreSQL holds it: NUMERIC(13,3), e.g. "100.000". */
  amount: string;
  currency: string;
  period: BudgetPeriod;
  startDate: string;
  endDate: string | null;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

export type BudgetFields = Pick<Budget, 'categoryId' | 'amount' | 'currency' | 'period' | 'startDate' | 'endDate'>;

const COLUMNS = `id, user_id, category_id, amount::text AS amount, currency, period, to_char(start_date, 'YYYY-MM-DD') AS start_date,
  to_char(end_date, 'YYYY-MM-DD') AS end_date, created_at, updated_at, deleted_at`;

type Row = {
  id: string; user_id: string; category_id: string | null; amount: string; currency: string; period: BudgetPeriod; start_date: string;
  end_date: string | null; created_at: Date; updated_at: Date; deleted_at: Date | null;
};

const toBudget = (r: Row): Budget => ({
  id: r.id, userId: r.user_id, categoryId: r.category_id, amount: r.amount, currency: r.currency, period: r.period, startDate: r.start_date,
  endDate: r.end_date, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at), deletedAt: r.deleted_at ? new Date(r.deleted_at) : null,
});

/** The only code that touches `budgets`; every method takes the EntityManager first. */
@Injectable()
export class BudgetRepository {
  private async rows(em: EntityManager, sql: string, params: unknown[]): Promise<Budget[]> {
    const rows = (await em.getConnection().execute(sql, params, 'all', em.getTransactionContext())) as Row[];
    return rows.map(toBudget);
  }

  /** `at` is the creation time to the millisecond (what a cursor holds), so pages never skip or repeat a row. */
  async insert(em: EntityManager, b: BudgetFields & { id: string; userId: string; at: Date }): Promise<Budget> {
    const [row] = await this.rows(em,
      `INSERT INTO budgets (id, user_id, category_id, amount, currency, period, start_date, end_date, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
      [b.id, b.userId, b.categoryId, b.amount, b.currency, b.period, b.startDate, b.endDate, b.at, b.at]);
    return row;
  }

  /** The owner's budget that is not deleted, or null (anyone else's, a deleted one). `lock` takes it for a change. */
  async findOwn(em: EntityManager, userId: string, id: string, lock = false): Promise<Budget | null> {
    const [row] = await this.rows(em, `SELECT ${COLUMNS} FROM budgets WHERE id = ? AND user_id = ? AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`, [id, userId]);
    return row ?? null;
  }

  async update(em: EntityManager, id: string, f: BudgetFields): Promise<Budget> {
    const [row] = await this.rows(em,
      `UPDATE budgets SET category_id = ?, amount = ?, currency = ?, period = ?, start_date = ?, end_date = ?, updated_at = now()
       WHERE id = ? RETURNING ${COLUMNS}`,
      [f.categoryId, f.amount, f.currency, f.period, f.startDate, f.endDate, id]);
    return row;
  }

  async softDelete(em: EntityManager, id: string): Promise<Budget> {
    const [row] = await this.rows(em, `UPDATE budgets SET deleted_at = now(), updated_at = now() WHERE id = ? RETURNING ${COLUMNS}`, [id]);
    return row;
  }

  /** The user's budgets that are not deleted, newest first (ties by id), after the cursor. */
  list(em: EntityManager, userId: string, after: TimeIdCursor | undefined, take: number): Promise<Budget[]> {
    const params: unknown[] = [userId];
    let where = 'user_id = ? AND deleted_at IS NULL';
    if (after) {
      where += ' AND (created_at, id) < (?::timestamptz, ?::uuid)';
      params.push(after.at.toISOString(), after.id);
    }
    params.push(take);
    return this.rows(em, `SELECT ${COLUMNS} FROM budgets WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ?`, params);
  }
}
