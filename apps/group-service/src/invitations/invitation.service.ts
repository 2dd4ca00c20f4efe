import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { IdentityProjectionRepository, ProjectedUserCard } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import { freshEm, inTransaction } from '@tally/persistence';
import { CursorPage, CursorQueryDto, cursorPage, decodeCursor } from '@tally/service-kit';
import { GroupAccess } from '../access/group-access';
import { ActivityService, ActivityTypes } from '../activities/activity.service';
import { displayName } from '../common/names';
import { GroupErrors } from '../groups/group.exceptions';
import { GroupRepository } from '../groups/group.repository';
import { MembershipService, MembershipView, toMembershipView } from '../memberships/membership.service';
import { CreateInvitationDto, ListInvitationsQueryDto } from './dto/invitation.dto';
import { GroupInvitation } from './invitation.entity';
import { InvitationContext, InvitationEvents } from './invitation.events';
import { InvitationRepository } from './invitation.repository';

export const DEFAULT_INVITATION_DAYS = 7;
export const MAX_INVITATION_DAYS = 30;
/** An expiry closer than this is refused: the invitee would have no time to answer. */
export const MIN_INVITATION_MINUTES = 5;
const DAY_MS = 86_400_000;

/** What a group's admins see of an invitation. */
export interface InvitationView {
  id: string;
  groupId: string;
  email: string | null;
  phoneNumber: string | null;
  message: string | null;
  status: string;
  invitedById: string;
  acceptedById: string | null;
  expiresAt: string;
  respondedAt: string | null;
  createdAt: string;
}

/** What the invitee sees: the group's name and who invited them, not the other invitees. */
export interface ReceivedInvitationView {
  id: string;
  groupId: string;
  groupName: string;
  inviterName: string;
  message: string | null;
  status: string;
  expiresAt: string;
  createdAt: string;
}

/** Pending and past its expiry (the sweep may not have marked it yet). */
function isOverdue(i: GroupInvitation, now = new Date()): boolean {
  return i.status === 'pending' && i.expiresAt.getTime() <= now.getTime();
}

export function toInvitationView(i: GroupInvitation): InvitationView {
  return {
    id: i.id, groupId: i.groupId, email: i.email ?? null, phoneNumber: i.phoneNumber ?? null, message: i.message ?? null,
    status: isOverdue(i) ? 'expired' : i.status, invitedById: i.invitedById, acceptedById: i.acceptedById ?? null,
    expiresAt: i.expiresAt.toISOString(), respondedAt: i.respondedAt ? i.respondedAt.toISOString() : null, createdAt: i.createdAt.toISOString(),
  };
}

/**
 * Invitations by email or phone. Admins invite, list and revoke; the invitee (the active account
 * whose verified email the invitation was sent to) sees, accepts or declines it. To everyone else an
 * invitation does not exist (404), so its id is not a capability. One pending invitation per address
 * and group (409, also under concurrency: partial unique indexes). Expiry: 7 days by default, at most
 * 30; group-worker marks overdue ones expired, and an overdue one can never be accepted meanwhile.
 *
 * Phone invitations are recorded, listed, revoked and expire like email ones; they are delivered by
 * SMS and accepted once accounts have verified phone numbers (notifications issue).
 */
