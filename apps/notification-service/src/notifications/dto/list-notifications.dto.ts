import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { CursorQueryDto } from '@tally/service-kit';
import { NOTIFICATION_TYPES } from '../notification-types';

/** `?limit=&cursor=` plus `?unread=true` (only unread ones) and `?type=` (one notification type). */
export class ListNotificationsQueryDto extends CursorQueryDto {
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'unread must be true or false' })
  unread?: boolean;

  @IsOptional() @IsIn(Object.keys(NOTIFICATION_TYPES), { message: 'type must be a notification type' })
  type?: string;
}
