import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Frequency } from '@tally/money';
import type { TimeIdCursor } from '@tally/service-kit';

/** A row of `recurring_expenses` (a template); dates are UTC calendar dates `YYYY-MM-DD`. */
export interface RecurringExpense {
  id: string;
  title: string;
  description: string | null;
  /** NUMERIC(16,3) as PostgreSQL returns it. */
  amount: string;
  currencyId: string;
  currency: string;
  categoryId: string | null;
  frequency: Frequency;
  interval: number;
  groupId: string | null;
  createdById: string;
  paidById: string;
  participantIds: string[];
  startDate: string;
  endDate: string | null;
  nextDueDate: string;
  nextOccurrenceIndex: number;
  splitType: string;
  splitData: Record<string, unknown>;
  isActive: boolean;
  isPaused: boolean;
  pausedUntil: string | null;
  deactivatedReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, title, description, amount::text AS amount, currency_id, currency, category_id, frequency, "interval", group_id, created_by_id, paid_by_id,
  participant_ids::text[] AS participant_ids, to_char(start_date, 'YYYY-MM-DD') AS start_date, to_char(end_date, 'YYYY-MM-DD') AS end_date,
  to_char(next_due_date, 'YYYY-MM-DD') AS next_due_date, next_occurrence_index, split_type, split_data, is_active, is_paused,
  to_char(paused_until, 'YYYY-MM-DD') AS paused_until, deactivated_reason, created_at, updated_at`;

type Row = Record<string, unknown>;

const toTemplate = (r: Row): RecurringExpense => ({
  id: r.id as string, title: r.title as string, description: (r.description as string | null) ?? null, amount: r.amount as string,
  currencyId: r.currency_id as string, currency: r.currency as string, categoryId: (r.category_id as string | null) ?? null,
  frequency: r.frequency as Frequency, interval: Number(r.interval), groupId: (r.group_id as string | null) ?? null,
  createdById: r.created_by_id as string, paidById: r.paid_by_id as string, participantIds: (r.participant_ids as string[]) ?? [],
  startDate: r.start_date as string, endDate: (r.end_date as string | null) ?? null, nextDueDate: r.next_due_date as string,
  nextOccurrenceIndex: Number(r.next_occurrence_index), splitType: r.split_type as string,
  splitData: (typeof r.split_data === 'string' ? JSON.parse(r.split_data) : r.split_data) as Record<string, unknown>,
  isActive: r.is_active as boolean, isPaused: r.is_paused as boolean, pausedUntil: (r.paused_until as string | null) ?? null,
  deactivatedReason: (r.deactivated_reason as string | null) ?? null, createdAt: new Date(r.created_at as string), updatedAt: new Date(r.updated_at as string),
});

/** The only code that touches `recurring_expenses` and `recurring_expense_occurrences`. */
@Injectable()
export class RecurringExpenseRepository {
  private async rows(em: EntityManager, sql: string, params: unknown[]): Promise<RecurringExpense[]> {
    return ((await em.getConnection().execute(sql, params, 'all', em.getTransactionContext())) as Row[]).map(toTemplate);
  }

  private exec<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T> {
    return em.getConnection().execute(sql, params, 'all', em.getTransactionContext()) as Promise<T>;
  }

  async insert(em: EntityManager, t: RecurringExpense): Promise<void> {
    await this.exec(em,
      `INSERT INTO recurring_expenses (id, title, description, amount, currency_id, currency, category_id, frequency, "interval", group_id, created_by_id,
         paid_by_id, participant_ids, start_date, end_date, next_due_date, next_occurrence_index, split_type, split_data, is_active, is_paused, paused_until,
         deactivated_reason, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::uuid[], ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?)`,
      [t.id, t.title, t.description, t.amount, t.currencyId, t.currency, t.categoryId, t.frequency, t.interval, t.groupId, t.createdById,
        t.paidById, `{${t.participantIds.join(',')}}`, t.startDate, t.endDate, t.nextDueDate, t.nextOccurrenceIndex, t.splitType, JSON.stringify(t.splitData),
        t.isActive, t.isPaused, t.pausedUntil, t.deactivatedReason, t.createdAt, t.updatedAt]);
  }

  /** Writes every mutable column of the template back. */
  async update(em: EntityManager, t: RecurringExpense): Promise<void> {
    t.updatedAt = new Date();
    await this.exec(em,
      `UPDATE recurring_expenses SET title = ?, description = ?, amount = ?, currency_id = ?, currency = ?, category_id = ?, frequency = ?, "interval" = ?,
         paid_by_id = ?, participant_ids = ?::uuid[], start_date = ?, end_date = ?, next_due_date = ?, next_occurrence_index = ?, split_type = ?,
         split_data = ?::jsonb, is_active = ?, is_paused = ?, paused_until = ?, deactivated_reason = ?, updated_at = ?
       WHERE id = ?`,
      [t.title, t.description, t.amount, t.currencyId, t.currency, t.categoryId, t.frequency, t.interval, t.paidById, `{${t.participantIds.join(',')}}`,
        t.startDate, t.endDate, t.nextDueDate, t.nextOccurrenceIndex, t.splitType, JSON.stringify(t.splitData), t.isActive, t.isPaused, t.pausedUntil,
        t.deactivatedReason, t.updatedAt, t.id]);
  }

  /** The template; `lock` takes its row for the transaction. */
  async findById(em: EntityManager, id: string, lock = false): Promise<RecurringExpense | null> {
    const [row] = await this.rows(em, `SELECT ${COLUMNS} FROM recurring_expenses WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [id]);
    return row ?? null;
  }

  /**
   * The ids of templates due on `today` (UTC): active, and either not paused with the next occurrence
   * on or before today, or paused until a date that has come. Oldest due first.
   */
  async dueIds(em: EntityManager, today: string, limit: number, after?: string): Promise<string[]> {
    const rows = await this.exec<{ id: string }[]>(em,
      `SELECT id FROM recurring_expenses
        WHERE is_active AND ((NOT is_paused AND next_due_date <= ?::date) OR (is_paused AND paused_until <= ?::date))${after ? ' AND id > ?' : ''}
        ORDER BY id LIMIT ?`,
      after ? [today, today, after, limit] : [today, today, limit]);
    return rows.map((r) => r.id);
  }

  /**
   * The template locked for generation, if it is still due: `FOR UPDATE SKIP LOCKED`, so a template
   * another worker is generating right now is skipped (that worker does it), never waited for.
   */
  async lockDue(em: EntityManager, id: string, today: string): Promise<RecurringExpense | null> {
    const [row] = await this.rows(em,
      `SELECT ${COLUMNS} FROM recurring_expenses
        WHERE id = ? AND is_active AND ((NOT is_paused AND next_due_date <= ?::date) OR (is_paused AND paused_until <= ?::date))
        FOR UPDATE SKIP LOCKED`,
      [id, today, today]);
    return row ?? null;
  }

  /**
   * Records that occurrence `index` generated `expenseId`. False when it was recorded already (the
   * primary key (recurring_expense_id, occurrence_index)): the caller must not keep its expense.
   */
  async recordOccurrence(em: EntityManager, templateId: string, index: number, date: string, expenseId: string): Promise<boolean> {
    const rows = await this.exec<unknown[]>(em,
      `INSERT INTO recurring_expense_occurrences (recurring_expense_id, occurrence_index, occurrence_date, expense_id) VALUES (?, ?, ?, ?)
       ON CONFLICT (recurring_expense_id, occurrence_index) DO NOTHING RETURNING occurrence_index`,
      [templateId, index, date, expenseId]);
    return rows.length === 1;
  }

  /** The expense of the template's first generated occurrence (the seed's parent_expense_id of the later ones). */
  async firstExpenseId(em: EntityManager, templateId: string): Promise<string | null> {
    const [row] = await this.exec<{ expense_id: string }[]>(em,
      `SELECT expense_id FROM recurring_expense_occurrences WHERE recurring_expense_id = ? ORDER BY occurrence_index LIMIT 1`, [templateId]);
    return row?.expense_id ?? null;
  }

  async occurrenceCount(em: EntityManager, templateId: string): Promise<number> {
    const [row] = await this.exec<{ n: string }[]>(em, `SELECT count(*) AS n FROM recurring_expense_occurrences WHERE recurring_expense_id = ?`, [templateId]);
    return Number(row?.n ?? 0);
  }

  /**
   * Templates the viewer may see, newest first, after the cursor: those of groups they are an active
   * member of, and those outside groups they take part in (payer, split, or creator).
   */
  list(em: EntityManager, f: { viewerId: string; groupId?: string; includeInactive: boolean; after?: TimeIdCursor; take: number }): Promise<RecurringExpense[]> {
    const where = [`((r.group_id IS NOT NULL AND r.group_id IN (SELECT group_id FROM group_members WHERE user_id = ? AND is_active)
                      AND r.group_id IN (SELECT id FROM expense_groups WHERE is_active))
                  OR (r.group_id IS NULL AND (r.created_by_id = ? OR ? = ANY (r.participant_ids))))`];
    const params: unknown[] = [f.viewerId, f.viewerId, f.viewerId];
    if (f.groupId) { where.push('r.group_id = ?'); params.push(f.groupId); }
    if (!f.includeInactive) where.push('r.is_active');
    if (f.after) { where.push('(r.created_at, r.id) < (?, ?)'); params.push(f.after.at, f.after.id); }
    params.push(f.take);
    return this.rows(em, `SELECT ${COLUMNS} FROM recurring_expenses r WHERE ${where.join(' AND ')}
      ORDER BY r.created_at DESC, r.id DESC LIMIT ?`, params);
  }
}
