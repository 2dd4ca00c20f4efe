import { Body, Controller, Delete, Get, Param, Patch, Put } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { PatchPreferenceDto, PutPreferenceDto, QuietHoursForAllDto } from './dto/preference.dto';
import { PreferenceService } from './preference.service';

/**
 * The caller's own notification preferences (there is no way to read or change anyone else's).
 * `:type` is a notification type users set preferences for: unknown is 404 NOTIFICATION_TYPE_NOT_FOUND,
 * an account email 400 NOTIFICATION_TYPE_NOT_ADJUSTABLE.
 */
@Controller('api/v1/notification-preferences')
export class PreferenceController {
  constructor(private readonly preferences: PreferenceService) {}

  /** Every preference type with the caller's choice or its default (`isDefault`). */
  @Get()
  list(@CurrentUser() user: AuthenticatedUser) {
    return this.preferences.list(user.id);
  }

  /** The same quiet hours (or `null`: none) on every type; returns the whole list. */
  @Put('quiet-hours')
  quietHoursForAll(@CurrentUser() user: AuthenticatedUser, @Body() body: QuietHoursForAllDto) {
    return this.preferences.setQuietHoursForAll(user.id, body.quietHours ? { start: body.quietHours.start, end: body.quietHours.end } : null);
  }

  @Get(':type')
  get(@CurrentUser() user: AuthenticatedUser, @Param('type') type: string) {
    return this.preferences.get(user.id, type);
  }

  /** The whole preference for one type. */
  @Put(':type')
  replace(@CurrentUser() user: AuthenticatedUser, @Param('type') type: string, @Body() body: PutPreferenceDto) {
    const quietHours = body.quietHours ? { start: body.quietHours.start, end: body.quietHours.end } : null;
    return this.preferences.replace(user.id, type, { isEnabled: body.isEnabled, channels: body.channels, quietHours, frequency: body.frequency });
  }

  /** Some fields of one type's preference. */
  @Patch(':type')
  update(@CurrentUser() user: AuthenticatedUser, @Param('type') type: string, @Body() body: PatchPreferenceDto) {
    const quietHours = body.quietHours === undefined ? undefined : body.quietHours === null ? null : { start: body.quietHours.start, end: body.quietHours.end };
    return this.preferences.update(user.id, type, { isEnabled: body.isEnabled, channels: body.channels, quietHours, frequency: body.frequency });
  }

  /** Back to the default; returns it. */
  @Delete(':type')
  reset(@CurrentUser() user: AuthenticatedUser, @Param('type') type: string) {
    return this.preferences.reset(user.id, type);
  }
}
