import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { CursorQueryDto } from '@tally/service-kit';
import { PROVIDER_NAMES, ProviderName } from '../../providers/payment-provider';

export class CreatePaymentDto {
  /** The settlement to pay: yours to pay (you are its payer) and pending. */
  @IsUUID('all')
  settlementId!: string;

  /** One of your active payment methods. */
  @IsUUID('all')
  paymentMethodId!: string;

  /** Which provider; the service's default (PAYMENT_PROVIDER_DEFAULT) when left out. */
  @IsOptional() @IsIn(PROVIDER_NAMES)
  provider?: ProviderName;
}

export class ListPaymentsQueryDto extends CursorQueryDto {
  /** The settlement whose payments to list (you must be its payer or payee). */
  @IsUUID('all')
  settlementId!: string;
}
