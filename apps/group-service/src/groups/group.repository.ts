import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { TimeIdCursor } from '@tally/service-kit';
import type { GroupRole } from '../memberships/membership.entity';
import { Group } from './group.entity';

export type GroupListStatus = 'active' | 'archived' | 'all';

export interface GroupListQuery {
  status: GroupListStatus;
  /** Full-text search over name and description (idx_group_search). */
  q?: string;
  after?: TimeIdCursor;
  /** Rows to fetch (the page size + 1, to know whether there is a next page). */
  take: number;
}

/** The only code that touches the `groups` table. */
@Injectable()
export class GroupRepository {
  /**
   * The groups the user is an active member of (deleted groups never), newest first (ties by id),
   * after the cursor. One round trip, no query builder: this is the authenticated hot path's read
   * (tools/bench/hot-path.ts). The search expression is idx_group_search's, so the index serves it.
   */
  async findForMember(em: EntityManager, userId: string, query: GroupListQuery): Promise<{ group: Group; role: GroupRole }[]> {
    const where = ['g.is_active'];
    const params: unknown[] = [userId];
    if (query.status === 'active') where.push('NOT g.is_archived');
    if (query.status === 'archived') where.push('g.is_archived');
    if (query.q) {
      where.push(`to_tsvector('english', g.name || ' ' || COALESCE(g.description, '')) @@ websearch_to_tsquery('english', ?)`);
      params.push(query.q);
    }
    if (query.after) {
      where.push('(g.created_at, g.id) < (?, ?)');
      params.push(query.after.at, query.after.id);
    }
    params.push(query.take);
    const rows = await em.getConnection().execute<(Record<string, unknown> & { my_role: GroupRole })[]>(
      `SELECT g.*, m.role AS my_role FROM groups g JOIN group_memberships m ON m.group_id = g.id AND m.user_id = ? AND m.is_active
       WHERE ${where.join(' AND ')} ORDER BY g.created_at DESC, g.id DESC LIMIT ?`,
      params,
    );
    return rows.map(({ my_role, ...row }) => ({ group: em.map(Group, row), role: my_role }));
  }

  /** An existing (not deleted) group; `lock` takes its row for the transaction (FOR NO KEY UPDATE), which serialises membership changes. */
  async findActive(em: EntityManager, id: string, lock = false): Promise<Group | null> {
    const rows = await em
      .getConnection()
      .execute<Record<string, unknown>[]>(`SELECT * FROM groups WHERE id = ? AND is_active${lock ? ' FOR NO KEY UPDATE' : ''}`, [id], 'all', em.getTransactionContext());
    return rows[0] ? em.map(Group, rows[0]) : null;
  }

  /** The joinable group with this code (active, not private), locked. */
  async findByInviteCode(em: EntityManager, code: string): Promise<Group | null> {
    const rows = await em
      .getConnection()
      .execute<Record<string, unknown>[]>(
        `SELECT * FROM groups WHERE invite_code = ? AND is_active AND NOT is_private FOR NO KEY UPDATE`, [code], 'all', em.getTransactionContext(),
      );
    return rows[0] ? em.map(Group, rows[0]) : null;
  }

  /**
   * The names of these groups (existing ones), by id. `IN (?)`: MikroORM inlines an array parameter as
   * a comma-separated list of literals, so `ANY(?::uuid[])` would read `ANY('a', 'b'::uuid[])`.
   */
  async namesOf(em: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await em.getConnection().execute<{ id: string; name: string }[]>(
      `SELECT id, name FROM groups WHERE id IN (?) AND is_active`, [[...new Set(ids)]], 'all', em.getTransactionContext(),
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  async insert(em: EntityManager, g: Group): Promise<void> {
    em.persist(g);
    await em.flush();
  }

  async save(em: EntityManager): Promise<void> {
    await em.flush();
  }

  /**
   * Applies an expense's change to the group's caches: `totalDelta` (signed decimal string, in the
   * group's currency) and `countDelta`. False when the group is unknown here (nothing to apply).
   */
  async applyExpenseTotals(em: EntityManager, groupId: string, totalDelta: string, countDelta: number): Promise<boolean> {
    const rows = await em.getConnection().execute<{ id: string }[]>(
      `UPDATE groups SET total_expenses = total_expenses + ?::numeric, expense_count = expense_count + ?, updated_at = now() WHERE id = ? RETURNING id`,
      [totalDelta, countDelta, groupId], 'all', em.getTransactionContext(),
    );
    return rows.length > 0;
  }

  /** Adds `delta` (a signed decimal string in the group's currency) to what the group has settled (settlement events). */
  async applySettledAmount(em: EntityManager, groupId: string, delta: string): Promise<void> {
    await em.getConnection().execute(
      `UPDATE groups SET settled_amount = settled_amount + ?::numeric, updated_at = now() WHERE id = ?`, [delta, groupId], 'run', em.getTransactionContext(),
    );
  }

  /** Re-reads the trigger-kept member count into the entity. */
  async refreshMemberCount(em: EntityManager, g: Group): Promise<void> {
    const [row] = await em.getConnection().execute<{ member_count: number }[]>(`SELECT member_count FROM groups WHERE id = ?`, [g.id], 'all', em.getTransactionContext());
    if (row) g.memberCount = row.member_count;
  }
}
