import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { currencyId } from '@tally/contracts';
import { IdentityProjectionRepository } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import { freshEm, inTransaction } from '@tally/persistence';
import { CursorPage, cursorPage, decodeCursor } from '@tally/service-kit';
import { GroupAccess } from '../access/group-access';
import { ActivityService, ActivityTypes } from '../activities/activity.service';
import { displayName } from '../common/names';
import { MembershipService } from '../memberships/membership.service';
import { CreateGroupDto, ListGroupsQueryDto, UpdateGroupDto } from './dto/group.dto';
import { Group } from './group.entity';
import { GroupEvents } from './group.events';
import { GroupErrors } from './group.exceptions';
import { GroupListCache } from './group-list-cache';
import { GroupRepository } from './group.repository';
import { GroupView, toGroupView } from './group.view';
import { newInviteCode } from './invite-code';

const EDITABLE = ['name', 'description', 'groupType', 'image', 'currency', 'isPrivate', 'requiresApproval', 'simplifyDebts'] as const;

/**
 * Groups: create (the creator is the first admin), read, edit, archive, unarchive, delete (only
 * without expenses: `total_expenses` is zero), and the invite code (rotate, disable). Only members see
 * a group (GroupAccess); only admins change it; an archived group is read-only until unarchived.
 */
@Injectable()
export class GroupService {
  constructor(
    private readonly orm: MikroORM,
    private readonly access: GroupAccess,
    private readonly groups: GroupRepository,
    private readonly memberships: MembershipService,
    private readonly activity: ActivityService,
    private readonly users: IdentityProjectionRepository,
    private readonly outbox: OutboxWriter,
    private readonly listCache: GroupListCache,
  ) {}

  async create(me: string, dto: CreateGroupDto): Promise<GroupView> {
    return this.withFreshCode(() => inTransaction(this.orm, async (em) => {
      const g = new Group();
      g.id = randomUUID();
      g.name = dto.name;
      g.description = dto.description ?? null;
      g.groupType = dto.groupType ?? 'other';
      g.image = dto.image ?? null;
      g.currency = dto.currency;
      g.currencyId = currencyId(dto.currency);
      g.isPrivate = dto.isPrivate ?? false;
      g.requiresApproval = dto.requiresApproval ?? false;
      g.simplifyDebts = dto.simplifyDebts ?? true;
      g.inviteCode = g.isPrivate ? null : newInviteCode();
      await this.groups.insert(em, g);
      // The creator's row first (group.created carries the trigger's member count), its event after the group's.
      const creator = await this.memberships.addCreator(em, g, me);
      await this.groups.refreshMemberCount(em, g);
      await this.outbox.append(em, GroupEvents.created(g, me));
      await this.memberships.announceCreator(em, creator);
      await this.activity.record(em, {
        groupId: g.id, userId: me, type: ActivityTypes.groupCreated, description: `${await this.name(em, me)} created the group "${g.name}"`,
      });
      return toGroupView(g, 'admin');
    }));
  }

  /** The caller's groups, a page at a time; answered from GroupListCache while nothing in them changed. */
  async list(me: string, q: ListGroupsQueryDto): Promise<CursorPage<GroupView>> {
    const status = q.status ?? 'active';
    const key = `${status}\n${q.limit}\n${q.cursor ?? ''}\n${q.q ?? ''}`;
    return this.listCache.read(me, key, async () => {
      const rows = await this.groups.findForMember(freshEm(this.orm), me, { status, q: q.q, after: decodeCursor(q.cursor), take: q.limit + 1 });
      return cursorPage(rows, q.limit, (r) => ({ at: r.group.createdAt, id: r.group.id }), (r) => toGroupView(r.group, r.role));
    });
  }

  async get(me: string, id: string): Promise<GroupView> {
    const { group, membership } = await this.access.require(freshEm(this.orm), id, me, 'read');
    return toGroupView(group, membership.role);
  }

