import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { IdentityProjectionRepository } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import { freshEm, inTransaction } from '@tally/persistence';
import { CursorPage, cursorPage, decodeCursor } from '@tally/service-kit';
import { GroupAccess } from '../access/group-access';
import { ActivityService, ActivityTypes } from '../activities/activity.service';
import { MemberBalanceRepository } from '../balances/member-balance.repository';
import { displayName } from '../common/names';
import { Group } from '../groups/group.entity';
import { GroupErrors } from '../groups/group.exceptions';
import { GroupRepository } from '../groups/group.repository';
import { GroupMembership, GroupRole } from './membership.entity';
import { MembershipEvents } from './membership.events';
import { MembershipRepository } from './membership.repository';

export interface MemberView {
  userId: string;
  username: string | null;
  firstName: string | null;
  lastName: string | null;
  role: GroupRole;
  status: string;
  joinedAt: string | null;
}

export interface MembershipView {
  groupId: string;
  userId: string;
  role: GroupRole;
  status: string;
  isActive: boolean;
  joinedAt: string | null;
  leftAt: string | null;
  notificationPreferences: Record<string, boolean>;
}

export function toMembershipView(m: GroupMembership): MembershipView {
  return {
    groupId: m.groupId, userId: m.userId, role: m.role, status: m.status, isActive: m.isActive,
    joinedAt: m.joinedAt ? m.joinedAt.toISOString() : null, leftAt: m.leftAt ? m.leftAt.toISOString() : null,
    notificationPreferences: { ...m.notificationPreferences },
  };
}

/**
 * Memberships: one row per user and group (UNIQUE), reused when someone rejoins. `is_active` only
 * with status accepted (the seed's check_active_status). Every change locks the group row first
 * (GroupAccess), so changes of one group's members are serialised: the last-admin rule holds under
 * concurrency and the trigger's member_count is exact. Each change publishes its membership.* event
 * and writes a feed entry in the same transaction.
 */
