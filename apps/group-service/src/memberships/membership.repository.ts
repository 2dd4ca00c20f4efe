import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { TimeIdCursor } from '@tally/service-kit';
import { GroupMembership } from './membership.entity';

/** The only code that touches `group_memberships`. */
@Injectable()
export class MembershipRepository {
  /** The user's row in the group, whatever its status. */
  find(em: EntityManager, groupId: string, userId: string): Promise<GroupMembership | null> {
    return em.findOne(GroupMembership, { groupId, userId }, { refresh: true });
  }

  /** Active members, in the order they joined (ties by id), after the cursor. */
  async listActive(em: EntityManager, groupId: string, after: TimeIdCursor | undefined, take: number): Promise<GroupMembership[]> {
    const params: unknown[] = [groupId];
    let cond = '';
    if (after) {
      cond = ' AND (joined_at, id) > (?, ?)';
      params.push(after.at, after.id);
    }
    params.push(take);
    const rows = await em
      .getConnection()
      .execute<Record<string, unknown>[]>(
        `SELECT * FROM group_memberships WHERE group_id = ? AND is_active${cond} ORDER BY joined_at ASC, id ASC LIMIT ?`, params, 'all', em.getTransactionContext(),
      );
    return rows.map((r) => em.map(GroupMembership, r));
  }

  async countActiveAdmins(em: EntityManager, groupId: string): Promise<number> {
    const [row] = await em
      .getConnection()
      .execute<{ n: number }[]>(`SELECT count(*)::int AS n FROM group_memberships WHERE group_id = ? AND is_active AND role = 'admin'`, [groupId], 'all', em.getTransactionContext());
    return row.n;
  }

  /** Whether any active member of the group has this (verified) address in the users projection. */
  async activeMemberWithEmail(em: EntityManager, groupId: string, email: string): Promise<boolean> {
    const rows = await em.getConnection().execute(
      `SELECT 1 FROM group_memberships m JOIN users u ON u.id = m.user_id WHERE m.group_id = ? AND m.is_active AND lower(u.email) = lower(?) LIMIT 1`,
      [groupId, email], 'all', em.getTransactionContext(),
    );
    return rows.length > 0;
  }

  async insert(em: EntityManager, m: GroupMembership): Promise<void> {
    em.persist(m);
    await em.flush();
  }

  async save(em: EntityManager): Promise<void> {
    await em.flush();
  }
}