  async update(me: string, id: string, dto: UpdateGroupDto): Promise<GroupView> {
    return this.withFreshCode(() => inTransaction(this.orm, async (em) => {
      const { group: g } = await this.access.require(em, id, me, 'admin', { lock: true, what: 'edit the group' });
      const changed: string[] = [];
      for (const key of EDITABLE) {
        const value = dto[key];
        if (value === undefined || value === g[key]) continue;
        (g as unknown as Record<string, unknown>)[key] = value;
        changed.push(key);
      }
      if (changed.includes('currency')) g.currencyId = currencyId(g.currency);
      // A private group is joined by invitation only: it loses its code; a group made public gets one.
      if (changed.includes('isPrivate')) g.inviteCode = g.isPrivate ? null : newInviteCode();
      if (changed.length) {
        await this.groups.save(em);
        await this.outbox.append(em, GroupEvents.updated(g, me, changed));
        await this.activity.record(em, {
          groupId: g.id, userId: me, type: ActivityTypes.groupUpdated, description: `${await this.name(em, me)} changed the group's ${changed.join(', ')}`,
          metadata: { changed },
        });
      }
      return toGroupView(g, 'admin');
    }));
  }

  async archive(me: string, id: string): Promise<GroupView> {
    return inTransaction(this.orm, async (em) => {
      const { group: g } = await this.access.require(em, id, me, 'admin', { lock: true, what: 'archive the group' });
      g.isArchived = true;
      g.archivedAt = new Date();
      await this.groups.save(em);
      await this.outbox.append(em, GroupEvents.archived(g, me));
      await this.activity.record(em, { groupId: g.id, userId: me, type: ActivityTypes.groupArchived, description: `${await this.name(em, me)} archived the group` });
      return toGroupView(g, 'admin');
    });
  }

  async unarchive(me: string, id: string): Promise<GroupView> {
    return inTransaction(this.orm, async (em) => {
      const { group: g } = await this.access.require(em, id, me, 'admin', { lock: true, archivedOk: true, what: 'unarchive the group' });
      if (!g.isArchived) throw GroupErrors.notArchived();
      g.isArchived = false;
      g.archivedAt = null;
      await this.groups.save(em);
      await this.outbox.append(em, GroupEvents.unarchived(g, me));
      await this.activity.record(em, { groupId: g.id, userId: me, type: ActivityTypes.groupUnarchived, description: `${await this.name(em, me)} unarchived the group` });
      return toGroupView(g, 'admin');
    });
  }

  /** Only without expenses (`expense_count` and `total_expenses` zero, kept by ExpenseHandlers); the group is then gone for everyone. */
  async delete(me: string, id: string): Promise<void> {
    await inTransaction(this.orm, async (em) => {
      const { group: g } = await this.access.require(em, id, me, 'admin', { lock: true, archivedOk: true, what: 'delete the group' });
      if (g.expenseCount > 0 || !/^0(\.0*)?$/.test(String(g.totalExpenses))) throw GroupErrors.hasExpenses();
      g.isActive = false;
      g.inviteCode = null;
      await this.groups.save(em);
      await this.outbox.append(em, GroupEvents.deleted(g, me));
    });
  }

  /** A new invite code; the old one stops working at once. */
  async rotateInviteCode(me: string, id: string): Promise<GroupView> {
    return this.withFreshCode(() => inTransaction(this.orm, async (em) => {
      const { group: g } = await this.access.require(em, id, me, 'admin', { lock: true, what: 'change the invite code' });
      if (g.isPrivate) throw GroupErrors.groupPrivate();
      g.inviteCode = newInviteCode();
      await this.groups.save(em);
      await this.outbox.append(em, GroupEvents.inviteCodeChanged(g, me));
      await this.activity.record(em, { groupId: g.id, userId: me, type: ActivityTypes.codeRotated, description: `${await this.name(em, me)} made a new invite code` });
      return toGroupView(g, 'admin');
    }));
  }

  async disableInviteCode(me: string, id: string): Promise<GroupView> {
    return inTransaction(this.orm, async (em) => {
      const { group: g } = await this.access.require(em, id, me, 'admin', { lock: true, what: 'change the invite code' });
      if (g.inviteCode) {
        g.inviteCode = null;
        await this.groups.save(em);
        await this.outbox.append(em, GroupEvents.inviteCodeChanged(g, me));
        await this.activity.record(em, { groupId: g.id, userId: me, type: ActivityTypes.codeDisabled, description: `${await this.name(em, me)} turned off joining by invite code` });
      }
      return toGroupView(g, 'admin');
    });
  }

  private async name(em: EntityManager, userId: string): Promise<string> {
    return displayName((await this.users.findUsers(em, [userId])).get(userId));
  }

  /** A new code colliding with an existing one (about 1 in 10^17) is simply drawn again. */
  private async withFreshCode<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt < 3 && err instanceof UniqueConstraintViolationException && /invite_code/.test(err.message)) continue;
        throw err;
      }
    }
  }
}
