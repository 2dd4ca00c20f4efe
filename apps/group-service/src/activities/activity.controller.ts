import { Controller, Get, Param, Query } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { CursorQueryDto } from '@tally/service-kit';
import { GroupAccess } from '../access/group-access';
import { UuidParamPipe } from '../common/params';
import { ActivityService } from './activity.service';

@Controller('api/v1/groups/:id/activity')
export class ActivityController {
  constructor(
    private readonly orm: MikroORM,
    private readonly access: GroupAccess,
    private readonly activity: ActivityService,
  ) {}

  /** The group's feed, newest first. */
  @Get()
  async feed(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string, @Query() q: CursorQueryDto) {
    await this.access.require(freshEm(this.orm), id, user.id, 'read');
    return this.activity.feed(id, q.limit, q.cursor);
  }
}
