import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { MembershipProjectionRepository } from './membership-projection.repository';

/** Keeps the local `group_members` projection in step with group-service's membership.* events. */
@Controller()
export class MembershipProjectionHandlers {
  constructor(private readonly members: MembershipProjectionRepository) {}

  @EventPattern('membership.joined')
  onJoined(@Payload() e: EventOf<'membership.joined'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.members.upsertMember(em, e.data, e.time);
  }

  @EventPattern('membership.role_changed')
  onRoleChanged(@Payload() e: EventOf<'membership.role_changed'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.members.upsertMember(em, e.data, e.time);
  }

  @EventPattern('membership.left')
  onLeft(@Payload() e: EventOf<'membership.left'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.members.upsertMember(em, e.data, e.time);
  }

  @EventPattern('membership.removed')
  onRemoved(@Payload() e: EventOf<'membership.removed'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.members.upsertMember(em, e.data, e.time);
  }

  @EventPattern('membership.declined')
  onDeclined(@Payload() e: EventOf<'membership.declined'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.members.upsertMember(em, e.data, e.time);
  }
}
