import { Controller, Get, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { PageQueryDto } from '@tally/service-kit';
import { GroupService } from './group.service';

@Controller('api/v1/groups')
export class GroupController {
  constructor(private readonly groups: GroupService) {}

  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() page: PageQueryDto) {
    return this.groups.listForUser(user.id, page.limit, page.offset);
  }
}
