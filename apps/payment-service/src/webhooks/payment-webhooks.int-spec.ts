/**
 * Payments and provider webhooks end to end, in process but over real HTTP: payment-service's whole
 * Nest app (PostgreSQL, Redis, Kafka), payment-worker (BullMQ), and the local Stripe-like server
 * posting signed webhooks to /webhooks/stripe. Asserted on what the API answers and what the
 * database and the outbox hold.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { currencyId } from '@tally/contracts';
import { IdentityProjectionRepository } from '@tally/identity';
import { inTransaction } from '@tally/persistence';
import { RunningWorker, ServiceRuntime, bootstrapHttpService, startWorker } from '@tally/service-kit';
import { LocalStripeServer, TestAccessTokens, createTestDatabase, dropTestDatabase, expectEventually, freePort, infraFromEnv } from '@tally/testing';
import { AppModule } from '../app.module';
import type { PaymentServiceConfig } from '../config/payment.config';
import type { PaymentWorkerConfig } from '../config/payment-worker.config';
import { createRuntime } from '../runtime';
import { paymentWorkerOptions } from '../worker-options';

const infra = infraFromEnv();
const run = randomBytes(4).toString('hex');
const dbName = `it_payment_webhooks_${run}`;
const API_KEY = `sk_test_${run}_0123456789`;
const topicPrefix = `it-pw-${run}.`;
const tokens = new TestAccessTokens(`k-${run}`);

let stripe: LocalStripeServer;
let runtime: ServiceRuntime<PaymentServiceConfig>;
let app: NestFastifyApplication;
let worker: RunningWorker<PaymentWorkerConfig>;
let pool: Pool;
let base: string;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase(infra.databaseUrl, dbName);
  stripe = await LocalStripeServer.start({ apiKey: API_KEY, eventGapMs: 20 });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  stripe.webhookUrl = `${base}/webhooks/stripe`;
  const env: Record<string, string> = {
    NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '6',
    KAFKA_BROKERS: infra.kafkaBrokers, KAFKA_TOPIC_PREFIX: topicPrefix, KAFKA_SESSION_TIMEOUT_MS: '10000', OUTBOX_POLL_INTERVAL_MS: '500',
    REDIS_URL: infra.redisUrl, QUEUE_PREFIX: `it-pw-${run}`, SECRETS_KEY: randomBytes(32).toString('base64'),
    STRIPE_SECRET_KEY: API_KEY, STRIPE_WEBHOOK_SECRET: stripe.webhookSecret, STRIPE_API_BASE: stripe.url, STRIPE_TIMEOUT_MS: '3000',
    PAYMENT_PROVIDER_DEFAULT: 'stripe', SANDBOX_WEBHOOK_URL: `${base}/webhooks/sandbox`, SANDBOX_SETTLE_MS: '100',
    // three attempts, 1 s then 2 s apart: long enough to watch a retry, short enough to exhaust them
    PAYMENT_WEBHOOK_ATTEMPTS: '3', PAYMENT_WEBHOOK_BACKOFF_MS: '1000',
  };
  runtime = await createRuntime(env);
  app = await bootstrapHttpService(runtime, AppModule.forRoot(runtime), { port, host: '127.0.0.1', rawBody: true });
  worker = await startWorker(paymentWorkerOptions, { ...env, PORT: String(await freePort()), WORKER_CONCURRENCY: '5' });
  pool = new Pool({ connectionString: databaseUrl, max: 3 });
  await inTransaction(runtime.orm, (em) => new IdentityProjectionRepository({}).upsertSigningKey(em, tokens.announcement(), new Date().toISOString()));
});

afterAll(async () => {
  await worker?.stop();
  await app?.close();
  await runtime?.shutdown();
  await stripe?.close();
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
  const admin = new Kafka({ clientId: `it-pw-${run}`, brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (mine.length) await admin.deleteTopics({ topics: mine, timeout: 10000 });
  } catch {
    // leftover topics of a test run are harmless
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
});

beforeEach(() => {
  stripe.nextIntent = 'succeed';
  stripe.autoDeliver = true;
  stripe.down = false;
});

// ---- factories and helpers ---------------------------------------------------------------------

function token(userId: string, role: 'user' | 'admin' = 'user'): string {
  return tokens.sign(userId, { role });
}

async function call(method: string, path: string, opts: { user?: string; admin?: boolean; body?: unknown; key?: string; headers?: Record<string, string>; raw?: string } = {}) {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.user) headers.authorization = `Bearer ${token(opts.user, opts.admin ? 'admin' : 'user')}`;
  if (opts.key) headers['idempotency-key'] = opts.key;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** A pending settlement: `payer` pays `payee` (friends, outside groups), as settlement-service would have stored it. */
