import { MessagingConfig } from '@tally/config';

export class PaymentServiceConfig extends MessagingConfig {
  override PORT: number = 3004;
}
