import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type FriendshipStatus = 'pending' | 'accepted' | 'declined' | 'blocked';

/**
 * The seed's `user_friendships`. One row per unordered pair of users (a unique index on
 * LEAST/GREATEST of the two ids): a request from B to A can never coexist with one from A to B.
 */
@Entity({ tableName: 'user_friendships' })
export class UserFriendship {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  /** Who sent the request. */
  @Property({ type: 'uuid' }) fromUserId!: string;
  /** Who received it: the only one who may accept or decline. */
  @Property({ type: 'uuid' }) toUserId!: string;
  @Property({ type: 'string', length: 20 }) status: FriendshipStatus = 'pending';
  @Property({ type: 'text', nullable: true }) message?: string | null;
  /** Not in the seed: who blocked (set exactly when status is `blocked`); only they can lift the block. */
  @Property({ type: 'uuid', nullable: true }) blockedById?: string | null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();

  otherParty(userId: string): string {
    return this.fromUserId === userId ? this.toUserId : this.fromUserId;
  }

  involves(userId: string): boolean {
    return this.fromUserId === userId || this.toUserId === userId;
  }
}