@Injectable()
export class InvitationService {
  constructor(
    private readonly orm: MikroORM,
    private readonly access: GroupAccess,
    private readonly groups: GroupRepository,
    private readonly invitations: InvitationRepository,
    private readonly memberships: MembershipService,
    private readonly activity: ActivityService,
    private readonly users: IdentityProjectionRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(me: string, groupId: string, dto: CreateInvitationDto, now = new Date()): Promise<InvitationView> {
    if ((dto.email === undefined) === (dto.phoneNumber === undefined)) throw GroupErrors.oneAddress();
    const expiresAt = this.expiry(dto.expiresAt, now);
    try {
      return await inTransaction(this.orm, async (em) => {
        const { group } = await this.access.require(em, groupId, me, 'admin', { lock: true, what: 'invite people' });
        if (dto.email && (await this.memberships.isMemberEmail(em, groupId, dto.email))) throw GroupErrors.alreadyMember();
        const i = new GroupInvitation();
        i.id = randomUUID();
        i.groupId = groupId;
        i.invitedById = me;
        i.email = dto.email ?? null;
        i.phoneNumber = dto.phoneNumber ?? null;
        i.message = dto.message ?? null;
        i.expiresAt = expiresAt;
        i.createdAt = now;
        await this.invitations.insert(em, i);
        const inviter = (await this.users.findUsers(em, [me])).get(me);
        await this.outbox.append(em, InvitationEvents.created(i, { groupName: group.name, inviterName: inviter ? displayName(inviter) : null }, me));
        await this.activity.record(em, {
          groupId, userId: me, type: ActivityTypes.inviteSent,
          description: `${displayName(inviter)} invited someone by ${i.email ? 'email' : 'phone'}`,
          metadata: { invitationId: i.id, channel: i.email ? 'email' : 'phone' },
        });
        return toInvitationView(i);
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw GroupErrors.invitationExists();
      throw err;
    }
  }

  async listForGroup(me: string, groupId: string, q: ListInvitationsQueryDto): Promise<CursorPage<InvitationView>> {
    const em = freshEm(this.orm);
    await this.access.require(em, groupId, me, 'admin', { archivedOk: true, what: 'see invitations' });
    const rows = await this.invitations.listForGroup(em, groupId, (q.status ?? 'pending') === 'pending', decodeCursor(q.cursor), q.limit + 1);
    return cursorPage(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }), toInvitationView);
  }

  async revoke(me: string, groupId: string, invitationId: string): Promise<InvitationView> {
    return inTransaction(this.orm, async (em) => {
      const { group } = await this.access.require(em, groupId, me, 'admin', { archivedOk: true, what: 'revoke invitations' });
      const i = await this.invitations.findForUpdate(em, invitationId);
      if (!i || i.groupId !== groupId) throw GroupErrors.invitationNotFound();
      // Overdue is expired, as the admins' list already shows it, whether or not the sweep has marked it yet.
      if (i.status !== 'pending' || isOverdue(i)) throw GroupErrors.invitationNotPending(isOverdue(i) ? 'expired' : i.status);
      i.status = 'revoked';
      i.respondedAt = new Date();
      await this.invitations.save(em);
      const ctx = await this.context(em, i, group.name);
      await this.outbox.append(em, InvitationEvents.revoked(i, ctx, me));
      await this.activity.record(em, {
        groupId, userId: me, type: ActivityTypes.inviteRevoked, description: `${await this.name(em, me)} revoked an invitation`, metadata: { invitationId: i.id },
      });
      return toInvitationView(i);
    });
  }

  /** The pending invitations sent to the caller's verified address. */
  async listMine(me: string, q: CursorQueryDto): Promise<CursorPage<ReceivedInvitationView>> {
    const em = freshEm(this.orm);
    const user = await this.invitee(em, me);
    if (!user?.email) return { items: [], nextCursor: null, limit: q.limit };
    const rows = await this.invitations.listPendingForEmail(em, user.email, decodeCursor(q.cursor), q.limit + 1);
    const names = await this.groups.namesOf(em, rows.map((r) => r.groupId));
    const inviters = await this.users.findUsers(em, rows.map((r) => r.invitedById));
    return cursorPage(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }), (r) => this.received(r, names.get(r.groupId) ?? '', inviters.get(r.invitedById)));
  }

  async getMine(me: string, id: string): Promise<ReceivedInvitationView> {
    const em = freshEm(this.orm);
    const i = await this.invitations.findById(em, id);
    const user = await this.invitee(em, me);
    const name = i ? (await this.groups.namesOf(em, [i.groupId])).get(i.groupId) : undefined;
    if (!i || !this.isFor(i, user) || name === undefined) throw GroupErrors.invitationNotFound();
    return this.received(i, name, (await this.users.findUsers(em, [i.invitedById])).get(i.invitedById));
  }

  /** The invitee joins the group (a removed member too: an admin invited them back). */
  async accept(me: string, id: string): Promise<MembershipView> {
    try {
      return await inTransaction(this.orm, async (em) => {
        const { i, group } = await this.answerable(em, me, id);
        if (group.isArchived) throw GroupErrors.archived();
        const existing = await this.memberships.findRow(em, group.id, me);
        if (existing?.isActive) throw GroupErrors.alreadyMember();
        const now = new Date();
        i.status = 'accepted';
        i.isAccepted = true;
        i.acceptedById = me;
        i.acceptedAt = now;
        i.respondedAt = now;
        await this.invitations.save(em);
        await this.outbox.append(em, InvitationEvents.accepted(i, await this.context(em, i, group.name), me));
        await this.activity.record(em, {
          groupId: group.id, userId: me, type: ActivityTypes.inviteAccepted, description: `${await this.name(em, me)} accepted an invitation`, metadata: { invitationId: i.id },
        });
        const m = await this.memberships.join(em, group, me, existing, 'invitation', { invitedById: i.invitedById, message: i.message });
        return toMembershipView(m);
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw GroupErrors.alreadyMember();
      throw err;
    }
  }

  async decline(me: string, id: string): Promise<ReceivedInvitationView> {
    return inTransaction(this.orm, async (em) => {
      const { i, group } = await this.answerable(em, me, id);
      i.status = 'declined';
      i.respondedAt = new Date();
      await this.invitations.save(em);
      const ctx = await this.context(em, i, group.name);
      await this.outbox.append(em, InvitationEvents.declined(i, ctx, me));
      await this.memberships.recordDecline(em, group.id, me);
      await this.activity.record(em, {
        groupId: group.id, userId: me, type: ActivityTypes.inviteDeclined, description: `${await this.name(em, me)} declined an invitation`, metadata: { invitationId: i.id },
      });
      return this.received(i, group.name, (await this.users.findUsers(em, [i.invitedById])).get(i.invitedById));
    });
  }

  /** The invitation and its group, locked, if the caller is its invitee and it can still be answered. */
  private async answerable(em: EntityManager, me: string, id: string) {
    const i = await this.invitations.findForUpdate(em, id);
    const user = await this.invitee(em, me);
    if (!i || !this.isFor(i, user)) throw GroupErrors.invitationNotFound();
    const group = await this.groups.findActive(em, i.groupId, true);
    if (!group) throw GroupErrors.invitationNotFound();
    // Expired is one answer to the invitee, whether or not the sweep has marked it yet.
    if (isOverdue(i) || i.status === 'expired') throw GroupErrors.invitationExpired();
    if (i.status !== 'pending') throw GroupErrors.invitationNotPending(i.status);
    return { i, group };
  }

  /** The caller as an invitee: their projected account, if active with a verified address. */
  private async invitee(em: EntityManager, me: string): Promise<ProjectedUserCard | undefined> {
    const u = (await this.users.findUsers(em, [me])).get(me);
    return u && u.isActive && u.emailVerified && u.email ? u : undefined;
  }

  private isFor(i: GroupInvitation, user: ProjectedUserCard | undefined): boolean {
    return !!user?.email && !!i.email && i.email === user.email.toLowerCase();
  }

  private received(i: GroupInvitation, groupName: string, inviter: ProjectedUserCard | undefined): ReceivedInvitationView {
    return {
      id: i.id, groupId: i.groupId, groupName, inviterName: displayName(inviter), message: i.message ?? null,
      status: isOverdue(i) ? 'expired' : i.status, expiresAt: i.expiresAt.toISOString(), createdAt: i.createdAt.toISOString(),
    };
  }

  private async context(em: EntityManager, i: GroupInvitation, groupName: string): Promise<InvitationContext> {
    const inviter = (await this.users.findUsers(em, [i.invitedById])).get(i.invitedById);
    return { groupName, inviterName: inviter ? displayName(inviter) : null };
  }

  private async name(em: EntityManager, userId: string): Promise<string> {
    return displayName((await this.users.findUsers(em, [userId])).get(userId));
  }

  private expiry(input: string | undefined, now: Date): Date {
    if (input === undefined) return new Date(now.getTime() + DEFAULT_INVITATION_DAYS * DAY_MS);
    const at = new Date(input);
    if (Number.isNaN(at.getTime())) throw GroupErrors.badExpiry('expiresAt must be an ISO 8601 date-time such as 2030-01-31T12:00:00Z');
    if (at.getTime() < now.getTime() + MIN_INVITATION_MINUTES * 60_000) throw GroupErrors.badExpiry(`expiresAt must be at least ${MIN_INVITATION_MINUTES} minutes in the future`);
    if (at.getTime() > now.getTime() + MAX_INVITATION_DAYS * DAY_MS) throw GroupErrors.badExpiry(`expiresAt must be at most ${MAX_INVITATION_DAYS} days ahead`);
    return at;
  }
}
