import { IsInt, IsNotEmpty, Matches, Max, Min } from 'class-validator';
import { PaymentProviderConfig } from './payment-provider.config';

/** 32 bytes, base64 (`openssl rand -base64 32`). */
export const SECRETS_KEY_PATTERN = /^[A-Za-z0-9+/]{43}=$/;

/** The `payment-service` API process (its provider and webhook settings: PaymentProviderConfig). */
export class PaymentServiceConfig extends PaymentProviderConfig {
  override PORT: number = 3004;

  /**
   * Seals payment-method details at rest (AES-256-GCM, SecretBox). Required: account numbers are
   * never stored in clear, in development either (tools/start.sh makes one per machine).
   */
  @IsNotEmpty({ message: 'SECRETS_KEY is required: payment-method details are sealed with it' })
  @Matches(SECRETS_KEY_PATTERN, { message: 'SECRETS_KEY must be 32 bytes, base64-encoded' })
  SECRETS_KEY!: string;

  /** How often expired Idempotency-Key rows (older than 24 h) are deleted, in bounded batches. */
  @IsInt() @Min(10) @Max(86_400)
  IDEMPOTENCY_PRUNE_EVERY_SECONDS: number = 600;
}