async function settlement(amount = '12.50', currency = 'EUR') {
  const payer = randomUUID();
  const payee = randomUUID();
  const id = randomUUID();
  await pool.query(
    `INSERT INTO settlements (id, payer_id, payee_id, amount, currency_id, currency, method, status, created_by_id) VALUES ($1, $2, $3, $4, $5, $6, 'automatic', 'pending', $2)`,
    [id, payer, payee, amount, currencyId(currency), currency],
  );
  return { id, payer, payee };
}

/** A payer's card registered with Stripe (as a provider's confirmation leaves it), or another type without a provider id. */
async function method(userId: string, opts: { type?: string; externalId?: string | null; provider?: string | null } = {}) {
  const id = randomUUID();
  const externalId = opts.externalId === undefined ? `pm_${randomBytes(8).toString('hex')}` : opts.externalId;
  await pool.query(
    `INSERT INTO payment_methods (id, user_id, method_type, name, details, provider, external_id, is_active) VALUES ($1, $2, $3, 'Card', '{}'::jsonb, $4, $5, TRUE)`,
    [id, userId, opts.type ?? 'card', opts.provider === undefined ? (externalId ? 'stripe' : null) : opts.provider, externalId],
  );
  return id;
}

const pay = (s: { id: string; payer: string }, methodId: string, opts: { provider?: string; key?: string } = {}) =>
  call('POST', '/api/v1/payments', { user: s.payer, key: opts.key ?? randomUUID(), body: { settlementId: s.id, paymentMethodId: methodId, ...(opts.provider ? { provider: opts.provider } : {}) } });

