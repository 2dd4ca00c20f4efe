import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { NotificationService } from '../notifications/notification.service';
import { AppPaths, People } from './people';

/** In-app notifications from auth's friendship.* events. */
@Controller()
export class FriendshipNotificationHandlers {
  constructor(private readonly notifications: NotificationService, private readonly people: People) {}

  /** The person asked is told (a request someone reopens tells them again: it is a new event). */
  @EventPattern('friendship.requested')
  async onRequested(@Payload() e: EventOf<'friendship.requested'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const { em } = ctx;
    const d = e.data;
    const name = await this.people.names(em, [d.fromUserId]);
    const from = name(d.fromUserId);
    await this.notifications.notify(ctx, e, d.byUserId, [{
      userId: d.toUserId, type: 'friend_request', senderId: d.fromUserId,
      title: `${from} sent you a friend request`,
      message: `${from} wants to be your friend on Tally.${d.message ? ` Their message: "${d.message}".` : ''} Accept or decline it in your friends list.`,
      relatedObjectType: 'friendship', relatedObjectId: d.friendshipId, actionUrl: AppPaths.friends(),
    }]);
  }

  /** The one who asked is told. */
  @EventPattern('friendship.accepted')
  async onAccepted(@Payload() e: EventOf<'friendship.accepted'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const { em } = ctx;
    const d = e.data;
    const name = await this.people.names(em, [d.toUserId]);
    const to = name(d.toUserId);
    await this.notifications.notify(ctx, e, d.byUserId, [{
      userId: d.fromUserId, type: 'friend_accepted', senderId: d.toUserId,
      title: `${to} accepted your friend request`,
      message: `You and ${to} are now friends on Tally: you can share expenses and settle up outside groups.`,
      relatedObjectType: 'friendship', relatedObjectId: d.friendshipId, actionUrl: AppPaths.friends(),
    }]);
  }
}
