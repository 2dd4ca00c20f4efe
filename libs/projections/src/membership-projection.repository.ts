import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { EventData, GROUP_ROLES } from '@tally/contracts';

export type GroupRole = (typeof GROUP_ROLES)[number];

/** One user's place in one group, as far as the projection knows it. */
export interface MemberRecord {
  role: GroupRole;
  isActive: boolean;
}

/**
 * The only code that touches a service's `group_members`: its projection of group-service's
 * memberships (membership.* events; ARCHITECTURE.md: services keep what they need as local
 * projections instead of calling each other). The table is created by each service's own migration:
 *
 *   group_members (group_id UUID, user_id UUID, membership_id UUID UNIQUE, role VARCHAR(20),
 *                  is_active BOOLEAN, last_event_at TIMESTAMPTZ, PRIMARY KEY (group_id, user_id))
 *
 * Each write carries the event's time and applies only when it is not older than what the row
 * reflects, so a redelivered or reordered older event never rolls it back.
 */
@Injectable()
export class MembershipProjectionRepository {
  async upsertMember(em: EntityManager, d: EventData<'membership.joined'>, at: string): Promise<void> {
    await em.getConnection().execute(
      `INSERT INTO group_members (group_id, user_id, membership_id, role, is_active, last_event_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (group_id, user_id) DO UPDATE SET membership_id = EXCLUDED.membership_id, role = EXCLUDED.role,
         is_active = EXCLUDED.is_active, last_event_at = EXCLUDED.last_event_at
       WHERE group_members.last_event_at <= EXCLUDED.last_event_at`,
      [d.groupId, d.userId, d.membershipId, d.role, d.isActive, at], 'run', em.getTransactionContext(),
    );
  }

  /** The user's membership of the group (active or not), or null when the projection has none. */
  async find(em: EntityManager, groupId: string, userId: string): Promise<MemberRecord | null> {
    const rows = await em.getConnection().execute<{ role: GroupRole; is_active: boolean }[]>(
      `SELECT role, is_active FROM group_members WHERE group_id = ? AND user_id = ?`, [groupId, userId], 'all', em.getTransactionContext(),
    );
    return rows[0] ? { role: rows[0].role, isActive: rows[0].is_active } : null;
  }

  /** The group's active members' ids, in id order. */
  async activeMembers(em: EntityManager, groupId: string): Promise<string[]> {
    const rows = await em.getConnection().execute<{ user_id: string }[]>(
      `SELECT user_id FROM group_members WHERE group_id = ? AND is_active ORDER BY user_id`, [groupId], 'all', em.getTransactionContext(),
    );
    return rows.map((r) => r.user_id);
  }

  /** The group's active admins' ids, in id order. */
  async admins(em: EntityManager, groupId: string): Promise<string[]> {
    const rows = await em.getConnection().execute<{ user_id: string }[]>(
      `SELECT user_id FROM group_members WHERE group_id = ? AND is_active AND role = 'admin' ORDER BY user_id`, [groupId], 'all', em.getTransactionContext(),
    );
    return rows.map((r) => r.user_id);
  }
}
