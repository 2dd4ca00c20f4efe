import { IsIn, IsOptional } from 'class-validator';
import { CursorQueryDto } from '@tally/service-kit';
import { PROVIDER_NAMES, ProviderName } from '../../providers/payment-provider';
import { WEBHOOK_STATUSES, WebhookStatus } from '../payment-webhook.repository';

export class ListPaymentWebhooksQueryDto extends CursorQueryDto {
  /** Only webhooks in this state, e.g. `failed`. */
  @IsOptional() @IsIn(WEBHOOK_STATUSES)
  status?: WebhookStatus;

  @IsOptional() @IsIn(PROVIDER_NAMES)
  provider?: ProviderName;
}
