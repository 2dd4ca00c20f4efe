import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { CursorQueryDto } from '@tally/service-kit';
import { UuidParamPipe } from '../common/params';
import { ChangeRoleDto, UpdatePreferencesDto } from './dto/membership.dto';
import { MembershipService } from './membership.service';

@Controller('api/v1/groups/:id')
export class MembershipController {
  constructor(private readonly memberships: MembershipService) {}

  /** Active members with their roles, in the order they joined. */
  @Get('members')
  list(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string, @Query() q: CursorQueryDto) {
    return this.memberships.list(user.id, id, q.limit, q.cursor);
  }

  /** The caller's own membership, with their notification preferences for the group. */
  @Get('members/me')
  mine(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.memberships.mine(user.id, id);
  }

  @Patch('members/me/preferences')
  preferences(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string, @Body() dto: UpdatePreferencesDto) {
    const changes = Object.fromEntries(Object.entries(dto).filter(([, v]) => typeof v === 'boolean')) as Record<string, boolean>;
    return this.memberships.updatePreferences(user.id, id, changes);
  }

  @Patch('members/:userId')
  changeRole(
    @CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string, @Param('userId', UuidParamPipe) userId: string, @Body() dto: ChangeRoleDto,
  ) {
    return this.memberships.changeRole(user.id, id, userId, dto.role);
  }

  @Delete('members/:userId')
  @HttpCode(204)
  async remove(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string, @Param('userId', UuidParamPipe) userId: string): Promise<void> {
    await this.memberships.remove(user.id, id, userId);
  }

  @Post('leave')
  @HttpCode(204)
  async leave(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.memberships.leave(user.id, id);
  }
}
