import { Module } from '@nestjs/common';
import { FriendshipProjectionHandlers } from './friendship-projection.handlers';
import { FriendshipProjectionRepository } from './friendship-projection.repository';

/** expense-service's projection of auth-service's friendships. */
@Module({ controllers: [FriendshipProjectionHandlers], providers: [FriendshipProjectionRepository], exports: [FriendshipProjectionRepository] })
export class FriendshipProjectionModule {}
