/**
 * The Stripe adapter (the official SDK) against the local Stripe-like server over real HTTP: creating
 * and confirming a PaymentIntent, idempotent creates, declines, a provider that is down or gone, and
 * the verification of the webhooks the server signs as Stripe does.
 */
import { randomUUID } from 'node:crypto';
import { LocalStripeServer, StripeEventJson } from '@tally/testing';
import { ProviderAmountError, ProviderDeclinedError, ProviderUnavailableError, WebhookVerificationError } from './payment-provider';
import { minorUnits } from './provider-amounts';
import { StripeProvider } from './stripe.provider';

const API_KEY = 'sk_test_local_0123456789';
let server: LocalStripeServer;
let stripe: StripeProvider;

beforeAll(async () => {
  server = await LocalStripeServer.start({ apiKey: API_KEY });
  server.autoDeliver = false;
  stripe = new StripeProvider({ secretKey: API_KEY, webhookSecret: server.webhookSecret, apiBase: server.url, timeoutMs: 5000 });
});
afterAll(() => server.close());
beforeEach(() => {
  server.nextIntent = 'succeed';
  server.down = false;
});

const input = (amount = '12.50', currency = 'EUR') => {
  const paymentId = randomUUID();
  return {
    paymentId, settlementId: randomUUID(), amountMinor: minorUnits(amount, currency), currency, idempotencyKey: paymentId,
    method: { id: randomUUID(), methodType: 'card', externalId: 'pm_card_visa', customerRef: 'cus_123' },
  };
};

const reason = (fn: () => unknown): string => {
  try {
    fn();
    return 'accepted';
  } catch (e) {
    if (e instanceof WebhookVerificationError) return e.reason;
    throw e;
  }
};

describe('StripeProvider.createPayment', () => {
  it('creates and confirms a PaymentIntent in minor units with our payment id as idempotency key and metadata', async () => {
    const i = input('12.50', 'EUR');
    const created = await stripe.createPayment(i);
    expect(created).toMatchObject({ externalId: expect.stringMatching(/^pi_/), status: 'processing' });
    const pi = server.intents.get(created.externalId)!;
    expect(pi).toMatchObject({ amount: 1250, currency: 'eur', payment_method: 'pm_card_visa', customer: 'cus_123', metadata: { paymentId: i.paymentId, settlementId: i.settlementId } });
    const req = server.requests.filter((r) => r.path === '/v1/payment_intents').at(-1)!;
    expect(req).toMatchObject({ method: 'POST', idempotencyKey: i.paymentId, params: { confirm: 'true', amount: '1250' } });
  });

  it('answers the same intent for the same idempotency key: a retried create never charges twice', async () => {
    const i = input('1200', 'JPY');
    const before = server.intents.size;
    const [a, b] = await Promise.all([stripe.createPayment(i), stripe.createPayment(i)]);
    const c = await stripe.createPayment(i);
    expect(new Set([a.externalId, b.externalId, c.externalId]).size).toBe(1);
    expect(server.intents.size).toBe(before + 1);
    expect(server.intents.get(a.externalId)).toMatchObject({ amount: 1200, currency: 'jpy' });
  });

  it('maps a synchronous success, a decline and an amount Stripe cannot take', async () => {
    server.nextIntent = 'succeed-now';
    expect(await stripe.createPayment(input())).toMatchObject({ status: 'completed' });
    server.nextIntent = 'decline';
    await expect(stripe.createPayment(input())).rejects.toMatchObject({ constructor: ProviderDeclinedError, declineCode: 'insufficient_funds' });
    const requests = server.requests.length;
    await expect(stripe.createPayment(input('5.124', 'KWD'))).rejects.toBeInstanceOf(ProviderAmountError);
    expect(server.requests.length).toBe(requests);
  });

  it('a provider answering 503 is retried twice by the SDK, then unavailable', async () => {
    server.down = true;
    const i = input();
    const before = server.requests.length;
    await expect(stripe.createPayment(i)).rejects.toBeInstanceOf(ProviderUnavailableError);
    const tries = server.requests.slice(before);
    expect(tries.length).toBe(3);
    expect(new Set(tries.map((r) => r.idempotencyKey))).toEqual(new Set([i.paymentId]));
  });

  it('a provider that refuses connections is unavailable', async () => {
    const gone = await LocalStripeServer.start();
    const url = gone.url;
    await gone.close();
    const offline = new StripeProvider({ secretKey: API_KEY, webhookSecret: 'whsec_x_0123456789', apiBase: url, timeoutMs: 2000, maxNetworkRetries: 0 });
    await expect(offline.createPayment(input())).rejects.toBeInstanceOf(ProviderUnavailableError);
  });
});

describe('StripeProvider.parseWebhook on the events the server signed', () => {
  let event: StripeEventJson;
  let body: string;

  beforeAll(async () => {
    const created = await stripe.createPayment(input());
    server.succeed(created.externalId);
    event = server.eventsFor(created.externalId).find((e) => e.type === 'payment_intent.succeeded')!;
    body = JSON.stringify(event);
  });

  it('accepts the genuine one', () => {
    const e = stripe.parseWebhook(Buffer.from(body), { 'stripe-signature': server.sign(body) });
    expect(e).toMatchObject({ eventId: event.id, type: 'payment_intent.succeeded', status: 'completed', externalId: event.data.object.id });
  });

  it('refuses a forged, a stale (> 5 min), a re-signed with another secret and an altered one', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(reason(() => stripe.parseWebhook(Buffer.from(body), { 'stripe-signature': `t=${now},v1=${'0'.repeat(64)}` }))).toBe('bad_signature');
    expect(reason(() => stripe.parseWebhook(Buffer.from(body), { 'stripe-signature': server.sign(body, { timestamp: now - 301 }) }))).toBe('stale');
    expect(reason(() => stripe.parseWebhook(Buffer.from(body), { 'stripe-signature': server.sign(body, { secret: 'whsec_someone_else_0123456789' }) }))).toBe('bad_signature');
    const altered = body.replace('"succeeded"', '"canceled"');
    expect(reason(() => stripe.parseWebhook(Buffer.from(altered), { 'stripe-signature': server.sign(body) }))).toBe('bad_signature');
    expect(reason(() => stripe.parseWebhook(Buffer.from(body), {}))).toBe('missing_signature');
  });
});
