import type { NewEvent } from '@tally/messaging';
import type { FriendshipStatus, UserFriendship } from './friendship.entity';

type Friendship = Pick<UserFriendship, 'id' | 'fromUserId' | 'toUserId' | 'status' | 'message'>;

function event<T extends 'friendship.requested' | 'friendship.accepted' | 'friendship.declined' | 'friendship.blocked' | 'friendship.removed'>(
  type: T,
  f: Friendship,
  byUserId: string,
  status: FriendshipStatus | 'removed',
): NewEvent<T> {
  return {
    type,
    subject: f.id,
    data: {
      friendshipId: f.id, fromUserId: f.fromUserId, toUserId: f.toUserId, status, byUserId, message: f.message ?? null,
      at: new Date().toISOString(),
    },
  } as NewEvent<T>;
}

/** The events of a friendship (`auth.friendship.v1`, keyed by friendship id); `byUserId` is the party who acted. */
export const FriendshipEvents = {
  requested: (f: Friendship, byUserId: string) => event('friendship.requested', f, byUserId, f.status),
  accepted: (f: Friendship, byUserId: string) => event('friendship.accepted', f, byUserId, f.status),
  declined: (f: Friendship, byUserId: string) => event('friendship.declined', f, byUserId, f.status),
  blocked: (f: Friendship, byUserId: string) => event('friendship.blocked', f, byUserId, f.status),
  /** The row is deleted: its status in the event is `removed`. */
  removed: (f: Friendship, byUserId: string) => event('friendship.removed', f, byUserId, 'removed'),
};
