import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsNotBlank, MaxChars } from '@tally/service-kit';
import { trimText } from '../validators';

export const DEVICE_TYPES = ['ios', 'android', 'web'] as const;

export class RegisterDeviceDto {
  /** The push token of this app install (APNs, FCM or Web Push); printable ASCII, no spaces. */
  @IsString() @Length(8, 255) @Matches(/^[\x21-\x7e]+$/, { message: 'deviceToken must be printable ASCII without spaces' })
  deviceToken!: string;

  @IsIn(DEVICE_TYPES, { message: 'deviceType must be one of ios, android, web' })
  deviceType!: (typeof DEVICE_TYPES)[number];

  /** Kept when absent on a re-registration; null clears it; an empty or blank string is refused. */
  @IsOptional() @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(100)
  deviceName?: string | null;
}
