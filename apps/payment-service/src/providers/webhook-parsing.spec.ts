import { createHmac } from 'node:crypto';
import pino from 'pino';
import { WebhookVerificationError } from './payment-provider';
import { SandboxProvider } from './sandbox.provider';
import { StripeProvider } from './stripe.provider';
import { interpretStripeEvent } from './stripe-events';

const secret = 'whsec_unit_test_secret_0123456789';
const stripe = new StripeProvider({ secretKey: 'sk_test_unit', webhookSecret: secret });
const sign = (body: string, t = Math.floor(Date.now() / 1000), s = secret) =>
  `t=${t},v1=${createHmac('sha256', s).update(`${t}.${body}`).digest('hex')}`;
const paymentId = '0b6f5d0e-6a8e-4f3e-9a43-3b2a0c1d9e11';
const pi = (extra: Record<string, unknown> = {}) => ({ id: 'pi_123', object: 'payment_intent', amount: 1250, currency: 'eur', metadata: { paymentId }, ...extra });
const event = (type: string, object: Record<string, unknown>) => ({ id: `evt_${type.replace(/\W/g, '')}`, object: 'event', created: 1_800_000_000, type, data: { object } });

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof WebhookVerificationError) return e.reason;
    throw e;
  }
  return 'accepted';
}

describe('Stripe webhooks', () => {
  const body = JSON.stringify(event('payment_intent.succeeded', pi({ status: 'succeeded' })));

  it('accepts a body signed with the endpoint secret and reads it', () => {
    const e = stripe.parseWebhook(Buffer.from(body), { 'stripe-signature': sign(body) });
    expect(e).toMatchObject({ eventId: 'evt_payment_intentsucceeded', type: 'payment_intent.succeeded', status: 'completed', externalId: 'pi_123', paymentId, fee: null });
  });

  it('refuses a missing header, a forged or re-signed body, a stale or far-future timestamp and a changed byte', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(reason(() => stripe.parseWebhook(Buffer.from(body), {}))).toBe('missing_signature');
    expect(reason(() => stripe.parseWebhook(Buffer.from(body), { 'stripe-signature': 't=1,v1=deadbeef' }))).toBe('bad_signature');
    expect(reason(() => stripe.parseWebhook(Buffer.from(body), { 'stripe-signature': sign(body, now, 'whsec_another_secret_000000') }))).toBe('bad_signature');
    expect(reason(() => stripe.parseWebhook(Buffer.from(body), { 'stripe-signature': sign(body, now - 301) }))).toBe('stale');
    expect(reason(() => stripe.parseWebhook(Buffer.from(body), { 'stripe-signature': sign(body, now + 301) }))).toBe('stale');
    expect(reason(() => stripe.parseWebhook(Buffer.from(body.replace('1250', '1251')), { 'stripe-signature': sign(body) }))).toBe('bad_signature');
    expect(reason(() => stripe.parseWebhook(Buffer.from(body), { 'stripe-signature': sign(body, now - 299) }))).toBe('accepted');
  });

  it('refuses a signed body that is not an event', () => {
    expect(reason(() => stripe.parseWebhook(Buffer.from('not json'), { 'stripe-signature': sign('not json') }))).toBe('malformed');
    expect(reason(() => stripe.parseWebhook(Buffer.from('{"type":"x"}'), { 'stripe-signature': sign('{"type":"x"}') }))).toBe('malformed');
  });
});

describe('interpretStripeEvent', () => {
  it('maps the payment_intent events and takes the fee from an expanded balance transaction (minor units → decimal)', () => {
    expect(interpretStripeEvent(event('payment_intent.processing', pi()))).toMatchObject({ status: 'processing', externalId: 'pi_123', paymentId });
    const withFee = pi({ latest_charge: { id: 'ch_1', balance_transaction: { id: 'txn_1', fee: 66, currency: 'eur' } } });
    expect(interpretStripeEvent(event('payment_intent.succeeded', withFee)).fee).toEqual({ amount: '0.66', currency: 'EUR' });
    const yen = pi({ currency: 'jpy', latest_charge: { id: 'ch_1', balance_transaction: { fee: 45, currency: 'jpy' } } });
    expect(interpretStripeEvent(event('payment_intent.succeeded', yen)).fee).toEqual({ amount: '45', currency: 'JPY' });
    expect(interpretStripeEvent(event('payment_intent.succeeded', pi({ latest_charge: 'ch_1' }))).fee).toBeNull();
    expect(interpretStripeEvent(event('payment_intent.payment_failed', pi({ last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds', message: 'No funds.' } }))))
      .toMatchObject({ status: 'failed', errorCode: 'insufficient_funds', errorMessage: 'No funds.' });
    expect(interpretStripeEvent(event('payment_intent.canceled', pi({ cancellation_reason: 'abandoned' })))).toMatchObject({ status: 'cancelled', errorCode: 'abandoned' });
  });

  it('a full refund is refunded; a partial one and other types are not acted on', () => {
    const charge = (refunded: boolean) => ({ id: 'ch_1', object: 'charge', payment_intent: 'pi_123', refunded, amount: 1250, amount_refunded: refunded ? 1250 : 100, metadata: {} });
    expect(interpretStripeEvent(event('charge.refunded', charge(true)))).toMatchObject({ status: 'refunded', externalId: 'pi_123' });
    expect(interpretStripeEvent(event('charge.refunded', charge(false)))).toMatchObject({ status: null, externalId: 'pi_123' });
    expect(interpretStripeEvent(event('payment_intent.created', pi()))).toMatchObject({ status: null, externalId: 'pi_123' });
    expect(interpretStripeEvent(event('customer.created', { id: 'cus_1' }))).toMatchObject({ status: null, externalId: null });
  });

  it('ignores a metadata paymentId that is not a UUID', () => {
    expect(interpretStripeEvent(event('payment_intent.processing', pi({ metadata: { paymentId: "1' OR 1=1" } }))).paymentId).toBeNull();
  });
});

describe('sandbox webhooks', () => {
  const sandbox = new SandboxProvider({ webhookSecret: secret, webhookUrl: 'http://127.0.0.1:1/none', settleMs: 1000, logger: pino({ level: 'silent' }) });
  afterAll(() => sandbox.close());
  const body = JSON.stringify({ id: 'evt_sb_abc_completed', type: 'payment.completed', created: 1_800_000_000, data: { paymentId, externalId: 'sb_abc' } });

  it('verifies Sandbox-Signature like Stripe-Signature', () => {
    expect(sandbox.parseWebhook(Buffer.from(body), { 'sandbox-signature': sign(body) })).toMatchObject({ status: 'completed', paymentId, externalId: 'sb_abc' });
    expect(reason(() => sandbox.parseWebhook(Buffer.from(body), { 'stripe-signature': sign(body) }))).toBe('missing_signature');
    expect(reason(() => sandbox.parseWebhook(Buffer.from(body), { 'sandbox-signature': sign(body, Math.floor(Date.now() / 1000) - 400) }))).toBe('stale');
  });
});
