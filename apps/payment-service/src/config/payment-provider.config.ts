import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { RedisConfig } from '@tally/config';
import { PROVIDER_NAMES, ProviderName } from '../providers/payment-provider';

/** The sandbox's signing secret when none is set: development only (SANDBOX_ENABLED is off in production). */
export const SANDBOX_DEV_WEBHOOK_SECRET = 'whsec_tally_sandbox_local_only';

/**
 * payment-service's provider settings (part of PaymentServiceConfig): which providers are enabled and
 * how it reaches them, and how stored webhooks are queued for payment-worker.
 */
export class PaymentProviderConfig extends RedisConfig {
  /** The provider of a payment whose request names none. */
  @IsIn(PROVIDER_NAMES)
  PAYMENT_PROVIDER_DEFAULT: ProviderName = 'sandbox';

  /** Stripe's secret API key (`sk_live_...`, `sk_test_...`). Unset: the stripe provider is disabled. */
  @IsOptional() @IsString() @MinLength(8)
  STRIPE_SECRET_KEY?: string;

  /** The signing secret of Stripe's webhook endpoint (`whsec_...`); required with STRIPE_SECRET_KEY. */
  @ValidateIf((c: PaymentProviderConfig) => !!c.STRIPE_SECRET_KEY)
  @IsString({ message: 'STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set' }) @MinLength(8)
  STRIPE_WEBHOOK_SECRET?: string;

  /** Where Stripe's API is; default https://api.stripe.com. Tests point it at their local Stripe-like server. */
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  STRIPE_API_BASE?: string;

  /** Per Stripe request (a payment's transaction waits for it), milliseconds. */
  @IsInt() @Min(1000) @Max(60_000)
  STRIPE_TIMEOUT_MS: number = 10_000;

  /**
   * The sandbox provider settles every payment without moving money: for development and tests only.
   * Default: on unless NODE_ENV is production.
   */
  @IsOptional() @IsBoolean()
  SANDBOX_ENABLED?: boolean;

  /** Signs the sandbox's webhooks. The default is public: set one wherever the sandbox is reachable by others. */
  @IsString() @MinLength(8)
  SANDBOX_WEBHOOK_SECRET: string = SANDBOX_DEV_WEBHOOK_SECRET;

  /** Where the sandbox posts its webhooks: through the gateway, as a provider would. */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  SANDBOX_WEBHOOK_URL: string = 'http://127.0.0.1:8080/webhooks/sandbox';

  /** How long after creation a sandbox payment settles, milliseconds. */
  @IsInt() @Min(0) @Max(600_000)
  SANDBOX_SETTLE_MS: number = 1000;

  /** Attempts payment-worker makes at one stored webhook (exponential backoff from PAYMENT_WEBHOOK_BACKOFF_MS). */
  @IsInt() @Min(1) @Max(30)
  PAYMENT_WEBHOOK_ATTEMPTS: number = 8;

  @IsInt() @Min(100) @Max(600_000)
  PAYMENT_WEBHOOK_BACKOFF_MS: number = 1000;

  /** An enqueue slower than this fails the webhook delivery with a 503 (the provider redelivers). */
  @IsInt() @Min(100) @Max(30_000)
  PAYMENT_WEBHOOK_ENQUEUE_TIMEOUT_MS: number = 3000;
}

/** Whether the sandbox provider is on: SANDBOX_ENABLED, or by default everywhere but production. */
export function sandboxEnabled(c: Pick<PaymentProviderConfig, 'SANDBOX_ENABLED' | 'NODE_ENV'>): boolean {
  return c.SANDBOX_ENABLED ?? c.NODE_ENV !== 'production';
}

