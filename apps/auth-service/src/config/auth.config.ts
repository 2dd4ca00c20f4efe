import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { MessagingConfig } from '@tally/config';

export class AuthServiceConfig extends MessagingConfig {
  override PORT: number = 3001;

  /** Access token lifetime, seconds. */
  @IsInt() @Min(60) @Max(3600)
  ACCESS_TOKEN_TTL_SECONDS: number = 900;

  /** Refresh token lifetime, days (each rotation issues a new one). */
  @IsInt() @Min(1) @Max(365)
  REFRESH_TOKEN_TTL_DAYS: number = 30;

  /** Email verification token lifetime, hours. */
  @IsInt() @Min(1) @Max(24 * 14)
  EMAIL_VERIFICATION_TTL_HOURS: number = 48;

  /** Password reset token lifetime, minutes. */
  @IsInt() @Min(5) @Max(24 * 60)
  PASSWORD_RESET_TTL_MINUTES: number = 60;

  /** Failed logins in a row that lock an account. */
  @IsInt() @Min(1) @Max(100)
  LOCKOUT_THRESHOLD: number = 5;

  /**
   * How long a lock lasts, seconds. Also how long failures are remembered: a count whose last
   * attempt is older than this starts again (and its row may be pruned).
   */
  @IsInt() @Min(1) @Max(7 * 24 * 3600)
  LOCKOUT_DURATION_SECONDS: number = 15 * 60;

  /** How often expired login throttles (counters that no longer count) are deleted, seconds. */
  @IsInt() @Min(1) @Max(24 * 3600)
  LOGIN_THROTTLE_PRUNE_INTERVAL_SECONDS: number = 10 * 60;

  /** Rows deleted per statement when pruning login throttles (each batch its own short statement). */
  @IsInt() @Min(1) @Max(100_000)
  LOGIN_THROTTLE_PRUNE_BATCH: number = 1000;

  /**
   * A refresh token presented again within this many seconds of its use, while the token it was
   * exchanged for is still unused (a retry after a lost response), gets a fresh pair of the same
   * family instead of revoking it. 0 turns the grace off.
   */
  @IsInt() @Min(0) @Max(300)
  REFRESH_REUSE_GRACE_SECONDS: number = 30;

  /** Signing keys older than this are rotated out (a new one becomes active; old ones still verify). */
  @IsInt() @Min(1) @Max(365)
  SIGNING_KEY_ROTATION_DAYS: number = 30;

  /**
   * A new signing key is announced (JWKS, `signing_key.published`) and signs only once its announcement
   * has left the outbox this long ago: every verifier knows it first. Default: twice the gateway's JWKS refresh (30 s).
   */
  @IsInt() @Min(0) @Max(24 * 3600)
  SIGNING_KEY_ACTIVATION_DELAY_SECONDS: number = 60;

  /** How often a replica looks at the keys: activates an announced key when due, starts a rotation, follows other replicas. */
  @IsInt() @Min(200) @Max(600_000)
  SIGNING_KEY_CHECK_INTERVAL_MS: number = 5000;

  @IsString()
  APP_PUBLIC_URL: string = 'http://localhost:8080';

  /**
   * The push services a web device's subscription endpoint may name (an SSRF guard; the same setting
   * as notification-worker's): comma-separated hosts, `*.domain`, `host:port`, `http://host` (plain
   * http, for a local push endpoint) and `default` (the browsers' push services). Unset: `default`.
   * See libs/security/src/push-endpoints.ts.
   */
  @IsOptional() @IsString()
  PUSH_ENDPOINT_HOSTS?: string;

  /**
   * 32 random bytes, base64 (`openssl rand -base64 32`): encrypts private signing keys and
   * sensitive configuration values at rest. Required in production; without it (development)
   * they are stored in clear.
   */
  @ValidateIf((c: AuthServiceConfig) => c.NODE_ENV === 'production' || c.SECRETS_KEY !== undefined)
  @IsNotEmpty({ message: 'SECRETS_KEY is required in production' })
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'SECRETS_KEY must be 32 bytes, base64-encoded' })
  SECRETS_KEY?: string;
}
