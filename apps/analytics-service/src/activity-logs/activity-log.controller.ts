import { Controller, Get, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { PageQueryDto } from '@tally/service-kit';
import { ActivityLogService } from './activity-log.service';

@Controller('api/v1/activity')
export class ActivityLogController {
  constructor(private readonly activity: ActivityLogService) {}

  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() page: PageQueryDto) {
    return this.activity.listForUser(user.id, page.limit, page.offset);
  }
}
