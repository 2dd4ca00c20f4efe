import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import { DatabaseConfig } from '@tally/config';
import { ServicePorts } from '@tally/contracts';
import type { WorkerConfig } from '@tally/service-kit';

/** `true`/`1`/`yes` → true; anything else → false. (Implicit conversion would turn "false" into true.) */
const toBoolean = ({ obj, key }: { obj: Record<string, unknown>; key: string }): boolean =>
  ['true', '1', 'yes'].includes(String(obj[key]).trim().toLowerCase());

/** The `notification-worker` process: BullMQ email delivery over SMTP, plus health and metrics on PORT. */
export class NotificationWorkerConfig extends DatabaseConfig implements WorkerConfig {
  override PORT: number = ServicePorts['notification-worker'];

  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL!: string;

  /** Prefix of every BullMQ key; must match the API's (RedisConfig.QUEUE_PREFIX). */
  @Matches(/^[A-Za-z0-9_-]{1,40}$/)
  QUEUE_PREFIX: string = 'tally';

  @IsString() @MinLength(1)
  SMTP_HOST!: string;

  @IsInt() @Min(1) @Max(65535)
  SMTP_PORT: number = 587;

  /** Implicit TLS (port 465). Otherwise STARTTLS is used when the server offers it. */
  @IsOptional() @Transform(toBoolean) @IsBoolean()
  SMTP_SECURE: boolean = false;

  /** No authentication when unset (local catchers, relays that trust the network). */
  @IsOptional() @IsString()
  SMTP_USER?: string;

  @IsOptional() @IsString()
  SMTP_PASS?: string;

  /** The From header, e.g. `Tally <no-reply@tally.example>`. */
  @IsString() @MinLength(3)
  SMTP_FROM!: string;

  /** Connection, greeting and socket timeout; below BullMQ's 30 s job lock. */
  @IsInt() @Min(1000) @Max(25_000)
  SMTP_TIMEOUT_MS: number = 15_000;

  /** Where links in emails point (the web app behind the gateway), e.g. `https://app.tally.example`. */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  APP_PUBLIC_URL!: string;

  /** Jobs processed at once (per queue) by this process. */
  @IsInt() @Min(1) @Max(100)
  WORKER_CONCURRENCY: number = 5;
}
