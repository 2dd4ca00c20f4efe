import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { EventData } from '@tally/contracts';

/** What expense-service knows of a group and of one member's place in it. */
export interface GroupMemberRecord {
  groupId: string;
  groupName: string;
  currency: string;
  groupActive: boolean;
  groupArchived: boolean;
  requiresApproval: boolean;
  simplifyDebts: boolean;
  role: 'admin' | 'member' | 'viewer' | null;
  memberActive: boolean;
}

/**
 * The only code that touches `expense_groups`: expense-service's projection of group-service's groups
 * (ARCHITECTURE.md: it keeps what it needs as a local projection). `group_members` is kept by
 * MembershipProjectionRepository (@tally/projections); `find` reads it too, in one join. Each write carries the event's time and applies only when it is not older than what the
 * row reflects, so a redelivered or reordered older event never rolls it back.
 */
@Injectable()
export class GroupProjectionRepository {
  private run(em: EntityManager, sql: string, params: unknown[]): Promise<unknown> {
    return em.getConnection().execute(sql, params, 'run', em.getTransactionContext());
  }

  upsertGroup(em: EntityManager, d: EventData<'group.created'>, at: string): Promise<unknown> {
    return this.run(
      em,
      `INSERT INTO expense_groups (id, name, currency, is_active, is_archived, requires_approval, simplify_debts, last_event_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency, is_active = EXCLUDED.is_active,
         is_archived = EXCLUDED.is_archived, requires_approval = EXCLUDED.requires_approval, simplify_debts = EXCLUDED.simplify_debts,
         last_event_at = EXCLUDED.last_event_at
       WHERE expense_groups.last_event_at <= EXCLUDED.last_event_at`,
      [d.groupId, d.name, d.currency, d.isActive, d.isArchived, d.requiresApproval ?? false, d.simplifyDebts ?? true, at],
    );
  }

  /** The group and the user's membership in it, as far as this projection knows them. */
  async find(em: EntityManager, groupId: string, userId: string): Promise<GroupMemberRecord | null> {
    const rows = await em.getConnection().execute<{ id: string; name: string; currency: string; is_active: boolean; is_archived: boolean; requires_approval: boolean; simplify_debts: boolean; role: string | null; member_active: boolean | null }[]>(
      `SELECT g.id, g.name, g.currency, g.is_active, g.is_archived, g.requires_approval, g.simplify_debts, m.role, m.is_active AS member_active
         FROM expense_groups g LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = ? WHERE g.id = ?`,
      [userId, groupId], 'all', em.getTransactionContext(),
    );
    const r = rows[0];
    if (!r) return null;
    return {
      groupId: r.id, groupName: r.name, currency: r.currency, groupActive: r.is_active, groupArchived: r.is_archived,
      requiresApproval: r.requires_approval, simplifyDebts: r.simplify_debts, role: (r.role as GroupMemberRecord['role']) ?? null, memberActive: !!r.member_active,
    };
  }
}
