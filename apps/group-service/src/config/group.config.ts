import { MessagingConfig } from '@tally/config';

export class GroupServiceConfig extends MessagingConfig {
  override PORT: number = 3002;
}
