/**
 * Budgets followed against spending, against a real PostgreSQL with analytics-service's own
 * AppModule, migrations and outbox: budget.threshold_crossed at 80 % then at 100 %, once each whatever
 * is redelivered or edited afterwards, straight past 100 % announcing only 100, concurrent expenses
 * that cross together announced once; what counts (the owner's share, approved, not deleted, the
 * budget's currency and category, dated in the current period) and what GET /api/v1/analytics/budgets
 * shows its owner, exactly.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { loadConfig } from '@tally/config';
import type { BudgetEventData, ExpenseEventData } from '@tally/contracts';
import { IdentityProjectionRepository } from '@tally/identity';
import { budgetPeriodOn, formatAmount, parseAmount } from '@tally/money';
import { inTransaction } from '@tally/persistence';
import { ServiceRuntime, bootstrapHttpService } from '@tally/service-kit';
import { TestAccessTokens, createTestDatabase, dropTestDatabase, freePort, infraFromEnv } from '@tally/testing';
import { AppModule } from '../app.module';
import { AnalyticsServiceConfig } from '../config/analytics.config';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { BudgetTrackingHandlers } from './budget-tracking.handlers';

const infra = infraFromEnv();
const run = randomBytes(4).toString('hex');
const dbName = `it_analytics_budgets_${run}`;
const tokens = new TestAccessTokens(`k-${run}`);

let runtime: ServiceRuntime<AnalyticsServiceConfig>;
let app: NestFastifyApplication;
let pool: Pool;
let base: string;
let handlers: BudgetTrackingHandlers;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase(infra.databaseUrl, dbName);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadConfig(AnalyticsServiceConfig, {
    NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '6',
    KAFKA_BROKERS: infra.kafkaBrokers, KAFKA_TOPIC_PREFIX: `it-ab-${run}.`, REDIS_URL: infra.redisUrl, QUEUE_PREFIX: `it-ab-${run}`,
  });
  runtime = await ServiceRuntime.create({ name: 'analytics-service', config, entities, migrations, relay: false });
  app = await bootstrapHttpService(runtime, AppModule.forRoot(runtime), { port, host: '127.0.0.1' });
  handlers = app.get(BudgetTrackingHandlers);
  pool = new Pool({ connectionString: databaseUrl, max: 2 });
  await inTransaction(runtime.orm, (em) => new IdentityProjectionRepository({}).upsertSigningKey(em, tokens.announcement(), new Date().toISOString()));
});

afterAll(async () => {
  await app?.close();
  await runtime?.shutdown();
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

function token(userId: string): string {
  return tokens.sign(userId);
}

async function list(who: string, query = '') {
  const res = await fetch(`${base}/api/v1/analytics/budgets${query}`, { headers: { authorization: `Bearer ${token(who)}` } });
  return { status: res.status, body: (await res.json()) as any };
}

const FOOD = randomUUID();
const TRAVEL = randomUUID();
const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
let clock = Date.now();
/** Event times in order, a millisecond apart (as the events of one aggregate are). */
const tick = () => new Date(++clock).toISOString();

function budget(userId: string, over: Partial<BudgetEventData> = {}): BudgetEventData {
  const at = tick();
  return {
    budgetId: randomUUID(), userId, categoryId: FOOD, categoryName: 'Food & drink', amount: '100.00', currency: 'EUR', period: 'monthly',
    startDate: today(), endDate: null, isDeleted: false, createdAt: at, byUserId: userId, at, ...over,
  };
}

function expense(shares: [string, string][], over: Partial<ExpenseEventData> = {}): ExpenseEventData {
  const total = shares.reduce((s, [, a]) => s + parseAmount(a, 2), 0n);
  const amount = (over.amount as string | undefined) ?? formatAmount(total, 2);
  return {
    expenseId: randomUUID(), groupId: randomUUID(), title: 'Dinner', amount, currency: 'EUR', expenseDate: today(), categoryId: FOOD, splitType: 'exact',
    payers: [{ userId: shares[0][0], amount }], shares: shares.map(([userId, a]) => ({ userId, amount: a })), isApproved: true, isDeleted: false,
    byUserId: shares[0][0], at: tick(), ...over,
  };
}

