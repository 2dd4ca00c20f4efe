import { fromStripeAmount } from './provider-amounts';
import { ProviderPaymentStatus, ProviderWebhookEvent, WebhookVerificationError } from './payment-provider';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const idOf = (v: unknown): string | null => str(v) ?? (isObj(v) ? str(v.id) : null);
const metadataPaymentId = (o: Obj): string | null => {
  const id = isObj(o.metadata) ? str(o.metadata.paymentId) : null;
  return id && UUID.test(id) ? id.toLowerCase() : null;
};

/** PaymentIntent statuses in our words (what `paymentIntents.create` answers). */
export function paymentIntentStatus(status: string): ProviderPaymentStatus {
  switch (status) {
    case 'succeeded':
      return 'completed';
    case 'processing':
    case 'requires_capture': // authorised; captured automatically (Tally never creates manual-capture intents)
      return 'processing';
    case 'requires_payment_method': // after a confirm: the attempt failed
      return 'failed';
    case 'canceled':
      return 'cancelled';
    default: // requires_action, requires_confirmation: waiting for the customer; a webhook says how it ends
      return 'pending';
  }
}

/**
 * The fee Stripe took, when the event carries the charge's balance transaction expanded
 * (`latest_charge.balance_transaction`); webhooks carry ids only, so usually null (recorded as 0).
 * In the balance transaction's currency (the account's settlement currency), in its minor units.
 */
function feeOf(pi: Obj): { amount: string; currency: string } | null {
  const charge = pi.latest_charge;
  if (!isObj(charge) || !isObj(charge.balance_transaction)) return null;
  const bt = charge.balance_transaction;
  if (typeof bt.fee !== 'number' || typeof bt.currency !== 'string') return null;
  const currency = bt.currency.toUpperCase();
  try {
    return { amount: fromStripeAmount(bt.fee, currency), currency };
  } catch {
    return null;
  }
}

/**
 * A verified Stripe event (`Stripe.Event` JSON) in our words. Acted on: payment_intent.processing,
 * .succeeded (with the fee when expanded), .payment_failed (last_payment_error's code and message),
 * .canceled, and charge.refunded when the charge is refunded in full. Every other type (and a partial
 * refund) has status null: stored and marked ignored.
 */
export function interpretStripeEvent(event: Obj): ProviderWebhookEvent {
  const eventId = str(event.id);
  const type = str(event.type);
  if (!eventId || eventId.length > 255 || !type || type.length > 100) throw new WebhookVerificationError('malformed', 'A Stripe event needs an id and a type.');
  const occurredAt = typeof event.created === 'number' && Number.isFinite(event.created) ? new Date(event.created * 1000) : new Date();
  const object = isObj(event.data) && isObj(event.data.object) ? event.data.object : null;
  const base: ProviderWebhookEvent = { eventId, type, status: null, externalId: null, paymentId: null, fee: null, errorCode: null, errorMessage: null, occurredAt };
  if (!object) return base;

  if (type.startsWith('payment_intent.')) {
    const externalId = str(object.id);
    const byType: Record<string, ProviderPaymentStatus> = {
      'payment_intent.processing': 'processing',
      'payment_intent.succeeded': 'completed',
      'payment_intent.payment_failed': 'failed',
      'payment_intent.canceled': 'cancelled',
    };
    const status = byType[type];
    if (!status) return { ...base, externalId, paymentId: metadataPaymentId(object) };
    if (!externalId) throw new WebhookVerificationError('malformed', `${type} without a PaymentIntent id.`);
    const error = isObj(object.last_payment_error) ? object.last_payment_error : null;
    return {
      ...base,
      status,
      externalId,
      paymentId: metadataPaymentId(object),
      fee: status === 'completed' ? feeOf(object) : null,
      errorCode: status === 'failed'
        ? (str(error?.decline_code) ?? str(error?.code) ?? 'payment_failed').slice(0, 100)
        : status === 'cancelled' ? (str(object.cancellation_reason) ?? 'canceled').slice(0, 100) : null,
      errorMessage: status === 'failed' ? (str(error?.message)?.slice(0, 1000) ?? null) : null,
    };
  }

  if (type === 'charge.refunded') {
    const externalId = idOf(object.payment_intent);
    // A partial refund leaves the payment completed: Tally's settlements are all or nothing.
    if (object.refunded !== true || !externalId) return { ...base, externalId };
    return { ...base, status: 'refunded', externalId, paymentId: metadataPaymentId(object) };
  }
  return base;
}
