import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { GroupProjectionRepository } from './group-projection.repository';

type GroupEvent = EventOf<'group.created'>;

/** Keeps expense-service's projection of groups in step with group-service's events (memberships: MembershipProjectionHandlers of @tally/projections). */
@Controller()
export class GroupProjectionHandlers {
  constructor(private readonly projection: GroupProjectionRepository) {}

  @EventPattern('group.created')
  onCreated(@Payload() e: GroupEvent, @Ctx() { em }: HandlerContext) {
    return this.projection.upsertGroup(em, e.data, e.time);
  }

  @EventPattern('group.updated')
  onUpdated(@Payload() e: EventOf<'group.updated'>, @Ctx() { em }: HandlerContext) {
    return this.projection.upsertGroup(em, e.data, e.time);
  }

  @EventPattern('group.archived')
  onArchived(@Payload() e: EventOf<'group.archived'>, @Ctx() { em }: HandlerContext) {
    return this.projection.upsertGroup(em, e.data, e.time);
  }

  @EventPattern('group.unarchived')
  onUnarchived(@Payload() e: EventOf<'group.unarchived'>, @Ctx() { em }: HandlerContext) {
    return this.projection.upsertGroup(em, e.data, e.time);
  }

  @EventPattern('group.deleted')
  onDeleted(@Payload() e: EventOf<'group.deleted'>, @Ctx() { em }: HandlerContext) {
    return this.projection.upsertGroup(em, e.data, e.time);
  }
}
