import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { FriendshipProjectionRepository } from './friendship-projection.repository';

/** Keeps the local `friendships` projection in step with auth-service's friendship.* events. */
@Controller()
export class FriendshipProjectionHandlers {
  constructor(private readonly friendships: FriendshipProjectionRepository) {}

  @EventPattern('friendship.requested')
  onRequested(@Payload() e: EventOf<'friendship.requested'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.friendships.apply(em, e.data, e.time);
  }

  @EventPattern('friendship.accepted')
  onAccepted(@Payload() e: EventOf<'friendship.accepted'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.friendships.apply(em, e.data, e.time);
  }

  @EventPattern('friendship.declined')
  onDeclined(@Payload() e: EventOf<'friendship.declined'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.friendships.apply(em, e.data, e.time);
  }

  @EventPattern('friendship.blocked')
  onBlocked(@Payload() e: EventOf<'friendship.blocked'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.friendships.apply(em, e.data, e.time);
  }

  @EventPattern('friendship.removed')
  onRemoved(@Payload() e: EventOf<'friendship.removed'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.friendships.apply(em, e.data, e.time);
  }
}
