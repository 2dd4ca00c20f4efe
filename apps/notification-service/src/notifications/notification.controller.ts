import { Controller, Get, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { PageQueryDto } from '@tally/service-kit';
import { NotificationService } from './notification.service';

@Controller('api/v1/notifications')
export class NotificationController {
  constructor(private readonly notifications: NotificationService) {}

  /** The caller's notifications, newest first. */
  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() page: PageQueryDto) {
    return this.notifications.listForUser(user.id, page.limit, page.offset);
  }
}
