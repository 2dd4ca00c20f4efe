import { IsInt, IsString, Max, Min } from 'class-validator';
import { MessagingConfig } from '@tally/config';

export class AuthServiceConfig extends MessagingConfig {
  override PORT: number = 3001;

  /** Access token lifetime, seconds. */
  @IsInt() @Min(60) @Max(3600)
  ACCESS_TOKEN_TTL_SECONDS: number = 900;

  /** Email verification token lifetime, hours. */
  @IsInt() @Min(1) @Max(24 * 14)
  EMAIL_VERIFICATION_TTL_HOURS: number = 48;

  /** Signing keys older than this are rotated out (a new one becomes active; old ones still verify). */
  @IsInt() @Min(1) @Max(365)
  SIGNING_KEY_ROTATION_DAYS: number = 30;

  @IsString()
  APP_PUBLIC_URL: string = 'http://localhost:8080';
}
