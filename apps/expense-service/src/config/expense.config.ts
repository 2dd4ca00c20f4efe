import { MessagingConfig } from '@tally/config';

export class ExpenseServiceConfig extends MessagingConfig {
  override PORT: number = 3003;
}
