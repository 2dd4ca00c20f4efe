import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

/** A row of `expense_comments` (the seed's columns). */
export interface ExpenseComment {
  id: string;
  expenseId: string;
  userId: string;
  comment: string;
  parentId: string | null;
  isEdited: boolean;
  editedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** `created_at` to the microsecond (ISO 8601, UTC): the list's sort key, exact, for cursors. */
  createdKey: string;
}

/** Where a page of comments starts: after this (created_at, id). */
export interface CommentCursor {
  createdKey: string;
  id: string;
}

const COLUMNS = `id, expense_id, user_id, comment, parent_id, is_edited, edited_at, created_at, updated_at,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key`;

type Row = {
  id: string; expense_id: string; user_id: string; comment: string; parent_id: string | null; is_edited: boolean;
  edited_at: Date | null; created_at: Date; updated_at: Date; created_key: string;
};

const toComment = (r: Row): ExpenseComment => ({
  id: r.id, expenseId: r.expense_id, userId: r.user_id, comment: r.comment, parentId: r.parent_id, isEdited: r.is_edited,
  editedAt: r.edited_at ? new Date(r.edited_at) : null, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at), createdKey: r.created_key,
});

/** The only code that touches `expense_comments`. */
@Injectable()
export class CommentRepository {
  private async rows(em: EntityManager, sql: string, params: unknown[]): Promise<ExpenseComment[]> {
    const rows = (await em.getConnection().execute(sql, params, 'all', em.getTransactionContext())) as Row[];
    return rows.map(toComment);
  }

  async insert(em: EntityManager, c: { id: string; expenseId: string; userId: string; comment: string; parentId: string | null }): Promise<ExpenseComment> {
    const [row] = await this.rows(em,
      `INSERT INTO expense_comments (id, expense_id, user_id, comment, parent_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, clock_timestamp(), clock_timestamp()) RETURNING ${COLUMNS}`,
      [c.id, c.expenseId, c.userId, c.comment, c.parentId]);
    return row;
  }

  /**
   * A comment of this expense, or null. `lock`: `update` takes the row for a change; `share` keeps it
   * from being deleted until the transaction ends (a reply to it is being added).
   */
  async find(em: EntityManager, expenseId: string, id: string, lock?: 'update' | 'share'): Promise<ExpenseComment | null> {
    const suffix = lock === 'update' ? ' FOR UPDATE' : lock === 'share' ? ' FOR KEY SHARE' : '';
    const [row] = await this.rows(em, `SELECT ${COLUMNS} FROM expense_comments WHERE expense_id = ? AND id = ?${suffix}`, [expenseId, id]);
    return row ?? null;
  }

  /** The author's new text: marks it edited. */
  async updateText(em: EntityManager, id: string, comment: string): Promise<ExpenseComment> {
    const [row] = await this.rows(em,
      `UPDATE expense_comments SET comment = ?, is_edited = TRUE, edited_at = clock_timestamp(), updated_at = clock_timestamp() WHERE id = ? RETURNING ${COLUMNS}`,
      [comment, id]);
    return row;
  }

  /** Deletes it; its replies stay, their parent_id set to null by the foreign key. */
  async delete(em: EntityManager, id: string): Promise<void> {
    await em.getConnection().execute(`DELETE FROM expense_comments WHERE id = ?`, [id], 'run', em.getTransactionContext());
  }

  /** The expense's comments, oldest first (ties by id), after the cursor. */
  list(em: EntityManager, expenseId: string, after: CommentCursor | undefined, take: number): Promise<ExpenseComment[]> {
    const params: unknown[] = [expenseId];
    let where = 'expense_id = ?';
    if (after) {
      where += ' AND (created_at, id) > (?::timestamptz, ?::uuid)';
      params.push(after.createdKey, after.id);
    }
    params.push(take);
    return this.rows(em, `SELECT ${COLUMNS} FROM expense_comments WHERE ${where} ORDER BY created_at, id LIMIT ?`, params);
  }
}
