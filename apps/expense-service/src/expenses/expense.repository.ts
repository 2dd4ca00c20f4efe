import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Expense, ExpensePayer, ExpenseShare } from './expense.entity';

/** The sort key of the expense list: newest expense date first, then newest created, then id. */
export interface ExpenseCursor {
  date: string;
  createdAt: Date;
  id: string;
}

export interface ExpenseFilter {
  /** The caller: only expenses they may see (members of the group; participants of a non-group expense). */
  viewerId: string;
  groupId?: string;
  /** Non-group expenses the caller shares with this friend. */
  friendId?: string;
  payerId?: string;
  participantId?: string;
  categoryIds?: string[];
  tagId?: string;
  dateFrom?: string;
  dateTo?: string;
  amountMin?: string;
  amountMax?: string;
  settled?: boolean;
  includeDeleted?: boolean;
  q?: string;
  after?: ExpenseCursor;
  take: number;
}

/** The only code that touches `expenses`, `expense_payers`, `expense_shares` and `expense_tags`. */
@Injectable()
export class ExpenseRepository {
  private exec<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T> {
    return em.getConnection().execute(sql, params, 'all', em.getTransactionContext()) as Promise<T>;
  }

  /** A new expense with its payers, shares and tags (nothing to replace: fewer round trips than an edit). */
  async insert(em: EntityManager, e: Expense, payers: ExpensePayer[], shares: ExpenseShare[], tagIds: string[]): Promise<void> {
    em.persist(e);
    await em.flush();
    await this.insertParts(em, e.id, payers, shares);
    if (tagIds.length) await this.exec(em, `INSERT INTO expense_tags (expense_id, tag_id) VALUES ${tagIds.map(() => '(?, ?)').join(', ')}`, tagIds.flatMap((t) => [e.id, t]));
  }

  async save(em: EntityManager): Promise<void> {
    await em.flush();
  }

  /** Replaces the payers and shares of an expense (an edit that changed the amount or the split). */
  async replaceParts(em: EntityManager, expenseId: string, payers: ExpensePayer[], shares: ExpenseShare[]): Promise<void> {
    await this.exec(em, `DELETE FROM expense_payers WHERE expense_id = ?`, [expenseId]);
    await this.exec(em, `DELETE FROM expense_shares WHERE expense_id = ?`, [expenseId]);
    await this.insertParts(em, expenseId, payers, shares);
  }

