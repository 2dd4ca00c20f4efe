import { IsInt, Max, Min } from 'class-validator';
import { MessagingConfig } from '@tally/config';

export class GroupServiceConfig extends MessagingConfig {
  override PORT: number = 3002;

  /**
   * Memory for users' group lists answered without a database read (ADR 16), in MiB of their JSON;
   * 0 turns the cache off (every list is read from the database).
   */
  @IsInt() @Min(0) @Max(4096)
  GROUP_LIST_CACHE_MB: number = 32;

  /** The longest a user's cached lists are kept, even with no change reported. */
  @IsInt() @Min(1000) @Max(3_600_000)
  GROUP_LIST_CACHE_TTL_MS: number = 300_000;
}
