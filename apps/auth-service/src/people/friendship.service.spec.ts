import type { MikroORM } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import { User } from '../users/user.entity';
import { FriendshipStatus, UserFriendship } from './friendship.entity';
import { FriendshipRepository } from './friendship.repository';
import { FriendshipService, isVisibleTo } from './friendship.service';
import { ProfileRepository } from './profile.repository';

const ANN = '00000000-0000-4000-8000-0000000000a1';
const BOB = '00000000-0000-4000-8000-0000000000b0';
const CAT = '00000000-0000-4000-8000-0000000000c0';
const FID = '00000000-0000-4000-8000-0000000000f1';

function row(status: FriendshipStatus, over: Partial<UserFriendship> = {}): UserFriendship {
  return Object.assign(new UserFriendship(), {
    id: FID, fromUserId: ANN, toUserId: BOB, status, message: null, blockedById: status === 'blocked' ? ANN : null,
    createdAt: new Date('2026-11-01T00:00:00Z'), updatedAt: new Date('2026-11-01T00:00:00Z'), ...over,
  });
}

function user(id: string, over: Partial<User> = {}): User {
  return Object.assign(new User(), { id, username: `u${id.slice(-2)}`, firstName: 'F', isActive: true, isVerified: true, ...over });
}

function setup(existing: UserFriendship | null, target: User | null = user(BOB)) {
  const em: { transactional: jest.Mock } = { transactional: jest.fn((fn: (e: unknown) => unknown) => fn(em)) };
  const orm = { em: { fork: () => em } } as unknown as MikroORM;
  const friendships = {
    findBetween: jest.fn().mockResolvedValue(existing),
    findById: jest.fn().mockResolvedValue(existing),
    insert: jest.fn(),
    save: jest.fn(),
    delete: jest.fn(),
  };
  const users = { findUser: jest.fn(async (_em: unknown, id: string) => (target && target.id === id ? target : user(id))) };
  if (!target) users.findUser.mockResolvedValue(null as never);
  const append = jest.fn();
  const service = new FriendshipService(orm, friendships as unknown as FriendshipRepository, users as unknown as ProfileRepository, { append } as unknown as OutboxWriter);
  const events = () => append.mock.calls.map(([, e]) => ({ type: e.type, subject: e.subject, status: e.data.status, by: e.data.byUserId }));
  return { service, friendships, append, events, em };
}

describe('isVisibleTo', () => {
  it('shows a row only to its two parties, and a block only to the blocker', () => {
    expect(isVisibleTo(row('pending'), ANN)).toBe(true);
    expect(isVisibleTo(row('pending'), BOB)).toBe(true);
    expect(isVisibleTo(row('accepted'), CAT)).toBe(false);
    expect(isVisibleTo(row('blocked', { blockedById: BOB }), BOB)).toBe(true);
    expect(isVisibleTo(row('blocked', { blockedById: BOB }), ANN)).toBe(false);
  });
});

