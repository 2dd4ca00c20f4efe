import { IsIn, IsOptional } from 'class-validator';
import { CursorQueryDto } from '@tally/service-kit';

export const DELIVERY_STATUSES = ['scheduled', 'sent', 'failed', 'skipped', 'digested', 'cancelled'] as const;
export const DELIVERY_CHANNELS = ['email', 'push', 'sms'] as const;
export const ACCOUNT_EMAIL_STATUSES = ['pending', 'sent', 'failed', 'expired', 'cancelled'] as const;

/** `GET /api/v1/notification-deliveries?status=&channel=&limit=&cursor=` (status defaults to `failed`: the dead letters). */
export class ListDeliveriesQueryDto extends CursorQueryDto {
  @IsOptional() @IsIn(DELIVERY_STATUSES, { message: `status must be one of ${DELIVERY_STATUSES.join(', ')}` })
  status: (typeof DELIVERY_STATUSES)[number] = 'failed';

  @IsOptional() @IsIn(DELIVERY_CHANNELS, { message: `channel must be one of ${DELIVERY_CHANNELS.join(', ')}` })
  channel?: (typeof DELIVERY_CHANNELS)[number];
}

/** `GET /api/v1/notification-deliveries/account-emails?status=&limit=&cursor=` (status defaults to `failed`). */
export class ListAccountEmailsQueryDto extends CursorQueryDto {
  @IsOptional() @IsIn(ACCOUNT_EMAIL_STATUSES, { message: `status must be one of ${ACCOUNT_EMAIL_STATUSES.join(', ')}` })
  status: (typeof ACCOUNT_EMAIL_STATUSES)[number] = 'failed';
}
