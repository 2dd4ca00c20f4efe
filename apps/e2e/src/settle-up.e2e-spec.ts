import { randomUUID } from 'node:crypto';
import { LocalStripeServer, SmtpCatcher, TallySystem, expectEventually } from '@tally/testing';
import { ApiResponse, call, expectProblem, query, signUpVerified, startSystem } from './support';

interface Person {
  id: string;
  token: string;
  username: string;
}

const G = '/api/v1/groups';
const E = '/api/v1/expenses';
const B = '/api/v1/balances';
const S = '/api/v1/settlements';
const PM = '/api/v1/payment-methods';
const PAY = '/api/v1/payments';

/**
 * Settling up through the gateway: three people settle a group in two currencies with the suggested
 * transfers — by hand with both confirmations, through the local Stripe-like provider (signed
 * webhooks posted to the gateway, exactly as Stripe does) and through the sandbox provider — until
 * every balance is exactly zero and every share is settled. Then the attacks (forged, stale, replayed
 * and re-signed webhooks, five concurrent deliveries, one Idempotency-Key with two bodies, someone
 * else's settlement) and the faults (the provider down; payment-service killed between the provider's
 * acceptance and its webhook), each changing nothing it should not.
 */
describe('settling up through the gateway', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let stripe: LocalStripeServer;
  let gw: string;
  const p: Record<string, Person> = {};
  let group: { id: string; inviteCode: string };

  const as = (who: Person) => ({
    get: (path: string) => call(gw, 'GET', path, { token: who.token }),
    post: (path: string, body?: unknown, key?: string) =>
      call(gw, 'POST', path, { token: who.token, body, headers: key ? { 'idempotency-key': key } : {} }),
  });
  const paymentDb = () => system.databaseUrl('payment');

  /** POST a settlement once payment-service's projections have seen the group or the friendship. */
  async function settle(who: Person, body: Record<string, unknown>, key = randomUUID()): Promise<ApiResponse> {
    let res!: ApiResponse;
    await expectEventually(async () => {
      res = await as(who).post(S, body, key);
      if (res.status === 404 || res.body?.code === 'NOT_GROUP_MEMBER' || res.body?.code === 'NOT_FRIENDS') throw new Error(`projection not there yet: ${res.status} ${res.body?.code}`);
    }, { timeoutMs: 30_000, intervalMs: 250 });
    return res;
  }

  async function addExpense(who: Person, body: Record<string, unknown>): Promise<ApiResponse> {
    let res!: ApiResponse;
    await expectEventually(async () => {
      res = await as(who).post(E, body);
      if (res.status === 404 || (res.status === 422 && res.body?.code === 'NOT_A_PARTICIPANT')) throw new Error(`projection not there yet: ${res.status}`);
    }, { timeoutMs: 30_000, intervalMs: 200 });
    return res;
  }

  const balances = async (who: Person, groupId: string) => (await as(who).get(`${B}/groups/${groupId}`)).body.currencies as { currency: string; balances: { userId: string; amount: string }[]; transfers: { from: string; to: string; amount: string }[] }[];

  async function waitForStatus(who: Person, settlementId: string, status: string): Promise<ApiResponse> {
    let res!: ApiResponse;
    await expectEventually(async () => {
      res = await as(who).get(`${S}/${settlementId}`);
      expect(res.body.status).toBe(status);
    }, { timeoutMs: 30_000, intervalMs: 250 });
    return res;
  }

  async function stripeMethod(who: Person): Promise<string> {
    const res = await as(who).post(PM, { methodType: 'stripe', name: 'Visa via Stripe', details: { payment_method_id: 'pm_card_visa', last4: '4242' } });
    expect(res.status).toBe(201);
    expect(JSON.stringify(res.body)).not.toContain('pm_card_visa');
    return res.body.id;
  }

  beforeAll(async () => {
    stripe = await LocalStripeServer.start({ apiKey: 'sk_test_tally_local' });
    const stripeEnv = { STRIPE_SECRET_KEY: 'sk_test_tally_local', STRIPE_WEBHOOK_SECRET: stripe.webhookSecret, STRIPE_API_BASE: stripe.url, SANDBOX_SETTLE_MS: '300' };
    ({ system, smtp } = await startSystem({ 'payment-service': stripeEnv, 'payment-worker': stripeEnv }));
    gw = system.gatewayUrl;
    stripe.webhookUrl = `${gw}/webhooks/stripe`;
    const names = ['ann', 'bob', 'cat', 'out'];
    const people = await Promise.all(names.map((n) => signUpVerified(system, smtp, `s${n}`)));
    names.forEach((n, i) => (p[n] = people[i]));
    await expectEventually(async () => {
      const res = await as(p.ann).post(G, { name: 'Porto', currency: 'EUR' });
      expect(res.status).toBe(201);
      group = res.body;
    }, { timeoutMs: 30_000 });
    for (const n of ['bob', 'cat']) {
      await expectEventually(async () => expect((await as(p[n]).post(`${G}/join`, { inviteCode: group.inviteCode })).status).toBe(200), { timeoutMs: 30_000 });
    }
  }, 240_000);

  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
    await stripe?.close();
  });

  it('settles a group in two currencies with the suggested transfers: by hand, through Stripe and the sandbox; every balance reaches exactly zero and every share is settled', async () => {
    const { ann, bob, cat } = p;
    const all = [ann.id, bob.id, cat.id];
    expect((await addExpense(ann, { title: 'Flat', amount: '90.00', groupId: group.id, split: { type: 'equal', userIds: all } })).status).toBe(201);
    expect((await addExpense(bob, { title: 'Dinner', amount: '30.00', groupId: group.id, split: { type: 'equal', userIds: all } })).status).toBe(201);
    expect((await addExpense(cat, { title: 'Tram', amount: '3000', currency: 'JPY', groupId: group.id, split: { type: 'equal', userIds: all } })).status).toBe(201);

    const before = await balances(ann, group.id);
    const eur = before.find((c) => c.currency === 'EUR')!;
    const jpy = before.find((c) => c.currency === 'JPY')!;
    // EUR: ann +60 -10, bob -30 +20, cat -30 -10. JPY: cat +2000, ann -1000, bob -1000.
    expect(eur.transfers).toEqual(expect.arrayContaining([{ from: cat.id, to: ann.id, amount: '40.00' }, { from: bob.id, to: ann.id, amount: '10.00' }]));
    expect(eur.transfers).toHaveLength(2);
    expect(jpy.transfers).toEqual(expect.arrayContaining([{ from: ann.id, to: cat.id, amount: '1000' }, { from: bob.id, to: cat.id, amount: '1000' }]));
    expect(jpy.transfers).toHaveLength(2);

    // 1. bob → ann 10.00 EUR by hand: bob records it (his side confirmed), ann confirms.
    const manual = await settle(bob, { payerId: bob.id, payeeId: ann.id, amount: '10.00', currency: 'EUR', groupId: group.id });
    expect(manual.status).toBe(201);
    expect(manual.body).toMatchObject({ status: 'pending', isConfirmedByPayer: true, isConfirmedByPayee: false, amount: '10.00' });
    const confirmed = await as(ann).post(`${S}/${manual.body.id}/confirm`);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'completed', isConfirmedByPayer: true, isConfirmedByPayee: true });

    // 2. cat → ann 40.00 EUR through Stripe: a PaymentIntent at the provider, its signed webhooks through the gateway.
    const catCard = await stripeMethod(cat);
    const viaStripe = await settle(cat, { payerId: cat.id, payeeId: ann.id, amount: '40.00', currency: 'EUR', groupId: group.id, method: 'automatic' });
    expect(viaStripe.status).toBe(201);
    stripe.nextIntent = 'succeed';
    const payment = await as(cat).post(PAY, { settlementId: viaStripe.body.id, paymentMethodId: catCard, provider: 'stripe' }, randomUUID());
    expect(payment.status).toBe(201);
    expect(payment.body).toMatchObject({ settlementId: viaStripe.body.id, amount: '40.00', currency: 'EUR' });
    const intent = stripe.requests.find((r) => r.method === 'POST' && r.path === '/v1/payment_intents' && r.status === 200);
    expect(intent?.params).toMatchObject({ amount: '4000', currency: 'eur', payment_method: 'pm_card_visa' });
    await waitForStatus(cat, viaStripe.body.id, 'completed');
    await expectEventually(async () => expect((await as(cat).get(`${PAY}/${payment.body.id}`)).body.status).toBe('completed'), { timeoutMs: 30_000 });

    // 3. ann → cat 1000 JPY through the sandbox provider: it settles by a signed webhook a moment later.
    const annPaypal = (await as(ann).post(PM, { methodType: 'paypal', name: 'PayPal', details: { email: 'ann@example.com' } })).body.id;
    const viaSandbox = await settle(ann, { payerId: ann.id, payeeId: cat.id, amount: '1000', currency: 'JPY', groupId: group.id, method: 'automatic' });
    expect(viaSandbox.status).toBe(201);
    expect((await as(ann).post(PAY, { settlementId: viaSandbox.body.id, paymentMethodId: annPaypal, provider: 'sandbox' }, randomUUID())).status).toBe(201);
    await waitForStatus(ann, viaSandbox.body.id, 'completed');

    // 4. bob → cat 1000 JPY by hand, recorded by the payee this time.
    const byPayee = await settle(cat, { payerId: bob.id, payeeId: cat.id, amount: '1000', currency: 'JPY', groupId: group.id });
    expect(byPayee.body).toMatchObject({ isConfirmedByPayer: false, isConfirmedByPayee: true });
    expect((await as(bob).post(`${S}/${byPayee.body.id}/confirm`)).body.status).toBe('completed');

    // Balances exactly zero, nothing left to transfer, every expense and share settled.
    await expectEventually(async () => {
      const after = await balances(bob, group.id);
      for (const c of after) {
        expect(c.balances.filter((b) => !/^0(\.0+)?$/.test(b.amount.replace('-', '')))).toEqual([]);
        expect(c.transfers).toEqual([]);
      }
    }, { timeoutMs: 30_000 });
    await expectEventually(async () => {
      const items = (await as(ann).get(`${E}?groupId=${group.id}&limit=50`)).body.items as { id: string }[];
      expect(items).toHaveLength(3);
      for (const item of items) {
        const e = (await as(ann).get(`${E}/${item.id}`)).body;
        expect(e.isSettled).toBe(true);
        for (const s of e.shares) expect(s).toMatchObject({ isSettled: true, settledAmount: s.amount });
      }
    }, { timeoutMs: 30_000 });
    // group-service followed: a zero balance lets bob leave... but he stays; the feed shows the settlements.
    await expectEventually(async () => {
      const feed = await as(bob).get(`${G}/${group.id}/activity?limit=50`);
      expect(feed.body.items.filter((a: { type: string }) => a.type === 'settlement_completed')).toHaveLength(4);
    }, { timeoutMs: 30_000 });
  });

  it('refuses forged, stale, replayed and re-signed webhooks, and five concurrent deliveries make one transition', async () => {
    const { ann, bob } = p;
    const pm = await stripeMethod(bob);
    const s = await settle(bob, { payerId: bob.id, payeeId: ann.id, amount: '5.00', currency: 'EUR', groupId: group.id, method: 'automatic' });
    stripe.nextIntent = 'hold';
    const pay = await as(bob).post(PAY, { settlementId: s.body.id, paymentMethodId: pm, provider: 'stripe' }, randomUUID());
    expect(pay.status).toBe(201);
    const intentId = stripe.requests.filter((r) => r.path === '/v1/payment_intents' && r.status === 200).length > 0
      ? [...stripe.intents.keys()].pop()! : '';
    stripe.autoDeliver = false;
    const succeeded = stripe.succeed(intentId);
    const url = `${gw}/webhooks/stripe`;
    const count = async () => (await query(paymentDb(), `SELECT count(*)::int AS n FROM payment_webhooks WHERE event_id = $1`, [succeeded.id]))[0].n;

    // forged body under a genuine signature of another body
    const genuine = JSON.stringify(succeeded);
    const forged = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': stripe.sign(genuine) }, body: genuine.replace('"succeeded"', '"succeeded" ') });
    expect(forged.status).toBe(400);
    // stale: signed six minutes ago
    expect((await stripe.deliver(succeeded.id, { timestamp: Math.floor(Date.now() / 1000) - 360 })).status).toBe(400);
    // re-signed with another secret
    expect((await stripe.deliver(succeeded.id, { secret: 'whsec_not_the_endpoint_secret' })).status).toBe(400);
    // no signature at all
    expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: genuine })).status).toBe(400);
    expect(await count()).toBe(0);
    expect((await as(bob).get(`${S}/${s.body.id}`)).body.status).toBe('pending');

    // the genuine event, five times at once: one row, one transition, one settlement.completed
    const five = await Promise.all(Array.from({ length: 5 }, () => stripe.deliver(succeeded.id)));
    expect(five.map((d) => d.status).every((x) => x >= 200 && x < 300)).toBe(true);
    await waitForStatus(bob, s.body.id, 'completed');
    expect(await count()).toBe(1);
    // replayed later: stored once, still one completion
    expect((await stripe.deliver(succeeded.id)).status).toBeLessThan(300);
    const outbox = await query(paymentDb(), `SELECT count(*)::int AS n FROM outbox WHERE type = 'settlement.completed' AND key = $1`, [s.body.id]);
    expect(outbox[0].n).toBe(1);
    // a late, out-of-order "processing" never moves the payment back
    const late = stripe.emit('payment_intent.processing', { ...(stripe.intents.get(intentId) as object), status: 'processing' });
    expect((await stripe.deliver(late.id)).status).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await as(bob).get(`${PAY}/${pay.body.id}`)).body.status).toBe('completed');
    stripe.autoDeliver = true;
  });

  it('makes one settlement of one Idempotency-Key sent concurrently with two bodies, and answers a replay with the first answer', async () => {
    const { ann, bob } = p;
    const key = randomUUID();
    const body = (amount: string) => ({ payerId: bob.id, payeeId: ann.id, amount, currency: 'EUR', groupId: group.id });
    await settle(bob, body('1.00'), randomUUID()); // projections ready
    const answers = await Promise.all([as(bob).post(S, body('2.00'), key), as(bob).post(S, body('3.00'), key), as(bob).post(S, body('2.00'), key)]);
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    for (const a of answers.filter((x) => x.status !== 201)) expectProblem(a, 422, 'IDEMPOTENCY_KEY_REUSED');
    const rows = await query(paymentDb(), `SELECT amount::text FROM settlements WHERE created_by_id = $1 AND amount IN (2, 3)`, [bob.id]);
    expect(rows).toHaveLength(1);
    const again = await as(bob).post(S, { ...body(rows[0].amount === '2.000' ? '2.00' : '3.00') }, key);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(created[0].body.id);
  });

  it("refuses one user confirming, paying or reading another's settlement, and changes nothing", async () => {
    const { ann, bob, out } = p;
    const s = await settle(bob, { payerId: bob.id, payeeId: ann.id, amount: '7.00', currency: 'EUR', groupId: group.id });
    const outCard = await stripeMethod(out);
    expectProblem(await as(out).get(`${S}/${s.body.id}`), 404);
    expectProblem(await as(out).post(`${S}/${s.body.id}/confirm`), 404);
    expectProblem(await as(out).post(`${S}/${s.body.id}/cancel`), 404);
    expectProblem(await as(out).post(PAY, { settlementId: s.body.id, paymentMethodId: outCard, provider: 'stripe' }, randomUUID()), 404);
    // the payee may not pay the payer's debt with the payer's settlement
    const annCard = await stripeMethod(ann);
    const byPayee = await as(ann).post(PAY, { settlementId: s.body.id, paymentMethodId: annCard, provider: 'stripe' }, randomUUID());
    expect([403, 404]).toContain(byPayee.status);
    // nor with someone else's payment method
    const bobPays = await as(bob).post(PAY, { settlementId: s.body.id, paymentMethodId: outCard, provider: 'stripe' }, randomUUID());
    expect([404, 422]).toContain(bobPays.status);
    expect((await as(out).get(S)).body.items).toEqual([]);
    const after = (await as(bob).get(`${S}/${s.body.id}`)).body;
    expect(after).toMatchObject({ status: 'pending', isConfirmedByPayee: false });
    expect(await query(paymentDb(), `SELECT id FROM payments WHERE settlement_id = $1`, [s.body.id])).toEqual([]);
  });

  it('leaves nothing half-made when the provider is down, and completes a payment whose service was killed before the webhook', async () => {
    const { ann, cat } = p;
    const pm = await stripeMethod(cat);
    const s = await settle(cat, { payerId: cat.id, payeeId: ann.id, amount: '3.00', currency: 'EUR', groupId: group.id, method: 'automatic' });
    const key = randomUUID();
    stripe.down = true;
    const down = await as(cat).post(PAY, { settlementId: s.body.id, paymentMethodId: pm, provider: 'stripe' }, key);
    expect(down.status).toBeGreaterThanOrEqual(502);
    expect(down.status).toBeLessThanOrEqual(503);
    expect(down.headers.get('content-type')).toContain('application/problem+json');
    expect(await query(paymentDb(), `SELECT id FROM payments WHERE settlement_id = $1`, [s.body.id])).toEqual([]);
    expect((await as(cat).get(`${S}/${s.body.id}`)).body.status).toBe('pending');

    // the provider is back; the same key does the work now. The provider accepts, then payment-service dies.
    stripe.down = false;
    stripe.nextIntent = 'hold';
    const pay = await as(cat).post(PAY, { settlementId: s.body.id, paymentMethodId: pm, provider: 'stripe' }, key);
    expect(pay.status).toBe(201);
    const intentId = [...stripe.intents.keys()].pop()!;
    await system.killApp('payment-service');
    stripe.autoDeliver = false;
    const succeeded = stripe.succeed(intentId);
    expect((await stripe.deliver(succeeded.id)).status).toBeGreaterThanOrEqual(500); // Stripe would retry
    await system.startApp('payment-service');
    expect((await stripe.deliver(succeeded.id)).status).toBeLessThan(300);
    stripe.autoDeliver = true;
    await waitForStatus(cat, s.body.id, 'completed');
    expect((await as(cat).get(`${PAY}/${pay.body.id}`)).body.status).toBe('completed');
  });
});
