import { Injectable } from '@nestjs/common';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { OutboxWriter } from '@tally/messaging';
import { freshEm, inTransaction } from '@tally/persistence';
import { Page } from '@tally/service-kit';
import { CreateFriendshipDto, ListFriendshipsQueryDto } from './dto/friendship.dto';
import { FriendshipStatus, UserFriendship } from './friendship.entity';
import { FriendshipEvents } from './friendship.events';
import { FriendshipRepository } from './friendship.repository';
import { PeopleErrors } from './people.exceptions';
import { ProfileRepository } from './profile.repository';
import { UserCard, toUserCard } from './views';

export interface FriendshipView {
  id: string;
  status: FriendshipStatus;
  /** outgoing: the caller sent the request; incoming: the caller received it. */
  direction: 'incoming' | 'outgoing';
  message: string | null;
  /** The other party. */
  user: UserCard;
  createdAt: string;
  updatedAt: string;
}

/**
 * Whether `userId` may see and act on this row: its two parties, except that a block is visible
 * only to the one who blocked (to the blocked user the row does not exist: 404, never 403).
 */
export function isVisibleTo(f: Pick<UserFriendship, 'fromUserId' | 'toUserId' | 'status' | 'blockedById'>, userId: string): boolean {
  if (f.fromUserId !== userId && f.toUserId !== userId) return false;
  return f.status !== 'blocked' || f.blockedById === userId;
}

/**
 * Friend requests and friendships: one row per pair of users; every change publishes its
 * `friendship.*` event (subject: the friendship id) in the same transaction.
 *
 * - request: 400 for oneself; 404 for an unknown, deactivated or unverified user, and for someone
 *   who blocked the caller (a block is never revealed); 409 when a pending, accepted or blocked row
 *   exists in either direction. A declined row does not count: a new request reopens it (same id).
 * - accept / decline: only the recipient (403 for the sender), only while pending (409).
 * - block: either party, from any state; the blocker is kept in blocked_by_id. Blocking again is a no-op.
 * - remove (DELETE): either party cancels a request, unfriends, or clears a declined row; a block
 *   is lifted only by the blocker (it is invisible, so 404, to the blocked one). The row is deleted.
 */
@Injectable()
export class FriendshipService {
  constructor(
    private readonly orm: MikroORM,
    private readonly friendships: FriendshipRepository,
    private readonly users: ProfileRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async request(me: string, dto: CreateFriendshipDto): Promise<FriendshipView> {
    const toUserId = dto.toUserId.toLowerCase();
    if (toUserId === me) throw PeopleErrors.friendshipWithSelf();
    try {
      return await inTransaction(this.orm, async (em) => {
        const target = await this.users.findUser(em, toUserId);
        if (!target || !target.isActive || !target.isVerified) throw PeopleErrors.userNotFound();
        let f = await this.friendships.findBetween(em, me, toUserId, true);
        if (f) {
          if (f.status === 'blocked') throw f.blockedById === me ? PeopleErrors.friendshipExists() : PeopleErrors.userNotFound();
          if (f.status !== 'declined') throw PeopleErrors.friendshipExists();
          // Reopen the declined request, now from the caller.
          f.fromUserId = me;
          f.toUserId = toUserId;
          f.status = 'pending';
          f.message = dto.message ?? null;
          await this.friendships.save(em);
        } else {
          f = new UserFriendship();
          f.id = randomUUID();
          f.fromUserId = me;
          f.toUserId = toUserId;
          f.status = 'pending';
          f.message = dto.message ?? null;
          await this.friendships.insert(em, f);
        }
        await this.outbox.append(em, FriendshipEvents.requested(f, me));
        return this.view(f, me, toUserCard(target));
      });
    } catch (err) {
      // The same pair requested concurrently (in either direction): the unique pair index decides.
      if (err instanceof UniqueConstraintViolationException) throw PeopleErrors.friendshipExists();
      throw err;
    }
  }

  async list(me: string, q: ListFriendshipsQueryDto): Promise<Page<FriendshipView>> {
    const [rows, total] = await this.friendships.listForUser(freshEm(this.orm), me, { status: q.status, direction: q.direction, limit: q.limit, offset: q.offset });
    return {
      items: rows.map((r) => ({
        id: r.id, status: r.status, direction: r.fromUserId === me ? 'outgoing' : 'incoming', message: r.message,
        user: toUserCard(r.other), createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
      })),
      total, limit: q.limit, offset: q.offset,
    };
  }

  accept(me: string, id: string): Promise<FriendshipView> {
    return this.respond(me, id, 'accepted');
  }

  decline(me: string, id: string): Promise<FriendshipView> {
    return this.respond(me, id, 'declined');
  }

  async block(me: string, id: string): Promise<FriendshipView> {
    return inTransaction(this.orm, async (em) => {
      const f = await this.visibleRow(me, id, em);
      if (f.status !== 'blocked') {
        f.status = 'blocked';
        f.blockedById = me;
        await this.friendships.save(em);
        await this.outbox.append(em, FriendshipEvents.blocked(f, me));
      }
      return this.view(f, me, await this.otherCard(f, me, em));
    });
  }

  async remove(me: string, id: string): Promise<void> {
    await inTransaction(this.orm, async (em) => {
      const f = await this.visibleRow(me, id, em);
      await this.friendships.delete(em, f);
      await this.outbox.append(em, FriendshipEvents.removed(f, me));
    });
  }

  private async respond(me: string, id: string, status: 'accepted' | 'declined'): Promise<FriendshipView> {
    return inTransaction(this.orm, async (em) => {
      const f = await this.visibleRow(me, id, em);
      if (f.toUserId !== me) throw PeopleErrors.notRecipient();
      if (f.status !== 'pending') throw PeopleErrors.notPending();
      f.status = status;
      await this.friendships.save(em);
      await this.outbox.append(em, status === 'accepted' ? FriendshipEvents.accepted(f, me) : FriendshipEvents.declined(f, me));
      return this.view(f, me, await this.otherCard(f, me, em));
    });
  }

  /** The row, locked, if the caller may see it; otherwise 404 as if it did not exist. */
  private async visibleRow(me: string, id: string, em: EntityManager): Promise<UserFriendship> {
    const f = await this.friendships.findById(em, id, true);
    if (!f || !isVisibleTo(f, me)) throw PeopleErrors.friendshipNotFound();
    return f;
  }

  private async otherCard(f: UserFriendship, me: string, em: EntityManager): Promise<UserCard> {
    const other = await this.users.findUser(em, f.otherParty(me));
    // The foreign key keeps the user row; a deactivated user still has a name to show here.
    return other ? toUserCard(other) : { id: f.otherParty(me), username: '', firstName: null, detailsVisible: false };
  }

  private view(f: UserFriendship, me: string, other: UserCard): FriendshipView {
    return {
      id: f.id, status: f.status, direction: f.fromUserId === me ? 'outgoing' : 'incoming', message: f.message ?? null,
      user: other, createdAt: f.createdAt.toISOString(), updatedAt: f.updatedAt.toISOString(),
    };
  }
}