  private async insertParts(em: EntityManager, expenseId: string, payers: ExpensePayer[], shares: ExpenseShare[]): Promise<void> {
    if (payers.length) {
      await this.exec(em, `INSERT INTO expense_payers (expense_id, user_id, amount) VALUES ${payers.map(() => '(?, ?, ?)').join(', ')}`,
        payers.flatMap((p) => [expenseId, p.userId, p.amount]));
    }
    if (shares.length) {
      await this.exec(em,
        `INSERT INTO expense_shares (id, expense_id, user_id, amount, currency_id, paid_by_id) VALUES ${shares.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
        shares.flatMap((s) => [s.id, expenseId, s.userId, s.amount, s.currencyId, s.paidById]));
    }
  }

  async replaceTags(em: EntityManager, expenseId: string, tagIds: string[]): Promise<void> {
    const current = (await this.exec<{ tag_id: string }[]>(em, `SELECT tag_id FROM expense_tags WHERE expense_id = ?`, [expenseId])).map((r) => r.tag_id);
    const gone = current.filter((t) => !tagIds.includes(t));
    const added = tagIds.filter((t) => !current.includes(t));
    if (gone.length) await this.exec(em, `DELETE FROM expense_tags WHERE expense_id = ? AND tag_id IN (?)`, [expenseId, gone]);
    if (added.length) await this.exec(em, `INSERT INTO expense_tags (expense_id, tag_id) VALUES ${added.map(() => '(?, ?)').join(', ')}`, added.flatMap((t) => [expenseId, t]));
  }

  /** The expense, its row locked for the transaction when `lock`. */
  async findById(em: EntityManager, id: string, lock = false): Promise<Expense | null> {
    const rows = await this.exec<Record<string, unknown>[]>(em, `SELECT * FROM expenses WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? em.map(Expense, rows[0]) : null;
  }

  async parts(em: EntityManager, expenseIds: string[]): Promise<{ payers: Map<string, ExpensePayer[]>; shares: Map<string, ExpenseShare[]>; tags: Map<string, string[]> }> {
    const payers = new Map<string, ExpensePayer[]>();
    const shares = new Map<string, ExpenseShare[]>();
    const tags = new Map<string, string[]>();
    if (!expenseIds.length) return { payers, shares, tags };
    for (const r of await this.exec<Record<string, unknown>[]>(em, `SELECT * FROM expense_payers WHERE expense_id IN (?) ORDER BY user_id`, [expenseIds])) {
      const p = em.map(ExpensePayer, r);
      payers.set(p.expenseId, [...(payers.get(p.expenseId) ?? []), p]);
    }
    for (const r of await this.exec<Record<string, unknown>[]>(em, `SELECT * FROM expense_shares WHERE expense_id IN (?) ORDER BY user_id`, [expenseIds])) {
      const s = em.map(ExpenseShare, r);
      shares.set(s.expenseId, [...(shares.get(s.expenseId) ?? []), s]);
    }
    for (const r of await this.exec<{ expense_id: string; name: string }[]>(em,
      `SELECT et.expense_id, t.name FROM expense_tags et JOIN tags t ON t.id = et.tag_id WHERE et.expense_id IN (?) ORDER BY t.name`, [expenseIds])) {
      tags.set(r.expense_id, [...(tags.get(r.expense_id) ?? []), r.name]);
    }
    return { payers, shares, tags };
  }

  /** Expenses the viewer may see that match the filter, newest first, after the cursor. */
  async list(em: EntityManager, f: ExpenseFilter): Promise<Expense[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const participates = `(e.id IN (SELECT expense_id FROM expense_shares WHERE user_id = ?) OR e.id IN (SELECT expense_id FROM expense_payers WHERE user_id = ?))`;
    // Visible: a group expense of a group the viewer is an active member of, or a non-group expense they take part in.
    where.push(`((e.group_id IS NOT NULL AND e.group_id IN (SELECT group_id FROM group_members WHERE user_id = ? AND is_active)
                  AND e.group_id IN (SELECT id FROM expense_groups WHERE is_active))
              OR (e.group_id IS NULL AND ${participates}))`);
    params.push(f.viewerId, f.viewerId, f.viewerId);
    if (f.groupId) { where.push('e.group_id = ?'); params.push(f.groupId); }
    if (f.friendId) {
      where.push(`e.group_id IS NULL AND (e.id IN (SELECT expense_id FROM expense_shares WHERE user_id = ?) OR e.id IN (SELECT expense_id FROM expense_payers WHERE user_id = ?))`);
      params.push(f.friendId, f.friendId);
    }
    if (f.payerId) { where.push('e.id IN (SELECT expense_id FROM expense_payers WHERE user_id = ?)'); params.push(f.payerId); }
    if (f.participantId) { where.push(participates); params.push(f.participantId, f.participantId); }
    if (f.categoryIds) { where.push('e.category_id IN (?)'); params.push(f.categoryIds); }
    if (f.tagId) { where.push('e.id IN (SELECT expense_id FROM expense_tags WHERE tag_id = ?)'); params.push(f.tagId); }
    if (f.dateFrom) { where.push('e.expense_date >= ?'); params.push(f.dateFrom); }
    if (f.dateTo) { where.push('e.expense_date <= ?'); params.push(f.dateTo); }
    if (f.amountMin) { where.push('e.amount >= ?::numeric'); params.push(f.amountMin); }
    if (f.amountMax) { where.push('e.amount <= ?::numeric'); params.push(f.amountMax); }
    if (f.settled !== undefined) { where.push('e.is_settled = ?'); params.push(f.settled); }
    if (!f.includeDeleted) where.push('NOT e.is_deleted');
    if (f.q) {
      where.push(`to_tsvector('english', e.title || ' ' || COALESCE(e.description, '')) @@ websearch_to_tsquery('english', ?)`);
      params.push(f.q);
    }
    if (f.after) {
      where.push('(e.expense_date, e.created_at, e.id) < (?::date, ?, ?)');
      params.push(f.after.date, f.after.createdAt, f.after.id);
    }
    params.push(f.take);
    const rows = await this.exec<Record<string, unknown>[]>(em,
      `SELECT e.* FROM expenses e WHERE ${where.join(' AND ')} ORDER BY e.expense_date DESC, e.created_at DESC, e.id DESC LIMIT ?`, params);
    return rows.map((r) => em.map(Expense, r));
  }

  /** Marks the expense settled when every share of it is. */
  async refreshSettled(em: EntityManager, expenseId: string): Promise<void> {
    await this.exec(em,
      `UPDATE expenses SET is_settled = NOT EXISTS (SELECT 1 FROM expense_shares WHERE expense_id = ? AND NOT is_settled), updated_at = now() WHERE id = ?`,
      [expenseId, expenseId]);
  }
}
