import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { AdminAccessGuard, CurrentAdmin } from './admin-access.guard';
import { AdminCaller } from './admin-policy';
import { AdminUsersService } from './admin-users.service';
import { ChangeRoleDto, ListUsersQueryDto, UserIdParams } from './dto/admin-users.dto';

@Controller('api/v1/admin/users')
@UseGuards(AdminAccessGuard)
export class AdminUsersController {
  constructor(private readonly users: AdminUsersService) {}

  @Get()
  list(@Query() q: ListUsersQueryDto) {
    return this.users.list(q);
  }

  @Get(':id')
  get(@Param() p: UserIdParams) {
    return this.users.get(p.id);
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  deactivate(@CurrentAdmin() admin: AdminCaller, @Param() p: UserIdParams) {
    return this.users.deactivate(admin, p.id);
  }

  @Post(':id/reactivate')
  @HttpCode(200)
  reactivate(@CurrentAdmin() admin: AdminCaller, @Param() p: UserIdParams) {
    return this.users.reactivate(admin, p.id);
  }

  @Post(':id/unlock')
  @HttpCode(200)
  unlock(@CurrentAdmin() admin: AdminCaller, @Param() p: UserIdParams) {
    return this.users.unlock(admin, p.id);
  }

  @Patch(':id/role')
  changeRole(@CurrentAdmin() admin: AdminCaller, @Param() p: UserIdParams, @Body() dto: ChangeRoleDto) {
    return this.users.changeRole(admin, p.id, dto.role);
  }
}
