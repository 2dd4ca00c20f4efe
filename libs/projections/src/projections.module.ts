import { Module } from '@nestjs/common';
import { FriendshipProjectionHandlers } from './friendship-projection.handlers';
import { FriendshipProjectionRepository } from './friendship-projection.repository';
import { MembershipProjectionHandlers } from './membership-projection.handlers';
import { MembershipProjectionRepository } from './membership-projection.repository';

/**
 * group-service's memberships as a local `group_members` table (membership.* events). Import it once, in
 * the app module; modules that read it import it too (Nest shares the one instance).
 */
@Module({ controllers: [MembershipProjectionHandlers], providers: [MembershipProjectionRepository], exports: [MembershipProjectionRepository] })
export class MembershipProjectionModule {}

/** auth's friendships as a local `friendships` table (friendship.* events). */
@Module({ controllers: [FriendshipProjectionHandlers], providers: [FriendshipProjectionRepository], exports: [FriendshipProjectionRepository] })
export class FriendshipProjectionModule {}