type Kind = 'expense.created' | 'expense.updated' | 'expense.deleted' | 'expense.restored' | 'expense.approved';
const onExpense = (type: Kind, d: ExpenseEventData, time = d.at) => inTransaction(runtime.orm, (em) => {
  const e = { id: randomUUID(), type, time, subject: d.expenseId, data: d } as never;
  const ctx = { em } as never;
  switch (type) {
    case 'expense.created': return handlers.onExpenseCreated(e, ctx);
    case 'expense.updated': return handlers.onExpenseUpdated(e, ctx);
    case 'expense.deleted': return handlers.onExpenseDeleted(e, ctx);
    case 'expense.restored': return handlers.onExpenseRestored(e, ctx);
    case 'expense.approved': return handlers.onExpenseApproved(e, ctx);
  }
});
const onBudget = (type: 'budget.created' | 'budget.updated' | 'budget.deleted', d: BudgetEventData, time = d.at) => inTransaction(runtime.orm, (em) => {
  const e = { id: randomUUID(), type, time, subject: d.budgetId, data: d } as never;
  if (type === 'budget.created') return handlers.onBudgetCreated(e, { em } as never);
  if (type === 'budget.updated') return handlers.onBudgetUpdated(e, { em } as never);
  return handlers.onBudgetDeleted(e, { em } as never);
});

/** The budget.threshold_crossed events in analytics' outbox for a budget, in order. */
const crossings = async (budgetId: string) =>
  (await pool.query(`SELECT topic, key, payload FROM outbox WHERE type = 'budget.threshold_crossed' AND key = $1 ORDER BY seq`, [budgetId])).rows.map((r) => ({ topic: r.topic, key: r.key, ...r.payload.data }));
const thresholds = async (budgetId: string) => (await crossings(budgetId)).map((c) => [c.threshold, c.spent]);
const statusOf = async (userId: string, budgetId: string) => (await list(userId)).body.items.find((i: { budgetId: string }) => i.budgetId === budgetId);