describe('FriendshipService.request', () => {
  it('refuses oneself with 400 before touching the database', async () => {
    const { service, em } = setup(null);
    await expect(service.request(ANN, { toUserId: ANN })).rejects.toMatchObject({ code: 'FRIENDSHIP_WITH_SELF', status: 400 });
    expect(em.transactional).not.toHaveBeenCalled();
  });

  it('404s unknown, deactivated and unverified users', async () => {
    await expect(setup(null, null).service.request(ANN, { toUserId: BOB })).rejects.toMatchObject({ code: 'USER_NOT_FOUND', status: 404 });
    await expect(setup(null, user(BOB, { isActive: false })).service.request(ANN, { toUserId: BOB })).rejects.toMatchObject({ status: 404 });
    await expect(setup(null, user(BOB, { isVerified: false })).service.request(ANN, { toUserId: BOB })).rejects.toMatchObject({ status: 404 });
  });

  it('creates a pending request and publishes friendship.requested with the friendship id as subject', async () => {
    const { service, friendships, events } = setup(null);
    const view = await service.request(ANN, { toUserId: BOB, message: 'hi' });
    expect(view).toMatchObject({ status: 'pending', direction: 'outgoing', message: 'hi', user: { id: BOB } });
    expect(friendships.insert).toHaveBeenCalledTimes(1);
    expect(events()).toEqual([{ type: 'friendship.requested', subject: view.id, status: 'pending', by: ANN }]);
  });

  it.each(['pending', 'accepted'] as const)('409s when a %s row exists in either direction', async (status) => {
    await expect(setup(row(status)).service.request(ANN, { toUserId: BOB })).rejects.toMatchObject({ code: 'FRIENDSHIP_EXISTS', status: 409 });
    await expect(setup(row(status)).service.request(BOB, { toUserId: ANN })).rejects.toMatchObject({ code: 'FRIENDSHIP_EXISTS', status: 409 });
  });

  it('answers the blocked user 404 (not revealing the block) and the blocker 409', async () => {
    const blockedByAnn = row('blocked', { blockedById: ANN });
    await expect(setup(blockedByAnn, user(ANN)).service.request(BOB, { toUserId: ANN })).rejects.toMatchObject({ code: 'USER_NOT_FOUND', status: 404 });
    await expect(setup(blockedByAnn).service.request(ANN, { toUserId: BOB })).rejects.toMatchObject({ code: 'FRIENDSHIP_EXISTS', status: 409 });
  });

  it('reopens a declined row as a new request from the caller', async () => {
    const declined = row('declined');
    const { service, events } = setup(declined, user(ANN));
    const view = await service.request(BOB, { toUserId: ANN });
    expect(view).toMatchObject({ id: FID, status: 'pending', direction: 'outgoing' });
    expect(declined).toMatchObject({ fromUserId: BOB, toUserId: ANN, status: 'pending' });
    expect(events()).toEqual([{ type: 'friendship.requested', subject: FID, status: 'pending', by: BOB }]);
  });
});

describe('FriendshipService accept/decline/block/remove', () => {
  it('lets only the recipient accept, only while pending', async () => {
    await expect(setup(row('pending')).service.accept(ANN, FID)).rejects.toMatchObject({ code: 'NOT_FRIENDSHIP_RECIPIENT', status: 403 });
    await expect(setup(row('pending')).service.accept(CAT, FID)).rejects.toMatchObject({ code: 'FRIENDSHIP_NOT_FOUND', status: 404 });
    await expect(setup(row('accepted')).service.accept(BOB, FID)).rejects.toMatchObject({ code: 'FRIENDSHIP_NOT_PENDING', status: 409 });
    const ok = setup(row('pending'));
    await expect(ok.service.accept(BOB, FID)).resolves.toMatchObject({ status: 'accepted', direction: 'incoming', user: { id: ANN } });
    expect(ok.events()).toEqual([{ type: 'friendship.accepted', subject: FID, status: 'accepted', by: BOB }]);
  });

  it('declines', async () => {
    const s = setup(row('pending'));
    await expect(s.service.decline(BOB, FID)).resolves.toMatchObject({ status: 'declined' });
    expect(s.events()).toEqual([{ type: 'friendship.declined', subject: FID, status: 'declined', by: BOB }]);
  });

  it('blocks from either side, records the blocker, and a second block by the same user is a no-op', async () => {
    const f = row('accepted');
    const s = setup(f);
    await expect(s.service.block(BOB, FID)).resolves.toMatchObject({ status: 'blocked' });
    expect(f.blockedById).toBe(BOB);
    await s.service.block(BOB, FID);
    expect(s.events()).toEqual([{ type: 'friendship.blocked', subject: FID, status: 'blocked', by: BOB }]);
    // The blocked one cannot see the row at all.
    await expect(s.service.block(ANN, FID)).rejects.toMatchObject({ status: 404 });
    await expect(s.service.remove(ANN, FID)).rejects.toMatchObject({ status: 404 });
  });

  it('lets the blocker lift the block by removing the row', async () => {
    const s = setup(row('blocked', { blockedById: BOB }));
    await s.service.remove(BOB, FID);
    expect(s.friendships.delete).toHaveBeenCalledTimes(1);
    expect(s.events()).toEqual([{ type: 'friendship.removed', subject: FID, status: 'removed', by: BOB }]);
  });

  it('never lets a third user see or change the pair', async () => {
    const s = setup(row('accepted'));
    for (const act of [() => s.service.accept(CAT, FID), () => s.service.decline(CAT, FID), () => s.service.block(CAT, FID), () => s.service.remove(CAT, FID)]) {
      await expect(act()).rejects.toMatchObject({ code: 'FRIENDSHIP_NOT_FOUND', status: 404 });
    }
    expect(s.append).not.toHaveBeenCalled();
  });
});
