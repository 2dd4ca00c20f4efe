import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsDefined, IsIn, IsObject, IsOptional, Matches, ValidateIf, ValidateNested } from 'class-validator';
import { CHANNELS } from '../../notifications/notification-types';
import { FREQUENCIES } from '../preference-policy';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A quiet window, both ends `HH:MM` (24 h) in the user's time zone; `start > end` crosses midnight. */
export class QuietHoursDto {
  @IsDefined() @Matches(HHMM, { message: 'quietHours.start must be a time HH:MM (00:00 to 23:59)' })
  start!: string;

  @IsDefined() @Matches(HHMM, { message: 'quietHours.end must be a time HH:MM (00:00 to 23:59)' })
  end!: string;
}

/** `PUT /api/v1/notification-preferences/:type`: the whole preference. `quietHours` null (or left out): none. */
export class PutPreferenceDto {
  @IsDefined() @IsBoolean({ message: 'isEnabled must be true or false' })
  isEnabled!: boolean;

  @IsDefined() @IsArray({ message: 'channels must be an array' }) @ArrayMaxSize(CHANNELS.length) @ArrayUnique({ message: 'channels must not repeat a channel' })
  @IsIn(CHANNELS, { each: true, message: `each channel must be one of ${CHANNELS.join(', ')}` })
  channels!: string[];

  @IsOptional() @IsObject({ message: 'quietHours must be an object {start, end} or null' }) @ValidateNested() @Type(() => QuietHoursDto)
  quietHours?: QuietHoursDto | null;

  @IsDefined() @IsIn(FREQUENCIES, { message: `frequency must be one of ${FREQUENCIES.join(', ')}` })
  frequency!: string;
}

/** `PATCH /api/v1/notification-preferences/:type`: only the fields given change; `quietHours: null` removes them. */
export class PatchPreferenceDto {
  @IsOptional() @IsBoolean({ message: 'isEnabled must be true or false' })
  isEnabled?: boolean;

  @IsOptional() @IsArray({ message: 'channels must be an array' }) @ArrayMaxSize(CHANNELS.length) @ArrayUnique({ message: 'channels must not repeat a channel' })
  @IsIn(CHANNELS, { each: true, message: `each channel must be one of ${CHANNELS.join(', ')}` })
  channels?: string[];

  @ValidateIf((_, v) => v !== undefined && v !== null) @IsObject({ message: 'quietHours must be an object {start, end} or null' }) @ValidateNested() @Type(() => QuietHoursDto)
  quietHours?: QuietHoursDto | null;

  @IsOptional() @IsIn(FREQUENCIES, { message: `frequency must be one of ${FREQUENCIES.join(', ')}` })
  frequency?: string;
}

/** `PUT /api/v1/notification-preferences/quiet-hours`: the same quiet hours (or none) for every type. */
export class QuietHoursForAllDto {
  @ValidateIf((_, v) => v !== null) @IsDefined({ message: 'quietHours must be an object {start, end} or null' })
  @IsObject({ message: 'quietHours must be an object {start, end} or null' }) @ValidateNested() @Type(() => QuietHoursDto)
  quietHours!: QuietHoursDto | null;
}