describe('budget thresholds', () => {
  it('announce 80 then 100, once each, with the exact figures of the current period', async () => {
    const ann = randomUUID();
    const b = budget(ann);
    await onBudget('budget.created', b);
    await onExpense('expense.created', expense([[ann, '45.00'], [randomUUID(), '45.00']]));
    expect(await crossings(b.budgetId)).toEqual([]);
    await onExpense('expense.created', expense([[ann, '40.00']]));
    const period = budgetPeriodOn(b.startDate, 'monthly', null, today())!;
    expect(await crossings(b.budgetId)).toEqual([{
      topic: 'analytics.budget.v1', key: b.budgetId, budgetId: b.budgetId, userId: ann, categoryId: FOOD, categoryName: 'Food & drink', currency: 'EUR',
      amount: '100.00', spent: '85.00', threshold: 80, periodStart: period.start, periodEnd: period.end, at: expect.any(String),
    }]);
    await onExpense('expense.created', expense([[ann, '10.00']]));
    expect(await thresholds(b.budgetId)).toEqual([[80, '85.00']]);
    await onExpense('expense.created', expense([[ann, '5.00']]));
    expect(await thresholds(b.budgetId)).toEqual([[80, '85.00'], [100, '100.00']]);
    await onExpense('expense.created', expense([[ann, '70.00']]));
    expect(await thresholds(b.budgetId)).toEqual([[80, '85.00'], [100, '100.00']]);
    expect(await statusOf(ann, b.budgetId)).toEqual({
      budgetId: b.budgetId, categoryId: FOOD, categoryName: 'Food & drink', amount: '100.00', currency: 'EUR', period: 'monthly', startDate: b.startDate,
      endDate: null, currentPeriod: period, spent: '170.00', remaining: '-70.00', percent: '170.00',
    });
  });

  it('a jump straight past 100 % announces only 100; redelivering the events announces nothing more', async () => {
    const ann = randomUUID();
    const b = budget(ann, { amount: '50.00' });
    await onBudget('budget.created', b);
    const big = expense([[ann, '60.00']]);
    await onExpense('expense.created', big);
    expect(await thresholds(b.budgetId)).toEqual([[100, '60.00']]);
    expect((await pool.query(`SELECT threshold, announced FROM budget_threshold_crossings WHERE budget_id = $1 ORDER BY threshold`, [b.budgetId])).rows)
      .toEqual([{ threshold: 80, announced: false }, { threshold: 100, announced: true }]);
    // the same events again (a redelivery the inbox did not catch, e.g. from another consumer group's replay)
    await onExpense('expense.created', big);
    await onBudget('budget.created', b);
    expect(await thresholds(b.budgetId)).toEqual([[100, '60.00']]);
  });

  it('an edit lowering the spending and then raising it again does not announce again', async () => {
    const ann = randomUUID();
    const b = budget(ann);
    await onBudget('budget.created', b);
    const e = expense([[ann, '85.00']]);
    await onExpense('expense.created', e);
    expect(await thresholds(b.budgetId)).toEqual([[80, '85.00']]);
    await onExpense('expense.updated', { ...e, amount: '10.00', shares: [{ userId: ann, amount: '10.00' }], payers: [{ userId: ann, amount: '10.00' }], at: tick() });
    expect((await statusOf(ann, b.budgetId)).spent).toBe('10.00');
    await onExpense('expense.updated', { ...e, amount: '90.00', shares: [{ userId: ann, amount: '90.00' }], payers: [{ userId: ann, amount: '90.00' }], at: tick() });
    expect((await statusOf(ann, b.budgetId)).spent).toBe('90.00');
    expect(await thresholds(b.budgetId)).toEqual([[80, '85.00']]);
  });

  it('an older event than the one held changes nothing', async () => {
    const ann = randomUUID();
    const b = budget(ann);
    await onBudget('budget.created', b);
    const e = expense([[ann, '20.00']]);
    await onExpense('expense.created', e);
    const newer = { ...e, amount: '30.00', shares: [{ userId: ann, amount: '30.00' }], payers: [{ userId: ann, amount: '30.00' }], at: tick() };
    const older = { ...e, amount: '95.00', shares: [{ userId: ann, amount: '95.00' }], payers: [{ userId: ann, amount: '95.00' }], at: tick() };
    await onExpense('expense.updated', newer, newer.at);
    await onExpense('expense.updated', older, e.at);
    expect((await statusOf(ann, b.budgetId)).spent).toBe('30.00');
    expect(await crossings(b.budgetId)).toEqual([]);
  });

  it('a deleted expense leaves the spending (and restored comes back); unapproved does not count until approved', async () => {
    const ann = randomUUID();
    const b = budget(ann);
    await onBudget('budget.created', b);
    const e = expense([[ann, '50.00']]);
    await onExpense('expense.created', e);
    await onExpense('expense.deleted', { ...e, isDeleted: true, at: tick() });
    expect((await statusOf(ann, b.budgetId)).spent).toBe('0.00');
    const pending = expense([[ann, '85.00']], { isApproved: false });
    await onExpense('expense.created', pending);
    expect((await statusOf(ann, b.budgetId)).spent).toBe('0.00');
    expect(await crossings(b.budgetId)).toEqual([]);
    await onExpense('expense.approved', { ...pending, isApproved: true, at: tick() });
    expect(await thresholds(b.budgetId)).toEqual([[80, '85.00']]);
    await onExpense('expense.restored', { ...e, isDeleted: false, at: tick() });
    expect(await thresholds(b.budgetId)).toEqual([[80, '85.00'], [100, '135.00']]);
  });

  it('counts only the owner\'s share, in the budget\'s currency and category (null: any), dated in the current period', async () => {
    const [ann, bob] = [randomUUID(), randomUUID()];
    const food = budget(ann);
    const all = budget(ann, { categoryId: null, categoryName: null, amount: '1000.00' });
    await onBudget('budget.created', food);
    await onBudget('budget.created', all);
    await onExpense('expense.created', expense([[ann, '10.00'], [bob, '500.00']]));
    await onExpense('expense.created', expense([[ann, '20.00']], { currency: 'USD' }));
    await onExpense('expense.created', expense([[ann, '30.00']], { categoryId: TRAVEL }));
    await onExpense('expense.created', expense([[ann, '40.00']], { categoryId: null }));
    const period = budgetPeriodOn(today(), 'monthly', null, today())!;
    expect(period.start).toBe(today());
    await onExpense('expense.created', expense([[ann, '50.00']], { expenseDate: daysAgo(1) }));
    expect((await statusOf(ann, food.budgetId)).spent).toBe('10.00');
    expect((await statusOf(ann, all.budgetId)).spent).toBe('80.00');
    expect(await crossings(food.budgetId)).toEqual([]);
  });

  it('a budget created over its spending, or lowered under it, is announced; a deleted one is not followed', async () => {
    const ann = randomUUID();
    await onExpense('expense.created', expense([[ann, '90.00']]));
    const b = budget(ann, { amount: '200.00' });
    await onBudget('budget.created', b);
    expect(await crossings(b.budgetId)).toEqual([]);
    await onBudget('budget.updated', { ...b, amount: '100.00', at: tick() });
    expect(await thresholds(b.budgetId)).toEqual([[80, '90.00']]);
    const fresh = budget(ann, { amount: '80.00' });
    await onBudget('budget.created', fresh);
    expect(await thresholds(fresh.budgetId)).toEqual([[100, '90.00']]);
    const gone = budget(ann, { amount: '1000.00' });
    await onBudget('budget.created', gone);
    await onBudget('budget.deleted', { ...gone, isDeleted: true, at: tick() });
    await onExpense('expense.created', expense([[ann, '900.00']]));
    expect(await crossings(gone.budgetId)).toEqual([]);
    expect(await statusOf(ann, gone.budgetId)).toBeUndefined();
  });

  it('two expenses in concurrent transactions that cross only together announce once', async () => {
    const ann = randomUUID();
    const b = budget(ann);
    await onBudget('budget.created', b);
    await Promise.all([onExpense('expense.created', expense([[ann, '45.00']])), onExpense('expense.created', expense([[ann, '45.00']]))]);
    expect(await thresholds(b.budgetId)).toEqual([[80, '90.00']]);
  });

  it('the list shows only the caller\'s budgets, newest first in cursor pages, with JPY figures without decimals', async () => {
    const [ann, eve] = [randomUUID(), randomUUID()];
    const yen = budget(ann, { currency: 'JPY', amount: '30000', categoryId: null, categoryName: null });
    const later = budget(ann);
    await onBudget('budget.created', yen);
    await onBudget('budget.created', later);
    await onExpense('expense.created', expense([[ann, '10000']], { currency: 'JPY', amount: '10000' }));
    const first = await list(ann, '?limit=1');
    expect(first.status).toBe(200);
    expect(first.body.items.map((i: { budgetId: string }) => i.budgetId)).toEqual([later.budgetId]);
    const second = await list(ann, `?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.items).toEqual([expect.objectContaining({ budgetId: yen.budgetId, amount: '30000', spent: '10000', remaining: '20000', percent: '33.33' })]);
    expect(second.body.nextCursor).toBeNull();
    expect((await list(eve)).body.items).toEqual([]);
    expect((await list(ann, '?cursor=nope')).body).toMatchObject({ status: 400, code: 'INVALID_CURSOR' });
  });
});
