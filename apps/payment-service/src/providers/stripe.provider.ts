import type { IncomingHttpHeaders } from 'node:http';
import Stripe from 'stripe';
import { toStripeAmount } from './provider-amounts';
import {
  CreatePaymentInput, CreatedPayment, PaymentProvider, ProviderAmountError, ProviderDeclinedError, ProviderUnavailableError, ProviderWebhookEvent,
  WEBHOOK_TOLERANCE_SECONDS, WebhookVerificationError, headerValue,
} from './payment-provider';
import { interpretStripeEvent, paymentIntentStatus } from './stripe-events';
import { precheckSignatureHeader, verificationFailure } from './webhook-signature';

export interface StripeProviderOptions {
  secretKey: string;
  webhookSecret: string;
  /** Where Stripe's API is: https://api.stripe.com by default; tests point it at a local server. */
  apiBase?: string;
  /** Per request, milliseconds. A payment's transaction waits for it, so far below Stripe's 80 s default. */
  timeoutMs?: number;
  maxNetworkRetries?: number;
}

/** host/port/protocol of the SDK's config from a base URL such as http://127.0.0.1:12111. */
export function stripeEndpoint(apiBase: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!apiBase) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? '80' : '443'), protocol };
}

/**
 * Payments through Stripe's PaymentIntents with the official SDK: created and confirmed in one call
 * with our payment id as Stripe's idempotency key (a retried create never charges twice) and in its
 * metadata; webhooks verified with `stripe.webhooks.constructEvent` (300 s tolerance).
 */
export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe' as const;
  private readonly stripe: Stripe;

  constructor(private readonly opts: StripeProviderOptions) {
    this.stripe = new Stripe(opts.secretKey, {
      ...stripeEndpoint(opts.apiBase),
      maxNetworkRetries: opts.maxNetworkRetries ?? 2,
      timeout: opts.timeoutMs ?? 10_000,
      telemetry: false,
    });
  }

  async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
    if (!input.method.externalId) {
      throw new ProviderDeclinedError(this.name, 'payment_method_missing', 'This payment method is not registered with Stripe.');
    }
    const amount = toStripeAmount(input.amountMinor, input.currency);
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.stripe.paymentIntents.create(
        {
          amount,
          currency: input.currency.toLowerCase(),
          confirm: true,
          payment_method: input.method.externalId,
          ...(input.method.customerRef ? { customer: input.method.customerRef } : {}),
          // Confirmed server-side: nothing can follow a redirect.
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          metadata: { paymentId: input.paymentId, settlementId: input.settlementId },
        },
        { idempotencyKey: input.idempotencyKey },
      );
    } catch (err) {
      throw this.translate(err);
    }
    const status = paymentIntentStatus(intent.status);
    const error = intent.last_payment_error;
    return {
      externalId: intent.id,
      status,
      ...(status === 'failed' ? { errorCode: (error?.decline_code ?? error?.code ?? 'payment_failed').slice(0, 100), errorMessage: error?.message ?? null } : {}),
    };
  }

  parseWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): ProviderWebhookEvent {
    const header = precheckSignatureHeader(headerValue(headers, 'stripe-signature'), 'Stripe-Signature');
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, header, this.opts.webhookSecret, WEBHOOK_TOLERANCE_SECONDS);
    } catch (err) {
      throw verificationFailure(err, 'Stripe-Signature');
    }
    if (!event || typeof event !== 'object' || Array.isArray(event)) throw new WebhookVerificationError('malformed', 'The webhook body is not a JSON object.');
    return interpretStripeEvent(event as unknown as Record<string, unknown>);
  }

  /** The SDK's errors in our words: a decline is the payer's to fix; anything else is the provider's (or ours) and retryable. */
  private translate(err: unknown): Error {
    if (err instanceof Stripe.errors.StripeCardError) {
      return new ProviderDeclinedError(this.name, (err.decline_code ?? err.code ?? 'card_declined').slice(0, 100), err.message);
    }
    if (err instanceof Stripe.errors.StripeInvalidRequestError) {
      if (err.code === 'amount_too_small' || err.code === 'amount_too_large') return new ProviderAmountError(err.message);
      if (err.code === 'resource_missing' || err.param === 'payment_method' || err.param === 'customer') {
        return new ProviderDeclinedError(this.name, (err.code ?? 'payment_method_invalid').slice(0, 100), err.message);
      }
    }
    const e = err as { message?: string; statusCode?: number; type?: string };
    return new ProviderUnavailableError(this.name, `Stripe: ${e?.type ?? 'error'}${e?.statusCode ? ` ${e.statusCode}` : ''}: ${e?.message ?? String(err)}`, err);
  }
}