const q = async (sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows;
const paymentRow = async (id: string) => (await q(`SELECT * FROM payments WHERE id = $1`, [id]))[0];
const outboxTypes = async (key: string) => (await q(`SELECT type FROM outbox WHERE key = $1 ORDER BY seq`, [key])).map((r) => r.type as string);
const webhooksFor = async (eventId: string) => q(`SELECT * FROM payment_webhooks WHERE event_id = $1`, [eventId]);

async function paidAndProcessing(s: { id: string; payer: string }) {
  const res = await pay(s, await method(s.payer));
  expect(res.status).toBe(201);
  return res.body as { id: string; externalTransactionId: string; status: string };
}

// ---- the tests -----------------------------------------------------------------------------------

describe('POST /api/v1/payments', () => {
  it('pays a settlement through Stripe: processing at once, completed by the webhooks, the settlement completed, the method verified', async () => {
    const s = await settlement('12.50', 'EUR');
    const m = await method(s.payer);
    const res = await pay(s, m);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ settlementId: s.id, amount: '12.50', currency: 'EUR', status: 'processing', provider: 'stripe', paymentMethodId: m, processingFee: '0.00' });
    expect(stripe.intents.get(res.body.externalTransactionId)).toMatchObject({ amount: 1250, currency: 'eur', metadata: { paymentId: res.body.id, settlementId: s.id } });

    await expectEventually(async () => expect((await paymentRow(res.body.id)).status).toBe('completed'), { what: 'payment completed' });
    expect((await q(`SELECT status, completed_at FROM settlements WHERE id = $1`, [s.id]))[0]).toMatchObject({ status: 'completed', completed_at: expect.any(Date) });
    expect(await outboxTypes(res.body.id)).toEqual(['payment.created', 'payment.processing', 'payment.completed']);
    expect(await outboxTypes(s.id)).toEqual(['settlement.completed']);
    expect((await q(`SELECT is_verified FROM payment_methods WHERE id = $1`, [m]))[0].is_verified).toBe(true);
    // payment_intent.created is stored, not acted on
    const created = stripe.eventsFor(res.body.externalTransactionId).find((e) => e.type === 'payment_intent.created')!;
    await expectEventually(async () => expect((await webhooksFor(created.id))[0]).toMatchObject({ status: 'ignored' }));

    const seen = await call('GET', `/api/v1/payments/${res.body.id}`, { user: s.payee });
    expect(seen).toMatchObject({ status: 200, body: { id: res.body.id, status: 'completed', processedAt: expect.any(String) } });
    expect((await call('GET', `/api/v1/payments/${res.body.id}`, { user: randomUUID() })).status).toBe(404);
    const list = await call('GET', `/api/v1/payments?settlementId=${s.id}`, { user: s.payer });
    expect(list.body).toMatchObject({ items: [{ id: res.body.id }], nextCursor: null });
    expect((await call('GET', `/api/v1/payments?settlementId=${s.id}`, { user: randomUUID() })).status).toBe(404);
  });

  it('pays with a stripe method added through the API: the pm_ and cus_ ids of its sealed details', async () => {
    stripe.nextIntent = 'hold';
    const s = await settlement();
    const added = await call('POST', '/api/v1/payment-methods', {
      user: s.payer, body: { methodType: 'stripe', name: 'Visa via Stripe', details: { payment_method_id: 'pm_card_visa', customer_id: 'cus_test123', last4: '4242' } },
    });
    expect(added.status).toBe(201);
    const res = await pay(s, added.body.id);
    expect(res.status).toBe(201);
    expect(stripe.intents.get(res.body.externalTransactionId)).toMatchObject({ payment_method: 'pm_card_visa', customer: 'cus_test123' });
    stripe.succeed(res.body.externalTransactionId);
    await expectEventually(async () => expect((await paymentRow(res.body.id)).status).toBe('completed'));
    expect((await q(`SELECT is_verified, provider, external_id FROM payment_methods WHERE id = $1`, [added.body.id]))[0])
      .toEqual({ is_verified: true, provider: 'stripe', external_id: 'pm_card_visa' });
  });

  it('answers the same payment for the same Idempotency-Key, and refuses a second live payment (409)', async () => {
    stripe.nextIntent = 'hold';
    const s = await settlement();
    const m = await method(s.payer);
    const key = randomUUID();
    const first = await pay(s, m, { key });
    const again = await pay(s, m, { key });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const second = await pay(s, m);
    expect(second).toMatchObject({ status: 409, body: { code: 'PAYMENT_IN_PROGRESS' } });
    expect(await q(`SELECT id FROM payments WHERE settlement_id = $1`, [s.id])).toHaveLength(1);
  });

  it('leaves nothing when Stripe is down: 503 PROVIDER_UNAVAILABLE problem, no payment, and the same key works once it is back', async () => {
    const s = await settlement();
    const m = await method(s.payer);
    const key = randomUUID();
    stripe.down = true;
    const res = await pay(s, m, { key });
    expect(res.status).toBe(503);
    expect(res.type).toContain('application/problem+json');
    expect(res.body).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', status: 503 });
    expect(await q(`SELECT id FROM payments WHERE settlement_id = $1`, [s.id])).toEqual([]);
    expect(await q(`SELECT 1 FROM idempotency_keys WHERE user_id = $1`, [s.payer])).toEqual([]);
    expect(await outboxTypes(s.id)).toEqual([]);

    stripe.down = false;
    const retry = await pay(s, m, { key });
    expect(retry).toMatchObject({ status: 201, body: { status: 'processing' } });
  });

  it('a decline is a 402 PAYMENT_DECLINED, nothing stored; someone else\'s settlement is 404, the payee 403, a cash method 422', async () => {
    const s = await settlement();
    stripe.nextIntent = 'decline';
    const declined = await pay(s, await method(s.payer));
    expect(declined).toMatchObject({ status: 402, body: { code: 'PAYMENT_DECLINED', declineCode: 'insufficient_funds' } });
    expect(await q(`SELECT id FROM payments WHERE settlement_id = $1`, [s.id])).toEqual([]);
    stripe.nextIntent = 'succeed';
    const stranger = randomUUID();
    expect((await call('POST', '/api/v1/payments', { user: stranger, key: randomUUID(), body: { settlementId: s.id, paymentMethodId: await method(stranger) } })).status).toBe(404);
    expect((await call('POST', '/api/v1/payments', { user: s.payee, key: randomUUID(), body: { settlementId: s.id, paymentMethodId: await method(s.payee) } })).status).toBe(403);
    const cash = await pay(s, await method(s.payer, { type: 'cash', externalId: null }));
    expect(cash).toMatchObject({ status: 422, body: { code: 'PAYMENT_METHOD_NOT_SUPPORTED' } });
    expect((await pay(s, randomUUID())).body).toMatchObject({ code: 'PAYMENT_METHOD_NOT_USABLE' });
    expect((await call('POST', '/api/v1/payments', { user: s.payer, body: { settlementId: s.id, paymentMethodId: randomUUID() } })).status).toBe(400);
  });

  it('refuses a three-decimal amount Stripe cannot take exactly (422), and pays 5.120 KWD as 5120', async () => {
    const odd = await settlement('5.124', 'KWD');
    expect((await pay(odd, await method(odd.payer))).body).toMatchObject({ code: 'AMOUNT_NOT_SUPPORTED_BY_PROVIDER', status: 422 });
    const even = await settlement('5.120', 'KWD');
    const res = await pay(even, await method(even.payer));
    expect(res.body).toMatchObject({ amount: '5.120', currency: 'KWD' });
    expect(stripe.intents.get(res.body.externalTransactionId)).toMatchObject({ amount: 5120, currency: 'kwd' });
  });

  it('pays through the sandbox: its signed webhook completes the payment a moment later', async () => {
    const s = await settlement('1200', 'JPY');
    const res = await pay(s, await method(s.payer, { type: 'bank', externalId: null }), { provider: 'sandbox' });
    expect(res.body).toMatchObject({ status: 'processing', provider: 'sandbox', amount: '1200' });
    await expectEventually(async () => expect((await paymentRow(res.body.id)).status).toBe('completed'), { what: 'sandbox payment completed' });
    expect((await q(`SELECT status FROM settlements WHERE id = $1`, [s.id]))[0].status).toBe('completed');
  });
});

