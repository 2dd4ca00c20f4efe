import { IsBoolean, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { BaseServiceConfig } from '@tally/config';
import { ServicePorts, UpstreamUrlEnv } from '@tally/contracts';
import { IsRatePolicy } from '../rate-limit/policies';

const url = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** A service's local address, from its port in libs/contracts/src/services.ts. */
const local = (port: number) => `http://127.0.0.1:${port}`;

/** `implements`: a service added to the list without its URL setting here does not compile. */
export class GatewayConfig extends BaseServiceConfig implements Record<UpstreamUrlEnv, string> {
  override PORT: number = ServicePorts['api-gateway'];

  // Where each service of the list is (routes.ts forwards its routes there).
  @IsUrl(url) AUTH_SERVICE_URL: string = local(ServicePorts['auth-service']);
  @IsUrl(url) GROUP_SERVICE_URL: string = local(ServicePorts['group-service']);
  @IsUrl(url) EXPENSE_SERVICE_URL: string = local(ServicePorts['expense-service']);
  @IsUrl(url) PAYMENT_SERVICE_URL: string = local(ServicePorts['payment-service']);
  @IsUrl(url) ANALYTICS_SERVICE_URL: string = local(ServicePorts['analytics-service']);
  @IsUrl(url) NOTIFICATION_SERVICE_URL: string = local(ServicePorts['notification-service']);

  /** Where the gateway fetches (and caches) auth's public keys; defaults to auth's JWKS. */
  @IsOptional() @IsUrl(url) AUTH_JWKS_URL?: string;
  /**
   * How old the key set may get before it is fetched again, in the background (a revoked key stops at
   * the gateway within this; auth's SIGNING_KEY_ACTIVATION_DELAY_SECONDS should be at least twice it).
   */
  @IsInt() @Min(500) @Max(3_600_000) JWKS_REFRESH_MS: number = 30_000;
  /** Longest wait between two fetches while the JWKS endpoint fails (the last good keys keep verifying meanwhile). */
  @IsInt() @Min(1000) @Max(3_600_000) JWKS_MAX_BACKOFF_MS: number = 60_000;
  /** Most verified access tokens remembered (each answered until it expires); 0 verifies every request. */
  @IsInt() @Min(0) @Max(1_000_000) TOKEN_CACHE_MAX: number = 10_000;

  @IsString() JWT_ISSUER: string = 'tally-auth';
  @IsString() JWT_AUDIENCE: string = 'tally-api';

  /** Rate limits live here; without it every limit is enforced per gateway process, in memory. */
  @IsOptional() @Matches(/^rediss?:\/\//) REDIS_URL?: string;

  /** Largest request body accepted, bytes. */
  @IsInt() @Min(1024) @Max(10 * 1024 * 1024) BODY_LIMIT_BYTES: number = 256 * 1024;

  /** An upstream that has not answered by then gives 504. */
  @IsInt() @Min(100) @Max(120000) UPSTREAM_TIMEOUT_MS: number = 15000;
  /**
   * Streaming routes (routes.ts `STREAM_ROUTES`: the notification stream) have no total limit: once
   * the upstream answered (within UPSTREAM_TIMEOUT_MS) the stream stays open while bytes keep coming,
   * and is cut after this long without one (the service sends a heartbeat every 15 s).
   */
  @IsInt() @Min(1000) @Max(3_600_000) STREAM_IDLE_TIMEOUT_MS: number = 60_000;

  /** Comma-separated allowed origins for CORS; empty means no cross-origin access. */
  @IsOptional() @IsString() CORS_ORIGINS: string = '';

  /**
   * Which peers may tell the client's address in X-Forwarded-For: `loopback` (default), a
   * comma-separated list of addresses/CIDRs or proxy-addr names (`loopback`, `linklocal`,
   * `uniquelocal`), a number of hops, `false` (trust no one) or `true` (trust everyone: spoofable,
   * only behind a proxy that overwrites the header).
   */
  @Matches(/^(true|false|\d{1,2}|[0-9A-Za-z.:/]+(\s*,\s*[0-9A-Za-z.:/]+)*)$/) TRUST_PROXY: string = 'loopback';

  // ---- rate limits: `<limit>/<window>`, e.g. 10/1m; see apps/api-gateway/README.md ----
  @IsBoolean() RATE_LIMIT_ENABLED: boolean = true;
  /** Prefix of every rate-limit key in Redis. Default: `<QUEUE_PREFIX>:rl:` when QUEUE_PREFIX is set, else `tally:rl:`. */
  @IsOptional() @Matches(/^[A-Za-z0-9_.:-]{1,60}$/) RATE_LIMIT_PREFIX?: string;
  /** The per-run isolation prefix test runners (and tenants) already set for queues; used when RATE_LIMIT_PREFIX is not. */
  @IsOptional() @Matches(/^[A-Za-z0-9_-]{1,40}$/) QUEUE_PREFIX?: string;
  /** Longest wait for Redis on a request; past it the request is decided without Redis. */
  @IsInt() @Min(5) @Max(2000) RATE_LIMIT_REDIS_TIMEOUT_MS: number = 100;
  /**
   * Per-user and per-IP quotas (policies of 20 requests or more, one quota per request) are reserved
   * from Redis in blocks of up to this many requests (never more than a tenth of the limit) and spent
   * in this process; 1: one Redis call per request. See apps/api-gateway/README.md, "Rate limits".
   */
  @IsInt() @Min(1) @Max(64) RATE_LIMIT_BATCH_MAX: number = 16;
  /** How long a reserved block may be spent before its rest goes back to Redis (also the longest a refusal is remembered). */
  @IsInt() @Min(10) @Max(5000) RATE_LIMIT_BATCH_LEASE_MS: number = 1000;
  /** POST /api/v1/auth/login: per client IP (default 10/1m) and per account named in the body (default 5/1m). */
  @IsOptional() @IsRatePolicy() RATE_LIMIT_LOGIN_IP?: string;
  @IsOptional() @IsRatePolicy() RATE_LIMIT_LOGIN_ACCOUNT?: string;
  /** POST /api/v1/auth/register: per client IP (default 5/10m). */
  @IsOptional() @IsRatePolicy() RATE_LIMIT_REGISTER_IP?: string;
  /** POST password/forgot, password/reset, verify-email/resend: per IP (default 5/15m) and per account (default 3/15m). */
  @IsOptional() @IsRatePolicy() RATE_LIMIT_RECOVERY_IP?: string;
  @IsOptional() @IsRatePolicy() RATE_LIMIT_RECOVERY_ACCOUNT?: string;
  /** Every other route: per authenticated user (default 300/1m), per client IP without a valid token (default 120/1m). */
  @IsOptional() @IsRatePolicy() RATE_LIMIT_USER?: string;
  @IsOptional() @IsRatePolicy() RATE_LIMIT_ANONYMOUS_IP?: string;

  // ---- API documentation ----
  /** How long the merged OpenAPI document is reused before the services are asked again. */
  @IsInt() @Min(0) @Max(3_600_000) OPENAPI_CACHE_TTL_MS: number = 60_000;
  /** Longest wait for one service's /openapi.json; a slower service is left out of the document. */
  @IsInt() @Min(100) @Max(30_000) OPENAPI_FETCH_TIMEOUT_MS: number = 2000;
}

/** TRUST_PROXY as Fastify's `trustProxy` option. */
export function trustProxyOption(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((s) => s.trim()).filter(Boolean).join(',');
}

/** Where rate-limit keys go in Redis. */
export function rateLimitPrefix(c: GatewayConfig): string {
  if (c.RATE_LIMIT_PREFIX) return c.RATE_LIMIT_PREFIX;
  return `${c.QUEUE_PREFIX ?? 'tally'}:rl:`;
}
