import { MessagingConfig } from '@tally/config';

export class AnalyticsServiceConfig extends MessagingConfig {
  override PORT: number = 3005;
}
