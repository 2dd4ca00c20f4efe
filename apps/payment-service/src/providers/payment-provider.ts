import type { IncomingHttpHeaders } from 'node:http';

/** The providers Tally can pay through. `sandbox` is for development: it moves no money. */
export const PROVIDER_NAMES = ['stripe', 'sandbox'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value);
}

/** What a provider says of a payment, in our words (payments.status). */
export type ProviderPaymentStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled' | 'refunded';

export interface CreatePaymentInput {
  /** Our payment's id: the provider's idempotency key and its metadata, so a retried create never charges twice. */
  paymentId: string;
  settlementId: string;
  /** In the currency's ISO 4217 minor units (`12.50 EUR` → 1250n); each adapter converts to its provider's units. */
  amountMinor: bigint;
  /** ISO 4217, upper case. */
  currency: string;
  /** The payer's payment method as the provider knows it (`pm_...` at Stripe), and its customer when it has one. */
  method: { id: string; methodType: string; externalId: string | null; customerRef: string | null };
  idempotencyKey: string;
}

export interface CreatedPayment {
  /** The provider's id of the payment (Stripe's PaymentIntent id). */
  externalId: string;
  status: ProviderPaymentStatus;
  /** The provider's fee, a decimal string in the payment's currency, when it already says. */
  fee?: string;
  errorCode?: string | null;
  errorMessage?: string | null;
}

/** One provider event, verified and read into our words. */
export interface ProviderWebhookEvent {
  /** The provider's event id: `payment_webhooks.event_id`, unique, so a redelivery is stored once. */
  eventId: string;
  /** The provider's event type, as it names it (`payment_intent.succeeded`). */
  type: string;
  /** What the event says of the payment; null for a type Tally does not act on (stored as `ignored`). */
  status: ProviderPaymentStatus | null;
  /** The provider's id of the payment. */
  externalId: string | null;
  /** Our payment id, when the provider echoes it (metadata). */
  paymentId: string | null;
  /** The provider's fee as a decimal string, with the currency it is in. */
  fee: { amount: string; currency: string } | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** When the provider says it happened. */
  occurredAt: Date;
}

export type WebhookRejection = 'missing_signature' | 'bad_signature' | 'stale' | 'malformed';

/** A webhook that is not provably from the provider (or not readable): refused with a 400, nothing stored. */
export class WebhookVerificationError extends Error {
  constructor(readonly reason: WebhookRejection, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/** The provider cannot be reached or failed (network, 5xx, rate limit, our credentials): try again later. */
export class ProviderUnavailableError extends Error {
  constructor(readonly provider: string, message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'ProviderUnavailableError';
  }
}

/** The provider refused this payment (a card declined, a payment method it cannot use). */
export class ProviderDeclinedError extends Error {
  constructor(readonly provider: string, readonly declineCode: string, message: string) {
    super(message);
    this.name = 'ProviderDeclinedError';
  }
}

/** The amount cannot be expressed exactly in the provider's units (a 3-decimal amount at Stripe, say). */
export class ProviderAmountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderAmountError';
  }
}

/** How Tally pays through one provider and reads what it sends back. */
export interface PaymentProvider {
  readonly name: ProviderName;
  /** Creates (and confirms) the payment at the provider. Idempotent by `input.idempotencyKey`. */
  createPayment(input: CreatePaymentInput): Promise<CreatedPayment>;
  /**
   * Verifies a webhook's signature over the raw body (a timestamp older than 300 s is refused) and
   * reads it. Throws `WebhookVerificationError` for anything not provably from the provider.
   */
  parseWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): ProviderWebhookEvent;
}

/** The signature tolerance for every provider, seconds (Stripe's default). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** The enabled providers, by name. */
export class PaymentProviders {
  private readonly byName: ReadonlyMap<string, PaymentProvider>;

  constructor(providers: readonly PaymentProvider[], readonly defaultName: ProviderName) {
    this.byName = new Map(providers.map((p) => [p.name, p]));
  }

  /** The provider, when it is enabled here. */
  get(name: string): PaymentProvider | undefined {
    return this.byName.get(name);
  }

  get names(): ProviderName[] {
    return [...this.byName.keys()] as ProviderName[];
  }
}

/** A header's single value (Node gives arrays for repeated ones, which a signature header never is). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? undefined : v;
}
