import type { ProviderName, ProviderWebhookEvent } from './payment-provider';
import { interpretSandboxEvent } from './sandbox.provider';
import { interpretStripeEvent } from './stripe-events';

/**
 * How a stored (already verified) webhook body of each provider reads: payment-worker re-reads
 * `payment_webhooks.raw_payload` with these, so it needs no provider secrets.
 */
export const WEBHOOK_INTERPRETERS: Readonly<Record<ProviderName, (payload: Record<string, unknown>) => ProviderWebhookEvent>> = {
  stripe: interpretStripeEvent,
  sandbox: interpretSandboxEvent,
};
