import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { GroupProjectionRepository } from './group-projection.repository';

type GroupEvent = EventOf<'group.created'>;
type MembershipEvent = EventOf<'membership.joined'>;

/** Keeps expense-service's projection of groups and memberships in step with group-service's events. */
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

  @EventPattern('membership.joined')
  onJoined(@Payload() e: MembershipEvent, @Ctx() { em }: HandlerContext) {
    return this.projection.upsertMember(em, e.data, e.time);
  }

  @EventPattern('membership.role_changed')
  onRoleChanged(@Payload() e: EventOf<'membership.role_changed'>, @Ctx() { em }: HandlerContext) {
    return this.projection.upsertMember(em, e.data, e.time);
  }

  @EventPattern('membership.left')
  onLeft(@Payload() e: EventOf<'membership.left'>, @Ctx() { em }: HandlerContext) {
    return this.projection.upsertMember(em, e.data, e.time);
  }

  @EventPattern('membership.removed')
  onRemoved(@Payload() e: EventOf<'membership.removed'>, @Ctx() { em }: HandlerContext) {
    return this.projection.upsertMember(em, e.data, e.time);
  }

  @EventPattern('membership.declined')
  onDeclined(@Payload() e: EventOf<'membership.declined'>, @Ctx() { em }: HandlerContext) {
    return this.projection.upsertMember(em, e.data, e.time);
  }
}
