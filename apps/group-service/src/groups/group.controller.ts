import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { UuidParamPipe } from '../common/params';
import { MembershipService } from '../memberships/membership.service';
import { CreateGroupDto, JoinGroupDto, ListGroupsQueryDto, UpdateGroupDto } from './dto/group.dto';
import { GroupErrors } from './group.exceptions';
import { GroupService } from './group.service';
import { normalizeInviteCode } from './invite-code';

@Controller('api/v1/groups')
export class GroupController {
  constructor(
    private readonly groups: GroupService,
    private readonly memberships: MembershipService,
  ) {}

  @Post()
  create(@CurrentUser() user: AuthenticatedUser, @Body() dto: CreateGroupDto) {
    return this.groups.create(user.id, dto);
  }

  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: ListGroupsQueryDto) {
    return this.groups.list(user.id, q);
  }

  /** Join by invite code (not for private groups). */
  @Post('join')
  @HttpCode(200)
  join(@CurrentUser() user: AuthenticatedUser, @Body() dto: JoinGroupDto) {
    const code = normalizeInviteCode(dto.inviteCode);
    if (!code) throw GroupErrors.inviteCodeNotFound();
    return this.memberships.joinByCode(user.id, code);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.groups.get(user.id, id);
  }

  @Patch(':id')
  update(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string, @Body() dto: UpdateGroupDto) {
    return this.groups.update(user.id, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.groups.delete(user.id, id);
  }

  @Post(':id/archive')
  @HttpCode(200)
  archive(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.groups.archive(user.id, id);
  }

  @Post(':id/unarchive')
  @HttpCode(200)
  unarchive(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.groups.unarchive(user.id, id);
  }

  /** A new invite code (the old one stops working). */
  @Post(':id/invite-code')
  @HttpCode(200)
  rotateCode(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.groups.rotateInviteCode(user.id, id);
  }

  /** No joining by code until a new one is made. */
  @Delete(':id/invite-code')
  @HttpCode(200)
  disableCode(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.groups.disableInviteCode(user.id, id);
  }
}
