import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { ListNotificationsQueryDto } from './dto/list-notifications.dto';
import { NotificationIdPipe } from './notification.params';
import { NotificationService } from './notification.service';

/** The caller's own notifications (in-app inbox). Anyone else's is 404 NOTIFICATION_NOT_FOUND. */
@Controller('api/v1/notifications')
export class NotificationController {
  constructor(private readonly notifications: NotificationService) {}

  /** Newest first, cursor pages; `?unread=true` only unread ones, `?type=` one type. */
  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: ListNotificationsQueryDto) {
    return this.notifications.listForUser(user.id, q);
  }

  /** `{ count }` of unread notifications. */
  @Get('unread-count')
  unreadCount(@CurrentUser() user: AuthenticatedUser) {
    return this.notifications.unreadCount(user.id);
  }

  /** Marks every unread notification read: `{ updated }`. */
  @Post('read-all')
  @HttpCode(200)
  readAll(@CurrentUser() user: AuthenticatedUser) {
    return this.notifications.markAllRead(user.id);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', NotificationIdPipe) id: string) {
    return this.notifications.get(user.id, id);
  }

  /** Marks it read; returns it. */
  @Post(':id/read')
  @HttpCode(200)
  read(@CurrentUser() user: AuthenticatedUser, @Param('id', NotificationIdPipe) id: string) {
    return this.notifications.markRead(user.id, id);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: AuthenticatedUser, @Param('id', NotificationIdPipe) id: string): Promise<void> {
    await this.notifications.delete(user.id, id);
  }
}
