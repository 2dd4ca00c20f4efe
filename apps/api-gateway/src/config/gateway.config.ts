import { IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { BaseServiceConfig } from '@tally/config';

const url = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

export class GatewayConfig extends BaseServiceConfig {
  override PORT: number = 8080;

  @IsUrl(url) AUTH_SERVICE_URL: string = 'http://127.0.0.1:3001';
  @IsUrl(url) GROUP_SERVICE_URL: string = 'http://127.0.0.1:3002';
  @IsUrl(url) EXPENSE_SERVICE_URL: string = 'http://127.0.0.1:3003';
  @IsUrl(url) PAYMENT_SERVICE_URL: string = 'http://127.0.0.1:3004';
  @IsUrl(url) ANALYTICS_SERVICE_URL: string = 'http://127.0.0.1:3005';
  @IsUrl(url) NOTIFICATION_SERVICE_URL: string = 'http://127.0.0.1:3006';

  /** Where the gateway fetches (and caches) auth's public keys; defaults to auth's JWKS. */
  @IsOptional() @IsUrl(url) AUTH_JWKS_URL?: string;

  @IsString() JWT_ISSUER: string = 'tally-auth';
  @IsString() JWT_AUDIENCE: string = 'tally-api';

  @IsOptional() @Matches(/^rediss?:\/\//) REDIS_URL?: string;

  /** Largest request body accepted, bytes. */
  @IsInt() @Min(1024) @Max(10 * 1024 * 1024) BODY_LIMIT_BYTES: number = 256 * 1024;

  /** An upstream that has not answered by then gives 504. */
  @IsInt() @Min(100) @Max(120000) UPSTREAM_TIMEOUT_MS: number = 15000;

  /** Comma-separated allowed origins for CORS; empty means no cross-origin access. */
  @IsOptional() @IsString() CORS_ORIGINS: string = '';
}
