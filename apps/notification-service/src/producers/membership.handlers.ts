import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { NotificationService } from '../notifications/notification.service';
import { AppPaths, People } from './people';

/**
 * In-app notifications from group-service's membership.* events. Joining by code or by accepting an
 * invitation is the joiner's own act: nobody is told. (The events carry no group name.)
 */
@Controller()
export class MembershipNotificationHandlers {
  constructor(private readonly notifications: NotificationService, private readonly people: People) {}

  /** Someone else (an admin) made them a member. */
  @EventPattern('membership.joined')
  async onJoined(@Payload() e: EventOf<'membership.joined'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const { em } = ctx;
    const d = e.data;
    if (d.via === 'created' || d.byUserId === d.userId) return;
    const by = (await this.people.names(em, [d.byUserId]))(d.byUserId);
    await this.notifications.notify(ctx, e, d.byUserId, [{
      userId: d.userId, type: 'group_member_added', groupId: d.groupId,
      title: `${by} added you to a group`,
      message: `${by} added you to a group on Tally as ${d.role === 'admin' ? 'an admin' : `a ${d.role}`}.`,
      relatedObjectType: 'group', relatedObjectId: d.groupId, actionUrl: AppPaths.group(d.groupId),
    }]);
  }

  /** The removed member is told (they can no longer open the group: no link). */
  @EventPattern('membership.removed')
  async onRemoved(@Payload() e: EventOf<'membership.removed'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const { em } = ctx;
    const d = e.data;
    const by = (await this.people.names(em, [d.byUserId]))(d.byUserId);
    await this.notifications.notify(ctx, e, d.byUserId, [{
      userId: d.userId, type: 'group_member_removed',
      title: `${by} removed you from a group`,
      message: `${by} removed you from a group on Tally.`,
      relatedObjectType: 'group', relatedObjectId: d.groupId, actionUrl: null,
    }]);
  }
}
