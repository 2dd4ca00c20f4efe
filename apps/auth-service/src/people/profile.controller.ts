import { Body, Controller, Get, Param, Patch } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { UpdateMeDto, UpdateProfileDto } from './dto/profile.dto';
import { UuidParamPipe } from './params';
import { ProfileService } from './profile.service';

/**
 * Profiles and public user views. `GET /api/v1/users/me` stays with the users module; the static
 * `me` segments win over `:id` in the router, so the two never clash.
 */
@Controller('api/v1/users')
export class ProfileController {
  constructor(private readonly profiles: ProfileService) {}

  @Patch('me')
  updateMe(@CurrentUser() user: AuthenticatedUser, @Body() dto: UpdateMeDto) {
    return this.profiles.updateMe(user.id, dto);
  }

  @Get('me/profile')
  myProfile(@CurrentUser() user: AuthenticatedUser) {
    return this.profiles.getMyProfile(user.id);
  }

  @Patch('me/profile')
  updateMyProfile(@CurrentUser() user: AuthenticatedUser, @Body() dto: UpdateProfileDto) {
    return this.profiles.updateMyProfile(user.id, dto);
  }

  @Get(':id')
  getUser(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.profiles.getUser(user.id, id);
  }

  @Get(':id/profile')
  getUserProfile(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.profiles.getUserProfile(user.id, id);
  }
}