@Injectable()
export class MembershipService {
  constructor(
    private readonly orm: MikroORM,
    private readonly access: GroupAccess,
    private readonly groups: GroupRepository,
    private readonly memberships: MembershipRepository,
    private readonly balances: MemberBalanceRepository,
    private readonly activity: ActivityService,
    private readonly users: IdentityProjectionRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  /** The creator of a new group: its first admin, accepted and active. Announced by `announceCreator`, after group.created. */
  async addCreator(em: EntityManager, group: Group, userId: string): Promise<GroupMembership> {
    const m = this.newRow(group.id, userId);
    this.activate(m, 'admin');
    await this.memberships.insert(em, m);
    return m;
  }

  /** The creator's membership.joined (via created): it follows the group's group.created, as the contract says. */
  async announceCreator(em: EntityManager, m: GroupMembership): Promise<void> {
    await this.outbox.append(em, MembershipEvents.joined(m, m.userId, 'created'));
  }

  /** Joins the group whose invite code this is (not private, not archived). */
  async joinByCode(userId: string, code: string): Promise<MembershipView> {
    try {
      return await inTransaction(this.orm, async (em) => {
        const group = await this.groups.findByInviteCode(em, code);
        if (!group) throw GroupErrors.inviteCodeNotFound();
        if (group.isArchived) throw GroupErrors.archived();
        const existing = await this.memberships.find(em, group.id, userId);
        if (existing?.isActive) throw GroupErrors.alreadyMember();
        if (existing?.status === 'removed') throw GroupErrors.removedFromGroup();
        const m = await this.join(em, group, userId, existing, 'code', {});
        return toMembershipView(m);
      });
    } catch (err) {
      // Two joins of one user at once: the unique (user, group) index lets one through.
      if (err instanceof UniqueConstraintViolationException) throw GroupErrors.alreadyMember();
      throw err;
    }
  }

  /** Makes the user an active member (a new row, or their old one reactivated); the group row is locked by the caller. */
  async join(
    em: EntityManager, group: Group, userId: string, existing: GroupMembership | null, via: 'code' | 'invitation',
    invitation: { invitedById?: string; message?: string | null },
  ): Promise<GroupMembership> {
    const m = existing ?? this.newRow(group.id, userId);
    this.activate(m, 'member');
    m.leftAt = null;
    if (invitation.invitedById) {
      m.invitedById = invitation.invitedById;
      m.invitationMessage = invitation.message ?? null;
    }
    if (existing) await this.memberships.save(em);
    else await this.memberships.insert(em, m);
    await this.outbox.append(em, MembershipEvents.joined(m, userId, via));
    const name = displayName((await this.users.findUsers(em, [userId])).get(userId));
    await this.activity.record(em, {
      groupId: group.id, userId, type: ActivityTypes.memberJoined,
      description: via === 'code' ? `${name} joined the group with its invite code` : `${name} joined the group by invitation`,
      metadata: { memberId: userId, via },
    });
    return m;
  }

  /** A declined invitation leaves a trace on the user's row (status declined, not active) unless they have one already. */
  async recordDecline(em: EntityManager, groupId: string, userId: string): Promise<void> {
    const existing = await this.memberships.find(em, groupId, userId);
    if (existing) return;
    const m = this.newRow(groupId, userId);
    m.status = 'declined';
    m.isActive = false;
    await this.memberships.insert(em, m);
    await this.outbox.append(em, MembershipEvents.declined(m));
  }

  async findRow(em: EntityManager, groupId: string, userId: string): Promise<GroupMembership | null> {
    return this.memberships.find(em, groupId, userId);
  }

  /** Whether an active member of the group has this address (as the users projection knows it). */
  isMemberEmail(em: EntityManager, groupId: string, email: string): Promise<boolean> {
    return this.memberships.activeMemberWithEmail(em, groupId, email);
  }

  async list(me: string, groupId: string, limit: number, cursor: string | undefined): Promise<CursorPage<MemberView>> {
    const em = freshEm(this.orm);
    await this.access.require(em, groupId, me, 'read');
    const rows = await this.memberships.listActive(em, groupId, decodeCursor(cursor), limit + 1);
    const cards = await this.users.findUsers(em, rows.map((r) => r.userId));
    return cursorPage(rows, limit, (r) => ({ at: r.joinedAt ?? r.createdAt, id: r.id }), (r) => {
      const u = cards.get(r.userId);
      return {
        userId: r.userId, username: u?.username ?? null, firstName: u?.firstName ?? null, lastName: u?.lastName ?? null,
        role: r.role, status: r.status, joinedAt: r.joinedAt ? r.joinedAt.toISOString() : null,
      };
    });
  }

  /** The caller's own membership. */
  async mine(me: string, groupId: string): Promise<MembershipView> {
    const { membership } = await this.access.require(freshEm(this.orm), groupId, me, 'self');
    return toMembershipView(membership);
  }

  async changeRole(me: string, groupId: string, userId: string, role: GroupRole): Promise<MembershipView> {
    return inTransaction(this.orm, async (em) => {
      const { group } = await this.access.require(em, groupId, me, 'admin', { lock: true, what: "change members' roles" });
      const m = await this.activeMember(em, groupId, userId);
      const previousRole = m.role;
      if (previousRole === role) return toMembershipView(m);
      if (previousRole === 'admin' && (await this.memberships.countActiveAdmins(em, groupId)) <= 1) throw GroupErrors.lastAdmin();
      m.role = role;
      await this.memberships.save(em);
      await this.outbox.append(em, MembershipEvents.roleChanged(m, me, previousRole));
      const names = await this.users.findUsers(em, [me, userId]);
      await this.activity.record(em, {
        groupId: group.id, userId: me, type: ActivityTypes.roleChanged,
        description: `${displayName(names.get(me))} made ${displayName(names.get(userId))} ${role === 'admin' ? 'an admin' : `a ${role}`}`,
        metadata: { memberId: userId, previousRole, role },
      });
      return toMembershipView(m);
    });
  }

  async remove(me: string, groupId: string, userId: string): Promise<void> {
    if (userId === me) throw GroupErrors.useLeave();
    await inTransaction(this.orm, async (em) => {
      const { group } = await this.access.require(em, groupId, me, 'admin', { lock: true, what: 'remove members' });
      const m = await this.activeMember(em, groupId, userId);
      await this.refuseOpenBalance(em, groupId, userId);
      this.deactivate(m, 'removed');
      await this.memberships.save(em);
      await this.outbox.append(em, MembershipEvents.removed(m, me));
      const names = await this.users.findUsers(em, [me, userId]);
      await this.activity.record(em, {
        groupId: group.id, userId: me, type: ActivityTypes.memberRemoved,
        description: `${displayName(names.get(me))} removed ${displayName(names.get(userId))} from the group`,
        metadata: { memberId: userId },
      });
    });
  }

  async leave(me: string, groupId: string): Promise<void> {
    await inTransaction(this.orm, async (em) => {
      const { group, membership: m } = await this.access.require(em, groupId, me, 'self', { lock: true });
      if (m.role === 'admin' && (await this.memberships.countActiveAdmins(em, groupId)) <= 1) throw GroupErrors.lastAdmin();
      await this.refuseOpenBalance(em, groupId, me);
      this.deactivate(m, 'left');
      await this.memberships.save(em);
      await this.outbox.append(em, MembershipEvents.left(m));
      const name = displayName((await this.users.findUsers(em, [me])).get(me));
      await this.activity.record(em, { groupId: group.id, userId: me, type: ActivityTypes.memberLeft, description: `${name} left the group`, metadata: { memberId: me } });
    });
  }

  /** Merges the given keys into the caller's preferences for the group. */
  async updatePreferences(me: string, groupId: string, changes: Record<string, boolean>): Promise<MembershipView> {
    return inTransaction(this.orm, async (em) => {
      const { membership: m } = await this.access.require(em, groupId, me, 'self');
      const next = { ...m.notificationPreferences, ...changes };
      if (JSON.stringify(next) !== JSON.stringify(m.notificationPreferences)) {
        m.notificationPreferences = next;
        await this.memberships.save(em);
        await this.outbox.append(em, MembershipEvents.preferencesUpdated(m));
      }
      return toMembershipView(m);
    });
  }

  /** The balance hook: leaving or removal waits until the member's balance in the group is zero in every currency. */
  private async refuseOpenBalance(em: EntityManager, groupId: string, userId: string): Promise<void> {
    const open = await this.balances.nonZero(em, groupId, userId);
    if (open.length) throw GroupErrors.memberHasBalance(open);
  }

  private async activeMember(em: EntityManager, groupId: string, userId: string): Promise<GroupMembership> {
    const m = await this.memberships.find(em, groupId, userId);
    if (!m || !m.isActive) throw GroupErrors.memberNotFound();
    return m;
  }

  private newRow(groupId: string, userId: string): GroupMembership {
    const m = new GroupMembership();
    m.id = randomUUID();
    m.groupId = groupId;
    m.userId = userId;
    return m;
  }

  private activate(m: GroupMembership, role: GroupRole): void {
    m.role = role;
    m.status = 'accepted';
    m.isActive = true;
    m.joinedAt = new Date();
  }

  private deactivate(m: GroupMembership, status: 'left' | 'removed'): void {
    m.status = status;
    m.isActive = false;
    m.leftAt = new Date();
  }
}
