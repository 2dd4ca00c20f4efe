import { IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength } from 'class-validator';
import { RedisConfig } from '@tally/config';

/** The API process: HTTP, Kafka consumer (records + enqueues), delivery sweeper. */
export class NotificationServiceConfig extends RedisConfig {
  override PORT: number = 3006;

  /** How often the sweeper looks for pending notifications whose delivery job is missing. */
  @IsInt() @Min(1000) @Max(600_000)
  EMAIL_SWEEP_INTERVAL_MS: number = 15_000;

  /** A pending notification younger than this is left alone (its after-commit enqueue may be in flight). */
  @IsInt() @Min(1000) @Max(3_600_000)
  EMAIL_SWEEP_GRACE_MS: number = 30_000;

  /** Notifications looked at per sweep. */
  @IsInt() @Min(1) @Max(5000)
  EMAIL_SWEEP_BATCH: number = 200;

  /** BullMQ attempts per email job before it is dead-lettered. */
  @IsInt() @Min(1) @Max(50)
  EMAIL_JOB_ATTEMPTS: number = 10;

  /** First retry delay of the exponential backoff. */
  @IsInt() @Min(100) @Max(600_000)
  EMAIL_JOB_BACKOFF_MS: number = 1000;

  /** An enqueue slower than this gives up (Redis down); the sweeper enqueues later. Keeps Kafka handlers short. */
  @IsInt() @Min(100) @Max(30_000)
  EMAIL_ENQUEUE_TIMEOUT_MS: number = 2000;

  /** Where the app lives (tracked email links redirect to the notification's page there). */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  APP_PUBLIC_URL: string = 'http://localhost:8080';

  /**
   * Email open/click tracking: the HMAC key of the tokens in tracked emails (the same value as
   * notification-worker's). Unset: tracking is off and `/email/open|click/*` answer 404.
   */
  @IsOptional() @IsString() @MinLength(32, { message: 'EMAIL_TRACKING_SECRET must be at least 32 characters' })
  EMAIL_TRACKING_SECRET?: string;

  /**
   * Twilio's message status callbacks (`POST /callbacks/sms/twilio`): the account's auth token (the same
   * value as notification-worker's), which signs them, and the public URL they are posted to (the same
   * TWILIO_STATUS_CALLBACK_URL as the worker's; the signature covers it exactly). Either unset: the
   * route answers 404.
   */
  @IsOptional() @IsString() @MinLength(16)
  TWILIO_AUTH_TOKEN?: string;

  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  TWILIO_STATUS_CALLBACK_URL?: string;
}