describe('POST /webhooks/:provider', () => {
  it('stores the same event delivered 5 times at once as one row and applies it once (one payment.completed)', async () => {
    stripe.nextIntent = 'hold';
    const s = await settlement();
    const p = await paidAndProcessing(s);
    stripe.autoDeliver = false;
    const succeeded = stripe.succeed(p.externalTransactionId);
    const deliveries = await Promise.all([1, 2, 3, 4, 5].map(() => stripe.deliver(succeeded.id)));
    expect(deliveries.map((d) => d.status)).toEqual([200, 200, 200, 200, 200]);
    const answers = deliveries.map((d) => JSON.parse(d.body));
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    expect(answers.filter((a) => a.duplicate === false)).toHaveLength(1);

    await expectEventually(async () => expect((await webhooksFor(succeeded.id))[0]).toMatchObject({ status: 'processed', payment_id: p.id }));
    expect(await webhooksFor(succeeded.id)).toHaveLength(1);
    expect((await paymentRow(p.id)).status).toBe('completed');
    expect((await outboxTypes(p.id)).filter((t) => t === 'payment.completed')).toHaveLength(1);
    expect(await outboxTypes(s.id)).toEqual(['settlement.completed']);
    // and once more, later: still nothing new
    expect((await stripe.deliver(succeeded.id)).status).toBe(200);
    expect((await outboxTypes(p.id)).filter((t) => t === 'payment.completed')).toHaveLength(1);
  });

  it('never moves a payment back: succeeded, then a late processing, leaves it completed (the late one ignored)', async () => {
    stripe.nextIntent = 'hold';
    stripe.autoDeliver = false;
    const s = await settlement();
    const p = await paidAndProcessing(s);
    const processing = stripe.eventsFor(p.externalTransactionId).find((e) => e.type === 'payment_intent.processing')!;
    const succeeded = stripe.succeed(p.externalTransactionId);
    expect((await stripe.deliver(succeeded.id)).status).toBe(200);
    await expectEventually(async () => expect((await paymentRow(p.id)).status).toBe('completed'));
    expect((await stripe.deliver(processing.id)).status).toBe(200);
    await expectEventually(async () => expect((await webhooksFor(processing.id))[0]).toMatchObject({ status: 'ignored', payment_id: p.id }));
    expect((await webhooksFor(processing.id))[0].processed_payload).toMatchObject({ reported: 'processing', from: 'completed', to: null });
    expect((await paymentRow(p.id)).status).toBe('completed');
    expect(await outboxTypes(p.id)).toEqual(['payment.created', 'payment.processing', 'payment.completed']);
  });

  it('a refund reverses the settlement; a failure leaves it pending and frees it for another payment', async () => {
    stripe.nextIntent = 'hold';
    const s = await settlement();
    const p = await paidAndProcessing(s);
    stripe.succeed(p.externalTransactionId);
    await expectEventually(async () => expect((await paymentRow(p.id)).status).toBe('completed'));
    stripe.refund(p.externalTransactionId);
    await expectEventually(async () => expect((await paymentRow(p.id)).status).toBe('refunded'));
    expect((await q(`SELECT status FROM settlements WHERE id = $1`, [s.id]))[0].status).toBe('refunded');
    expect(await outboxTypes(s.id)).toEqual(['settlement.completed', 'settlement.reversed']);

    stripe.nextIntent = 'fail';
    const t = await settlement();
    const failed = await paidAndProcessing(t);
    await expectEventually(async () => expect(await paymentRow(failed.id)).toMatchObject({ status: 'failed', error_code: 'insufficient_funds' }));
    expect((await q(`SELECT status FROM settlements WHERE id = $1`, [t.id]))[0].status).toBe('pending');
    stripe.nextIntent = 'hold';
    expect((await pay(t, await method(t.payer))).status).toBe(201);
  });

  it('refuses a forged, stale or otherwise-signed webhook with a 400 problem and stores nothing; an unknown provider is 404', async () => {
    const body = JSON.stringify({ id: `evt_${run}forged`, object: 'event', type: 'payment_intent.succeeded', created: Math.floor(Date.now() / 1000), data: { object: { id: 'pi_x', metadata: {} } } });
    const now = Math.floor(Date.now() / 1000);
    const post = (sig: string | undefined, path = '/webhooks/stripe') => call('POST', path, { raw: body, headers: sig ? { 'stripe-signature': sig } : {} });
    for (const [sig, reason] of [
      [`t=${now},v1=${'ab'.repeat(32)}`, 'bad_signature'],
      [stripe.sign(body, { timestamp: now - 301 }), 'stale'],
      [stripe.sign(body, { secret: 'whsec_not_the_endpoints_0123456789' }), 'bad_signature'],
      [undefined, 'missing_signature'],
    ] as const) {
      const res = await post(sig);
      expect({ reason, status: res.status, type: res.type, code: res.body.code, got: res.body.reason }).toEqual({
        reason, status: 400, type: expect.stringContaining('application/problem+json'), code: 'WEBHOOK_SIGNATURE_INVALID', got: reason,
      });
    }
    expect(await webhooksFor(`evt_${run}forged`)).toEqual([]);
    expect((await post(stripe.sign(body), '/webhooks/paypal')).status).toBe(404);
    expect((await post(stripe.sign(body), '/webhooks/Stripe')).status).toBe(404);
    // the genuine signature is accepted (and the event, about no payment of ours, waits for one)
    expect((await post(stripe.sign(body))).status).toBe(200);
  });

  it('is documented as public (no bearer) in the service\'s OpenAPI document, the admin routes as not', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    expect(doc.paths['/webhooks/{provider}'].post.security).toEqual([]);
    expect(doc.paths['/api/v1/payment-webhooks/{id}/replay'].post.security).not.toEqual([]);
    expect(doc.paths['/api/v1/payments'].post.security).not.toEqual([]);
  });

  it('a webhook that beats the payment\'s commit is retried, then applied once the payment exists', async () => {
    stripe.autoDeliver = false;
    // The provider knows the intent; our row is not committed yet (the create's transaction still open).
    const s = await settlement();
    const m = await method(s.payer);
    const paymentId = randomUUID();
    const { StripeProvider } = await import('../providers/stripe.provider');
    const direct = new StripeProvider({ secretKey: API_KEY, webhookSecret: stripe.webhookSecret, apiBase: stripe.url });
    stripe.nextIntent = 'hold';
    const created = await direct.createPayment({
      paymentId, settlementId: s.id, amountMinor: 1250n, currency: 'EUR', idempotencyKey: paymentId, method: { id: m, methodType: 'card', externalId: 'pm_x', customerRef: null },
    });
    const succeeded = stripe.succeed(created.externalId);
    expect((await stripe.deliver(succeeded.id)).status).toBe(200);
    await expectEventually(async () => expect((await webhooksFor(succeeded.id))[0]).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/no stripe payment/) }), { intervalMs: 50 });
    expect((await webhooksFor(succeeded.id))[0].retry_count).toBeGreaterThanOrEqual(1);

    await pool.query(
      `INSERT INTO payments (id, settlement_id, amount, currency_id, currency, payment_method_id, status, external_transaction_id, payment_service, created_by_id)
       SELECT $1, id, amount, currency_id, currency, $2, 'processing', $3, 'stripe', payer_id FROM settlements WHERE id = $4`,
      [paymentId, m, created.externalId, s.id],
    );
    await expectEventually(async () => expect((await webhooksFor(succeeded.id))[0]).toMatchObject({ status: 'processed', payment_id: paymentId, error_message: null }));
    expect((await paymentRow(paymentId)).status).toBe('completed');
    expect((await q(`SELECT status FROM settlements WHERE id = $1`, [s.id]))[0].status).toBe('completed');
  });
});

