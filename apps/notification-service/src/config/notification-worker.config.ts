import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import { DatabaseConfig } from '@tally/config';
import { ServicePorts } from '@tally/contracts';
import type { WorkerConfig } from '@tally/service-kit';

/** `true`/`1`/`yes` → true; anything else → false. (Implicit conversion would turn "false" into true.) */
const toBoolean = ({ obj, key }: { obj: Record<string, unknown>; key: string }): boolean =>
  ['true', '1', 'yes'].includes(String(obj[key]).trim().toLowerCase());

/** The `notification-worker` process: BullMQ email delivery over SMTP and web push, plus health and metrics on PORT. */
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

  /**
   * Web Push (VAPID, RFC 8292) key pair, base64url, as `npx web-push generate-vapid-keys` prints it.
   * The public key is what the web app passes to `pushManager.subscribe({ applicationServerKey })`.
   * Required in production; elsewhere a missing pair is generated at start (dev only: it changes on
   * every restart, which invalidates the browsers' subscriptions).
   */
  @IsOptional() @Matches(/^[A-Za-z0-9_-]{87}$/, { message: 'VAPID_PUBLIC_KEY must be a base64url P-256 public key (87 characters)' })
  VAPID_PUBLIC_KEY?: string;

  @IsOptional() @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'VAPID_PRIVATE_KEY must be a base64url P-256 private key (43 characters)' })
  VAPID_PRIVATE_KEY?: string;

  /** The contact push services may use about our traffic: a mailto: or https: URL. */
  @Matches(/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/, { message: 'VAPID_SUBJECT must be a mailto: or https: URL' })
  VAPID_SUBJECT: string = 'mailto:ops@tally.local';

  /** How long a push service keeps a push for a device that is offline (seconds; 0 = now or never). */
  @IsInt() @Min(0) @Max(28 * 24 * 3600)
  PUSH_TTL_SECONDS: number = 24 * 3600;

  /**
   * The push services a web device's endpoint may name (an SSRF guard; the same setting as
   * auth-service's, which refuses other endpoints at registration): comma-separated hosts, `*.domain`,
   * `host:port`, `http://host` (plain http, for a local push endpoint) and `default` (the browsers' push
   * services). Unset: `default`. A device whose endpoint is not allowed is deactivated, its delivery failed.
   */
  @IsOptional() @IsString()
  PUSH_ENDPOINT_HOSTS?: string;

  /** One push request's timeout; below BullMQ's 30 s job lock. */
  @IsInt() @Min(1000) @Max(25_000)
  PUSH_TIMEOUT_MS: number = 10_000;

  /**
   * SMS over Twilio (the official SDK). Without an account sid and auth token SMS deliveries are
   * skipped (`not_configured`); the worker starts either way. With them, exactly one of TWILIO_FROM
   * (an E.164 number) and TWILIO_MESSAGING_SERVICE_SID is needed.
   */
  @IsOptional() @Matches(/^AC[0-9a-fA-F]{32}$/, { message: 'TWILIO_ACCOUNT_SID must be an account sid (AC followed by 32 hex digits)' })
  TWILIO_ACCOUNT_SID?: string;

  @IsOptional() @IsString() @MinLength(16)
  TWILIO_AUTH_TOKEN?: string;

  @IsOptional() @Matches(/^\+[1-9]\d{6,14}$/, { message: 'TWILIO_FROM must be an E.164 number like +14155550123' })
  TWILIO_FROM?: string;

  @IsOptional() @Matches(/^MG[0-9a-fA-F]{32}$/, { message: 'TWILIO_MESSAGING_SERVICE_SID must be a messaging service sid (MG…)' })
  TWILIO_MESSAGING_SERVICE_SID?: string;

  /** Tests and local runs only: where the Twilio REST API is (a local fake); unset: Twilio itself. Refused in production. */
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  TWILIO_API_BASE?: string;

  /**
   * The public URL of `POST /callbacks/sms/twilio` at the gateway (e.g. `https://api.tally.example/callbacks/sms/twilio`):
   * each message asks Twilio to post its status changes there (with `?deliveryId=`), so its log row
   * moves from `sent` to `delivered` or `failed`. notification-service needs the same value and the auth
   * token. Unset: no callbacks; SMS log rows stay `sent`.
   */
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  TWILIO_STATUS_CALLBACK_URL?: string;

  /** One Twilio request's timeout; below BullMQ's 30 s job lock. */
  @IsInt() @Min(1000) @Max(25_000)
  SMS_TIMEOUT_MS: number = 10_000;

  /** Jobs processed at once (per queue) by this process. */
  @IsInt() @Min(1) @Max(100)
  WORKER_CONCURRENCY: number = 5;

  /**
   * The job lock (ms): a delivery whose worker died (SIGKILL, node lost) is taken up again by another
   * once its lock lapses. Longer than any one delivery's timeouts is not needed (the lock is renewed
   * while a job runs); shorter only delays work after a crash less. The tests use 5 s.
   */
  @IsInt() @Min(2000) @Max(300_000)
  WORKER_LOCK_MS: number = 30_000;

  /** How often the digest job looks for due digests (hourly, daily and weekly ones go out within this of their time). */
  @IsInt() @Min(5) @Max(3600)
  DIGEST_EVERY_SECONDS: number = 60;

  /**
   * Email open/click tracking, on when both are set: the HMAC key of the tokens (the same value as
   * notification-service's) and the public URL of the gateway that serves `/email/open|click/*`.
   */
  @IsOptional() @IsString() @MinLength(32, { message: 'EMAIL_TRACKING_SECRET must be at least 32 characters' })
  EMAIL_TRACKING_SECRET?: string;

  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  EMAIL_TRACKING_BASE_URL?: string;
}
