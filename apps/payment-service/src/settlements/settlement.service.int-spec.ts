/**
 * Settling up against real PostgreSQL with payment-service's migrations: Idempotency-Key semantics
 * (replay, reuse, concurrency, rollback), payment methods sealed at rest with one default, and
 * settlements — who may record, read, confirm and cancel them, the events they write to the outbox,
 * what providers' payments do to them (SettlementLifecycle), and the overdue reminder.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import { freshEm, inTransaction, initOrm, runMigrations } from '@tally/persistence';
import { FriendshipProjectionRepository, MembershipProjectionRepository } from '@tally/projections';
import { SecretBox } from '@tally/security';
import { DomainException } from '@tally/service-kit';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { IdempotencyRepository } from '../idempotency/idempotency.repository';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { migrations } from '../migrations';
import { PaymentMethodRepository } from '../payment-methods/payment-method.repository';
import { PaymentMethodService } from '../payment-methods/payment-method.service';
import { entities } from '../runtime';
import { CreateSettlementDto } from './dto/settlement.dto';
import { OverdueSettlementReminders } from './remind-overdue-settlements.job';
import { SettlementLifecycle } from './settlement-lifecycle';
import { SettlementRepository } from './settlement.repository';
import { SettlementService } from './settlement.service';

const infra = infraFromEnv();
const dbName = `it_settlements_${randomBytes(4).toString('hex')}`;
const secretsKey = randomBytes(32).toString('base64');
let orm: MikroORM;
let pool: Pool;
let settlements: SettlementService;
let methods: PaymentMethodService;
let idempotency: IdempotencyService;
let lifecycle: SettlementLifecycle;
let reminders: OverdueSettlementReminders;
const members = new MembershipProjectionRepository();
const friendships = new FriendshipProjectionRepository();
const repo = new SettlementRepository();
const outbox = new OutboxWriter('payment-service');

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 10 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 4 });
  methods = new PaymentMethodService(orm, new PaymentMethodRepository(), new SecretBox(secretsKey));
  idempotency = new IdempotencyService(new IdempotencyRepository(), orm);
  settlements = new SettlementService(orm, repo, members, friendships, methods, idempotency, outbox);
  lifecycle = new SettlementLifecycle(outbox, repo, members);
  reminders = new OverdueSettlementReminders(orm, repo, outbox, 2);
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

const now = () => new Date().toISOString();
const PATH = '/api/v1/settlements';
const idem = (key: string = randomUUID()) => ({ key, method: 'POST', path: PATH });

async function group(people: { id: string; role?: 'admin' | 'member' | 'viewer'; active?: boolean }[]): Promise<string> {
  const g = randomUUID();
  await inTransaction(orm, async (em) => {
    for (const p of people) {
      await members.upsertMember(em, {
        membershipId: randomUUID(), groupId: g, userId: p.id, role: p.role ?? 'member', status: p.active === false ? 'left' : 'accepted',
        isActive: p.active ?? true, byUserId: p.id, at: now(),
      }, now());
    }
  });
  return g;
}

async function befriend(a: string, b: string, status: 'accepted' | 'pending' = 'accepted'): Promise<void> {
  await inTransaction(orm, (em) => friendships.apply(em, { friendshipId: randomUUID(), fromUserId: a, toUserId: b, status, byUserId: b, message: null, at: now() }, now()));
}

async function create(me: string, body: Partial<CreateSettlementDto>, key?: string) {
  const dto = Object.assign(new CreateSettlementDto(), { currency: 'EUR', amount: '25.00', ...body });
  return settlements.create(me, dto, idem(key));
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; status: number }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainException) return { code: e.code, status: e.status };
    throw e;
  }
  throw new Error('expected a refusal');
}

const events = async (settlementId: string) =>
  (await pool.query(`SELECT type, payload FROM outbox WHERE key = $1 ORDER BY seq`, [settlementId])).rows.map((r) => ({ type: r.type as string, data: r.payload.data }));
const count = async (sql: string, params: unknown[]) => Number((await pool.query(sql, params)).rows[0].count);

describe('Idempotency-Key', () => {
  it('answers the same key and body twice with the same settlement, replayed, and stores one key row', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await befriend(a, b);
    const key = randomUUID();
    const first = await create(a, { payerId: a, payeeId: b, amount: '10.5' }, key);
    const second = await create(a, { payeeId: b, payerId: a, amount: '10.5' }, key);

    expect(first).toMatchObject({ status: 201, replayed: false, body: { amount: '10.50', status: 'pending' } });
    expect(second).toEqual({ ...first, replayed: true });
    expect(await count(`SELECT count(*) FROM settlements WHERE payer_id = $1`, [a])).toBe(1);
    expect(await count(`SELECT count(*) FROM idempotency_keys WHERE user_id = $1 AND idempotency_key = $2 AND status_code = 201`, [a, key])).toBe(1);
  });

  it('refuses the same key with another body (422) or on another path, and a missing or malformed key (400)', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await befriend(a, b);
    const key = randomUUID();
    await create(a, { payerId: a, payeeId: b }, key);
    expect(await refusal(create(a, { payerId: a, payeeId: b, amount: '26.00' }, key))).toEqual({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
    const dto = Object.assign(new CreateSettlementDto(), { payerId: a, payeeId: b, currency: 'EUR', amount: '25.00' });
    expect(await refusal(settlements.create(a, dto, { key, method: 'POST', path: '/api/v1/payments' }))).toEqual({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
    expect(await refusal(settlements.create(a, dto, { key: undefined, method: 'POST', path: PATH }))).toEqual({ code: 'IDEMPOTENCY_KEY_REQUIRED', status: 400 });
    expect(await refusal(settlements.create(a, dto, { key: 'é', method: 'POST', path: PATH }))).toEqual({ code: 'IDEMPOTENCY_KEY_INVALID', status: 400 });
    expect(await refusal(settlements.create(a, dto, { key: 'x'.repeat(256), method: 'POST', path: PATH }))).toEqual({ code: 'IDEMPOTENCY_KEY_INVALID', status: 400 });
    // Keys are per user: another user's same key is theirs.
    await befriend(b, a);
    expect((await create(b, { payerId: a, payeeId: b }, key)).replayed).toBe(false);
  });

  it('makes one settlement from five concurrent requests with one key; the others replay its answer', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await befriend(a, b);
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 5 }, () => create(a, { payerId: a, payeeId: b, amount: '7.00' }, key)));

    expect(new Set(answers.map((x) => x.body.id)).size).toBe(1);
    expect(answers.filter((x) => !x.replayed)).toHaveLength(1);
    expect(await count(`SELECT count(*) FROM settlements WHERE payer_id = $1`, [a])).toBe(1);
    expect((await events(answers[0].body.id)).map((e) => e.type)).toEqual(['settlement.created']);
  });

  it('leaves the key unused when the request failed, so a retry does the work', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const key = randomUUID();
    expect(await refusal(create(a, { payerId: a, payeeId: b }, key))).toEqual({ code: 'NOT_FRIENDS', status: 422 });
    expect(await count(`SELECT count(*) FROM idempotency_keys WHERE user_id = $1`, [a])).toBe(0);
    await befriend(a, b);
    expect(await create(a, { payerId: a, payeeId: b }, key)).toMatchObject({ status: 201, replayed: false });
  });

  it('lets a waiting request with the same key do the work when the first one rolls back', async () => {
    const user = randomUUID();
    const key = randomUUID();
    const req = { userId: user, key, method: 'POST', path: '/x', body: { n: 1 } };
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((r) => (releaseFirst = r));
    const first = inTransaction(orm, (em) =>
      idempotency.run(em, req, async () => {
        await firstHolds;
        throw new DomainException('BOOM', 'failed', 503);
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    const second = inTransaction(orm, (em) => idempotency.run(em, req, async () => ({ status: 201, body: { made: 'second' } })));
    await new Promise((r) => setTimeout(r, 100));
    releaseFirst();
    expect(await refusal(first)).toEqual({ code: 'BOOM', status: 503 });
    expect(await second).toEqual({ status: 201, body: { made: 'second' }, replayed: false });
  });

  it('ignores an expired key (a new request takes it over) and prunes expired rows', async () => {
    const user = randomUUID();
    const req = { userId: user, key: 'k-1', method: 'POST', path: '/x', body: { n: 1 } };
    await inTransaction(orm, (em) => idempotency.run(em, req, async () => ({ status: 201, body: { v: 1 } })));
    await pool.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [user]);
    expect(await inTransaction(orm, (em) => idempotency.run(em, { ...req, body: { n: 2 } }, async () => ({ status: 201, body: { v: 2 } }))))
      .toEqual({ status: 201, body: { v: 2 }, replayed: false });

    await pool.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [user]);
    expect(await idempotency.pruneExpired(1)).toBeGreaterThanOrEqual(1);
    expect(await count(`SELECT count(*) FROM idempotency_keys WHERE user_id = $1`, [user])).toBe(0);
  });
});

describe('payment methods', () => {
  it('seals the details at rest: the row holds no IBAN, the API a masked one', async () => {
    const u = randomUUID();
    const pm = await methods.create(u, { methodType: 'bank', name: 'Main', details: { iban: 'DE89 3704 0044 0532 0130 00', bank_name: 'First Bank' } });

    expect(pm.details).toEqual({ iban: '****3000', bank_name: 'First Bank' });
    const row = (await pool.query(`SELECT details, details_masked, is_default FROM payment_methods WHERE id = $1`, [pm.id])).rows[0];
    expect(Object.keys(row.details)).toEqual(['sealed']);
    expect(JSON.stringify(row)).not.toMatch(/DE89|3704|0532|01300/);
    expect(row.is_default).toBe(true);
    const stored = await methods.findUsable(freshEm(orm), u, pm.id);
    expect(methods.openDetails(stored!)).toEqual({ iban: 'DE89370400440532013000', bank_name: 'First Bank' });
  });

  it('keeps exactly one default: making another the default unsets the old one, also under concurrency', async () => {
    const u = randomUUID();
    const one = await methods.create(u, { methodType: 'paypal', name: 'PayPal', details: { email: 'u@example.com' } });
    const two = await methods.create(u, { methodType: 'cash', name: 'Cash' });
    const three = await methods.create(u, { methodType: 'venmo', name: 'Venmo', details: { handle: '@u' } });
    expect([one.isDefault, two.isDefault, three.isDefault]).toEqual([true, false, false]);

    await Promise.all([methods.makeDefault(u, two.id), methods.makeDefault(u, three.id), methods.makeDefault(u, two.id)]);
    expect(await count(`SELECT count(*) FROM payment_methods WHERE user_id = $1 AND is_default`, [u])).toBe(1);
    const page = await methods.list(u, { limit: 2 } as never);
    expect(page.items[0].isDefault).toBe(true);
    const rest = await methods.list(u, { limit: 2, cursor: page.nextCursor! } as never);
    expect([...page.items, ...rest.items].map((m) => m.id).sort()).toEqual([one.id, two.id, three.id].sort());
    expect(rest.nextCursor).toBeNull();
  });

  it('hides someone else\'s and removed methods (404) and never takes a card number', async () => {
    const [u, other] = [randomUUID(), randomUUID()];
    const pm = await methods.create(u, { methodType: 'card', name: 'Visa', details: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2099 } });
    expect(await refusal(methods.get(other, pm.id))).toEqual({ code: 'PAYMENT_METHOD_NOT_FOUND', status: 404 });
    expect(await refusal(methods.makeDefault(other, pm.id))).toEqual({ code: 'PAYMENT_METHOD_NOT_FOUND', status: 404 });
    expect(await refusal(methods.create(u, { methodType: 'card', name: 'Visa', details: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2099, number: '4242424242424242' } })))
      .toEqual({ code: 'CARD_NUMBER_REFUSED', status: 400 });

    const deactivated = await methods.deactivate(u, pm.id);
    expect(deactivated).toMatchObject({ isActive: false, isDefault: false });
    expect(await methods.findUsable(freshEm(orm), u, pm.id)).toBeNull();
    await methods.remove(u, pm.id);
    expect(await refusal(methods.get(u, pm.id))).toEqual({ code: 'PAYMENT_METHOD_NOT_FOUND', status: 404 });
    const row = (await pool.query(`SELECT is_active, is_default, removed_at FROM payment_methods WHERE id = $1`, [pm.id])).rows[0];
    expect(row).toMatchObject({ is_active: false, is_default: false });
    expect(row.removed_at).not.toBeNull();
  });

  it('is verified only by a provider (markVerified)', async () => {
    const u = randomUUID();
    const pm = await methods.create(u, { methodType: 'stripe', name: 'Stripe' });
    expect(pm.isVerified).toBe(false);
    expect(await inTransaction(orm, (em) => methods.markVerified(em, pm.id, 'stripe', 'pm_123'))).toBe(true);
    expect(await methods.get(u, pm.id)).toMatchObject({ isVerified: true });
  });
});

describe('settlements', () => {
  it('completes when both parties have confirmed, with exactly one settlement.completed', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const g = await group([{ id: a }, { id: b }]);
    const { body: s } = await create(b, { payerId: a, payeeId: b, groupId: g, amount: '1200', currency: 'JPY' });
    expect(s).toMatchObject({ amount: '1200', currency: 'JPY', isConfirmedByPayer: false, isConfirmedByPayee: true, status: 'pending', groupId: g });

    const done = await settlements.confirm(a, s.id);
    expect(done).toMatchObject({ status: 'completed', isConfirmedByPayer: true, isConfirmedByPayee: true });
    expect(done.completedAt).not.toBeNull();
    expect(done.confirmedAt).not.toBeNull();
    expect(await settlements.confirm(a, s.id)).toEqual(done);
    expect(await settlements.confirm(b, s.id)).toEqual(done);

    const evs = await events(s.id);
    expect(evs.map((e) => e.type)).toEqual(['settlement.created', 'settlement.completed']);
    expect(evs[1].data).toMatchObject({ settlementId: s.id, groupId: g, payerId: a, payeeId: b, amount: '1200', currency: 'JPY', status: 'completed', byUserId: a, method: 'manual' });
  });

  it('lets only the parties and the group\'s admins see it; admins read but cannot confirm or cancel', async () => {
    const [a, b, admin, member, outsider] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const g = await group([{ id: a }, { id: b }, { id: admin, role: 'admin' }, { id: member }]);
    const { body: s } = await create(a, { payerId: a, payeeId: b, groupId: g, amount: '3.333', currency: 'BHD' });
    expect(s.amount).toBe('3.333');

    expect((await settlements.get(admin, s.id)).id).toBe(s.id);
    expect(await refusal(settlements.get(member, s.id))).toEqual({ code: 'SETTLEMENT_NOT_FOUND', status: 404 });
    expect(await refusal(settlements.get(outsider, s.id))).toEqual({ code: 'SETTLEMENT_NOT_FOUND', status: 404 });
    expect(await refusal(settlements.confirm(outsider, s.id))).toEqual({ code: 'SETTLEMENT_NOT_FOUND', status: 404 });
    expect(await refusal(settlements.confirm(admin, s.id))).toEqual({ code: 'SETTLEMENT_PARTIES_ONLY', status: 403 });
    expect(await refusal(settlements.cancel(admin, s.id))).toEqual({ code: 'SETTLEMENT_PARTIES_ONLY', status: 403 });

    const adminList = await settlements.list(admin, { limit: 20, groupId: g } as never);
    expect(adminList.items.map((x) => x.id)).toEqual([s.id]);
    expect((await settlements.list(member, { limit: 20, groupId: g } as never)).items).toEqual([]);
    expect((await settlements.list(b, { limit: 20 } as never)).items.map((x) => x.id)).toEqual([s.id]);
    expect((await settlements.list(b, { limit: 20, status: 'completed' } as never)).items).toEqual([]);
    expect((await settlements.list(b, { limit: 20, counterpartyId: a } as never)).items.map((x) => x.id)).toEqual([s.id]);
    expect((await settlements.list(b, { limit: 20, counterpartyId: member } as never)).items).toEqual([]);
  });

  it('pages a user\'s settlements newest first by cursor', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await befriend(a, b);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create(a, { payerId: a, payeeId: b, amount: `${i + 1}.00` })).body.id);
    const first = await settlements.list(a, { limit: 2 } as never);
    const second = await settlements.list(a, { limit: 2, cursor: first.nextCursor! } as never);
    expect([...first.items, ...second.items].map((x) => x.id)).toEqual(ids.reverse());
    expect(second.nextCursor).toBeNull();
  });

  it('needs both parties active members of the group, the recorder not a viewer; outside groups, friends', async () => {
    const [a, b, viewer, gone, stranger] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const g = await group([{ id: a }, { id: b }, { id: viewer, role: 'viewer' }, { id: gone, active: false }]);
    expect(await refusal(create(viewer, { payerId: viewer, payeeId: a, groupId: g }))).toEqual({ code: 'VIEWER_CANNOT_SETTLE', status: 403 });
    expect(await refusal(create(a, { payerId: a, payeeId: gone, groupId: g }))).toEqual({ code: 'NOT_GROUP_MEMBER', status: 422 });
    expect(await refusal(create(gone, { payerId: gone, payeeId: a, groupId: g }))).toEqual({ code: 'GROUP_NOT_FOUND', status: 404 });
    expect(await refusal(create(stranger, { payerId: stranger, payeeId: a, groupId: g }))).toEqual({ code: 'GROUP_NOT_FOUND', status: 404 });
    expect(await refusal(create(a, { payerId: b, payeeId: viewer, groupId: g }))).toEqual({ code: 'NOT_A_PARTY', status: 403 });

    expect(await refusal(create(a, { payerId: a, payeeId: stranger }))).toEqual({ code: 'NOT_FRIENDS', status: 422 });
    await befriend(stranger, a, 'pending');
    expect(await refusal(create(a, { payerId: a, payeeId: stranger }))).toEqual({ code: 'NOT_FRIENDS', status: 422 });
    await befriend(stranger, a);
    expect((await create(a, { payerId: a, payeeId: stranger })).body).toMatchObject({ groupId: null, isConfirmedByPayer: true });
  });

  it('refuses bad money and dates with 400', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await befriend(a, b);
    expect(await refusal(create(a, { payerId: a, payeeId: b, amount: '10.001' }))).toEqual({ code: 'INVALID_AMOUNT', status: 400 });
    expect(await refusal(create(a, { payerId: a, payeeId: b, amount: '0.00' }))).toEqual({ code: 'INVALID_AMOUNT', status: 400 });
    expect(await refusal(create(a, { payerId: a, payeeId: b, amount: '12.5', currency: 'JPY' }))).toEqual({ code: 'INVALID_AMOUNT', status: 400 });
    expect(await refusal(create(a, { payerId: a, payeeId: b, currency: 'XXY' }))).toEqual({ code: 'UNKNOWN_CURRENCY', status: 400 });
    expect(await refusal(create(a, { payerId: a, payeeId: a }))).toEqual({ code: 'SAME_PARTY', status: 400 });
    expect(await refusal(create(a, { payerId: a, payeeId: b, dueDate: '2020-01-01' }))).toEqual({ code: 'DUE_DATE_IN_PAST', status: 400 });
    expect(await refusal(create(a, { payerId: a, payeeId: b, dueDate: '2099-02-30' }))).toEqual({ code: 'INVALID_DUE_DATE', status: 400 });
    const today = new Date().toISOString().slice(0, 10);
    expect((await create(a, { payerId: a, payeeId: b, dueDate: today })).body.dueDate).toBe(`${today}T23:59:59.999Z`);
  });

  it('uses only the caller\'s own active payment method', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await befriend(a, b);
    const mine = await methods.create(a, { methodType: 'cash', name: 'Cash' });
    const theirs = await methods.create(b, { methodType: 'cash', name: 'Cash' });
    expect((await create(a, { payerId: a, payeeId: b, paymentMethodId: mine.id })).body.paymentMethodId).toBe(mine.id);
    expect(await refusal(create(a, { payerId: a, payeeId: b, paymentMethodId: theirs.id }))).toEqual({ code: 'PAYMENT_METHOD_NOT_FOUND', status: 422 });
  });

  it('is cancelled by either party while pending, not once completed, nor with a payment in flight', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await befriend(a, b);
    const { body: one } = await create(a, { payerId: a, payeeId: b });
    const cancelled = await settlements.cancel(b, one.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelledById: b });
    expect(await settlements.cancel(a, one.id)).toEqual(cancelled);
    expect(await refusal(settlements.confirm(b, one.id))).toEqual({ code: 'SETTLEMENT_NOT_PENDING', status: 409 });
    expect((await events(one.id)).map((e) => e.type)).toEqual(['settlement.created', 'settlement.cancelled']);

    const { body: two } = await create(a, { payerId: a, payeeId: b });
    await settlements.confirm(b, two.id);
    expect(await refusal(settlements.cancel(a, two.id))).toEqual({ code: 'SETTLEMENT_NOT_PENDING', status: 409 });

    const { body: three } = await create(a, { payerId: a, payeeId: b, method: 'automatic' });
    const pm = await methods.create(a, { methodType: 'stripe', name: 'Stripe' });
    await pool.query(
      `INSERT INTO payments (id, settlement_id, amount, currency_id, currency, payment_method_id, status, payment_service, created_by_id)
       SELECT $1, id, amount, currency_id, currency, $2, 'processing', 'sandbox', payer_id FROM settlements WHERE id = $3`,
      [randomUUID(), pm.id, three.id],
    );
    expect(await refusal(settlements.cancel(b, three.id))).toEqual({ code: 'SETTLEMENT_HAS_LIVE_PAYMENT', status: 409 });
  });
});

describe('SettlementLifecycle (payments)', () => {
  it('locks a pending settlement for its payer only', async () => {
    const [a, b, admin, outsider] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const g = await group([{ id: a }, { id: b }, { id: admin, role: 'admin' }]);
    const { body: s } = await create(a, { payerId: a, payeeId: b, groupId: g, method: 'automatic' });
    expect((await inTransaction(orm, (em) => lifecycle.lockForPayment(em, s.id, a))).id).toBe(s.id);
    expect(await refusal(inTransaction(orm, (em) => lifecycle.lockForPayment(em, s.id, b)))).toEqual({ code: 'SETTLEMENT_PAYER_ONLY', status: 403 });
    expect(await refusal(inTransaction(orm, (em) => lifecycle.lockForPayment(em, s.id, admin)))).toEqual({ code: 'SETTLEMENT_PAYER_ONLY', status: 403 });
    expect(await refusal(inTransaction(orm, (em) => lifecycle.lockForPayment(em, s.id, outsider)))).toEqual({ code: 'SETTLEMENT_NOT_FOUND', status: 404 });
    await settlements.cancel(a, s.id);
    expect(await refusal(inTransaction(orm, (em) => lifecycle.lockForPayment(em, s.id, a)))).toEqual({ code: 'SETTLEMENT_NOT_PENDING', status: 409 });
  });

  it('completes by a payment once and reverses by its refund once', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await befriend(a, b);
    const { body: s } = await create(a, { payerId: a, payeeId: b, method: 'automatic', amount: '40.00' });
    const paymentId = randomUUID();
    const at = new Date('2026-12-05T10:00:00.000Z');
    expect(await inTransaction(orm, (em) => lifecycle.completeByPayment(em, s.id, { paymentId, at }))).toBe(true);
    expect(await inTransaction(orm, (em) => lifecycle.completeByPayment(em, s.id, { paymentId, at }))).toBe(false);
    expect(await settlements.get(b, s.id)).toMatchObject({ status: 'completed', method: 'automatic', completedAt: at.toISOString() });

    expect(await inTransaction(orm, (em) => lifecycle.reverseByRefund(em, s.id, { paymentId, at: new Date() }))).toBe(true);
    expect(await inTransaction(orm, (em) => lifecycle.reverseByRefund(em, s.id, { paymentId, at: new Date() }))).toBe(false);
    expect((await settlements.get(a, s.id)).status).toBe('refunded');

    const evs = await events(s.id);
    expect(evs.map((e) => e.type)).toEqual(['settlement.created', 'settlement.completed', 'settlement.reversed']);
    expect(evs[1].data).toMatchObject({ paymentId, byUserId: null, amount: '40.00', status: 'completed' });
    expect(evs[2].data).toMatchObject({ paymentId, byUserId: null, status: 'refunded' });
  });
});

describe('overdue reminders', () => {
  it('publish settlement.overdue once per pending settlement past its due date, even when run twice', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await befriend(a, b);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await create(a, { payerId: a, payeeId: b, dueDate: '2099-01-01' })).body.id);
    const { body: notDue } = await create(a, { payerId: a, payeeId: b, dueDate: '2099-01-01' });
    const { body: done } = await create(a, { payerId: a, payeeId: b, dueDate: '2099-01-01' });
    await settlements.confirm(b, done.id);
    await pool.query(`UPDATE settlements SET due_date = now() - interval '1 hour' WHERE id = ANY($1)`, [[...ids, done.id]]);

    // Other tests' settlements are never overdue, so the batches (of 2) here see only these.
    expect(await reminders.run()).toBe(3);
    expect(await reminders.run()).toBe(0);
    for (const id of ids) expect((await events(id)).filter((e) => e.type === 'settlement.overdue')).toHaveLength(1);
    expect((await events(notDue.id)).map((e) => e.type)).toEqual(['settlement.created']);
    expect((await events(done.id)).map((e) => e.type)).not.toContain('settlement.overdue');
    const overdue = (await events(ids[0])).find((e) => e.type === 'settlement.overdue')!;
    expect(overdue.data).toMatchObject({ settlementId: ids[0], status: 'pending', byUserId: null, payerId: a });
  });
});