describe('/api/v1/payment-webhooks (admins)', () => {
  it('lists failed webhooks and replays one once its cause is fixed; other users are refused', async () => {
    stripe.autoDeliver = false;
    const s = await settlement();
    const m = await method(s.payer);
    const paymentId = randomUUID();
    const pi = `pi_${run}replay`;
    const event = { id: `evt_${run}replay`, object: 'event', type: 'payment_intent.succeeded', created: Math.floor(Date.now() / 1000), data: { object: { id: pi, object: 'payment_intent', metadata: { paymentId } } } };
    expect((await stripe.resend(event)).status).toBe(200);
    // three attempts (1 s, 2 s apart), all failing: the payment does not exist
    await expectEventually(async () => expect((await webhooksFor(event.id))[0]).toMatchObject({ status: 'failed', retry_count: 3 }), { timeoutMs: 20000 });
    const [row] = await webhooksFor(event.id);

    const admin = randomUUID();
    const failed = await call('GET', '/api/v1/payment-webhooks?status=failed&provider=stripe&limit=100', { user: admin, admin: true });
    expect(failed.status).toBe(200);
    expect(failed.body.items.map((w: { id: string }) => w.id)).toContain(row.id);
    expect((await call('GET', '/api/v1/payment-webhooks?status=failed', { user: s.payer })).body).toMatchObject({ status: 403, code: 'ADMIN_REQUIRED' });
    expect((await call('POST', `/api/v1/payment-webhooks/${row.id}/replay`, { user: s.payer })).status).toBe(403);
    const one = await call('GET', `/api/v1/payment-webhooks/${row.id}`, { user: admin, admin: true });
    expect(one.body).toMatchObject({ id: row.id, eventType: 'payment_intent.succeeded', status: 'failed', rawPayload: { id: event.id }, errorMessage: expect.stringMatching(/no stripe payment/) });

    await pool.query(
      `INSERT INTO payments (id, settlement_id, amount, currency_id, currency, payment_method_id, status, external_transaction_id, payment_service, created_by_id)
       SELECT $1, id, amount, currency_id, currency, $2, 'processing', $3, 'stripe', payer_id FROM settlements WHERE id = $4`,
      [paymentId, m, pi, s.id],
    );
    const replay = await call('POST', `/api/v1/payment-webhooks/${row.id}/replay`, { user: admin, admin: true });
    expect(replay).toMatchObject({ status: 202, body: { id: row.id, status: 'received' } });
    await expectEventually(async () => expect((await webhooksFor(event.id))[0]).toMatchObject({ status: 'processed', payment_id: paymentId }));
    expect((await paymentRow(paymentId)).status).toBe('completed');
    expect((await call('POST', `/api/v1/payment-webhooks/${row.id}/replay`, { user: admin, admin: true })).body).toMatchObject({ status: 409, code: 'WEBHOOK_NOT_REPLAYABLE' });
    expect((await call('POST', `/api/v1/payment-webhooks/${randomUUID()}/replay`, { user: admin, admin: true })).status).toBe(404);
  });
});
