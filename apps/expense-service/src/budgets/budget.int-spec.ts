/**
 * Budgets over real HTTP against a real PostgreSQL, through expense-service's own AppModule,
 * migrations and outbox: only the owner sees or changes one (anyone else: 404), amounts are exact
 * decimal strings with the currency's places, bad input is a 400 problem that changes nothing, cursor
 * pages newest first, soft delete, and the budget.* events written in the same transaction.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { loadConfig } from '@tally/config';
import { IdentityProjectionRepository } from '@tally/identity';
import { budgetPeriodOn } from '@tally/money';
import { inTransaction } from '@tally/persistence';
import { ServiceRuntime, bootstrapHttpService } from '@tally/service-kit';
import { TestAccessTokens, createTestDatabase, dropTestDatabase, freePort, infraFromEnv } from '@tally/testing';
import { AppModule } from '../app.module';
import { categoryId } from '../categories/categories.data';
import { ExpenseServiceConfig } from '../config/expense.config';
import { migrations } from '../migrations';
import { entities } from '../runtime';

const infra = infraFromEnv();
const run = randomBytes(4).toString('hex');
const dbName = `it_expense_budgets_${run}`;
const tokens = new TestAccessTokens(`k-${run}`);

let runtime: ServiceRuntime<ExpenseServiceConfig>;
let app: NestFastifyApplication;
let pool: Pool;
let base: string;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase(infra.databaseUrl, dbName);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadConfig(ExpenseServiceConfig, {
    NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '4',
    KAFKA_BROKERS: infra.kafkaBrokers, KAFKA_TOPIC_PREFIX: `it-eb-${run}.`, REDIS_URL: infra.redisUrl, QUEUE_PREFIX: `it-eb-${run}`,
  });
  runtime = await ServiceRuntime.create({ name: 'expense-service', config, entities, migrations, relay: false });
  app = await bootstrapHttpService(runtime, AppModule.forRoot(runtime), { port, host: '127.0.0.1' });
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

async function call(method: string, path: string, who: string | null, body?: unknown, rawBody?: string) {
  const headers: Record<string, string> = {};
  if (who) headers.authorization = `Bearer ${token(who)}`;
  if (body !== undefined || rawBody !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}/api/v1/budgets${path}`, { method, headers, body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : null };
}

const FOOD = categoryId('food-and-drink');
const today = () => new Date().toISOString().slice(0, 10);
const events = async (budgetId: string) =>
  (await pool.query(`SELECT topic, key, type, payload FROM outbox WHERE key = $1 ORDER BY seq`, [budgetId])).rows.map((r) => ({ topic: r.topic, key: r.key, type: r.type, data: r.payload.data }));
const countBudgets = async () => (await pool.query(`SELECT count(*)::int AS n FROM budgets`)).rows[0].n as number;
const countEvents = async () => (await pool.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'expense.budget.v1'`)).rows[0].n as number;

describe('budgets', () => {
  it('the owner creates one, reads it exactly, and budget.created carries it with the category name', async () => {
    const ann = randomUUID();
    const res = await call('POST', '', ann, { amount: '100.5', currency: 'eur', categoryId: FOOD, period: 'monthly', startDate: '2026-01-31' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ categoryId: FOOD, amount: '100.50', currency: 'EUR', period: 'monthly', startDate: '2026-01-31', endDate: null });
    expect(res.body.currentPeriod).toEqual(budgetPeriodOn('2026-01-31', 'monthly', null, today()));
    expect(res.body).not.toHaveProperty('userId');
    expect((await call('GET', `/${res.body.id}`, ann)).body).toEqual(res.body);

    expect(await events(res.body.id)).toEqual([{
      topic: 'expense.budget.v1', key: res.body.id, type: 'budget.created',
      data: expect.objectContaining({ budgetId: res.body.id, userId: ann, categoryId: FOOD, categoryName: 'Food & drink', amount: '100.50', currency: 'EUR', period: 'monthly', startDate: '2026-01-31', endDate: null, isDeleted: false, byUserId: ann }),
    }]);
  });

  it('defaults: USD, every category, monthly from today; JPY has no decimals and BHD three', async () => {
    const ann = randomUUID();
    const plain = await call('POST', '', ann, { amount: '250' });
    expect(plain.status).toBe(201);
    expect(plain.body).toMatchObject({ amount: '250.00', currency: 'USD', categoryId: null, period: 'monthly', startDate: today(), currentPeriod: { start: today() } });
    expect((await call('POST', '', ann, { amount: '50000', currency: 'JPY', period: 'weekly' })).body).toMatchObject({ amount: '50000', currency: 'JPY', period: 'weekly' });
    expect((await call('POST', '', ann, { amount: '12.345', currency: 'BHD', period: 'yearly' })).body).toMatchObject({ amount: '12.345', currency: 'BHD' });
  });

  it('anyone else gets 404 for it, reading, changing or deleting, and it stays as it was', async () => {
    const [ann, eve] = [randomUUID(), randomUUID()];
    const b = (await call('POST', '', ann, { amount: '80.00', currency: 'EUR' })).body;
    const before = await countEvents();
    for (const [method, body] of [['GET', undefined], ['PATCH', { amount: '1.00' }], ['DELETE', undefined]] as const) {
      const res = await call(method, `/${b.id}`, eve, body);
      expect(res.status).toBe(404);
      expect(res.type).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 404, code: 'BUDGET_NOT_FOUND' });
    }
    expect((await call('GET', '', eve)).body.items).toEqual([]);
    expect(await call('GET', `/${randomUUID()}`, ann)).toMatchObject({ status: 404, body: { code: 'BUDGET_NOT_FOUND' } });
    expect((await call('GET', `/${b.id}`, ann)).body).toEqual(b);
    expect(await countEvents()).toBe(before);
  });

  it('bad input is a 400 problem that stores nothing and publishes nothing', async () => {
    const ann = randomUUID();
    const [budgets, published] = [await countBudgets(), await countEvents()];
    const bad: [unknown, string][] = [
      [{}, 'VALIDATION_FAILED'],
      [{ amount: 100 }, 'VALIDATION_FAILED'],
      [{ amount: '0' }, 'INVALID_BUDGET'],
      [{ amount: '0.00' }, 'INVALID_BUDGET'],
      [{ amount: '-5.00' }, 'VALIDATION_FAILED'],
      [{ amount: '1e3' }, 'VALIDATION_FAILED'],
      [{ amount: '10.001', currency: 'USD' }, 'INVALID_BUDGET'],
      [{ amount: '10.5', currency: 'JPY' }, 'INVALID_BUDGET'],
      [{ amount: '12345678901.00' }, 'INVALID_BUDGET'],
      [{ amount: '10.00', currency: 'XYZ' }, 'INVALID_BUDGET'],
      [{ amount: '10.00', currency: 'EURO' }, 'VALIDATION_FAILED'],
      [{ amount: '10.00', period: 'daily' }, 'VALIDATION_FAILED'],
      [{ amount: '10.00', categoryId: 'food' }, 'VALIDATION_FAILED'],
      [{ amount: '10.00', categoryId: randomUUID() }, 'INVALID_BUDGET'],
      [{ amount: '10.00', startDate: '2026-02-30' }, 'INVALID_BUDGET'],
      [{ amount: '10.00', startDate: '2026-13-01' }, 'VALIDATION_FAILED'],
      [{ amount: '10.00', startDate: null }, 'VALIDATION_FAILED'],
      [{ amount: '10.00', startDate: '0001-01-01' }, 'INVALID_BUDGET'],
      [{ amount: '10.00', startDate: '2026-03-01', endDate: '2026-02-28' }, 'INVALID_BUDGET'],
      [{ amount: '10.00', endDate: '' }, 'VALIDATION_FAILED'],
    ];
    for (const [body, code] of bad) {
      const res = await call('POST', '', ann, body);
      expect({ body, status: res.status, code: res.body?.code }).toEqual({ body, status: 400, code });
      expect(res.type).toContain('application/problem+json');
    }
    expect((await call('POST', '', ann, undefined, '{"amount":')).status).toBe(400);
    expect((await call('POST', '', ann, undefined, '[1]')).status).toBe(400);
    expect((await call('GET', '/not-a-uuid', ann)).body).toMatchObject({ status: 400, code: 'INVALID_ID' });
    expect((await call('GET', '?cursor=abc', ann)).body).toMatchObject({ status: 400, code: 'INVALID_CURSOR' });
    expect((await call('GET', '?limit=0', ann)).status).toBe(400);
    expect([await countBudgets(), await countEvents()]).toEqual([budgets, published]);

    const b = (await call('POST', '', ann, { amount: '10.50', startDate: '2026-03-01' })).body;
    for (const body of [{ amount: '0' }, { currency: 'JPY' }, { endDate: '2026-02-01' }, { startDate: '2026-04-01', endDate: '2026-03-15' }, { period: null }, { amount: null }, { categoryId: randomUUID() }]) {
      if ('startDate' in body) await call('PATCH', `/${b.id}`, ann, { endDate: '2026-03-15' });
      const res = await call('PATCH', `/${b.id}`, ann, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
  });

  it('an edit changes what is given, re-checks the amount against the currency, publishes budget.updated; no change, no event', async () => {
    const ann = randomUUID();
    const b = (await call('POST', '', ann, { amount: '100.00', currency: 'EUR', categoryId: FOOD, startDate: '2026-01-01' })).body;
    const raised = await call('PATCH', `/${b.id}`, ann, { amount: '150.25', period: 'weekly', endDate: '2026-12-31' });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ amount: '150.25', currency: 'EUR', categoryId: FOOD, period: 'weekly', startDate: '2026-01-01', endDate: '2026-12-31' });
    const allCategories = await call('PATCH', `/${b.id}`, ann, { categoryId: null, endDate: null, currency: 'JPY', amount: '20000' });
    expect(allCategories.body).toMatchObject({ amount: '20000', currency: 'JPY', categoryId: null, endDate: null });
    const same = await call('PATCH', `/${b.id}`, ann, { amount: '20000' });
    expect(same.status).toBe(200);
    expect((await events(b.id)).map((e) => [e.type, e.data.amount, e.data.currency, e.data.categoryName])).toEqual([
      ['budget.created', '100.00', 'EUR', 'Food & drink'], ['budget.updated', '150.25', 'EUR', 'Food & drink'], ['budget.updated', '20000', 'JPY', null],
    ]);
  });

  it('delete is soft: 204, then 404 and gone from the list; budget.deleted; deleting again is 404', async () => {
    const ann = randomUUID();
    const b = (await call('POST', '', ann, { amount: '70.00' })).body;
    expect((await call('DELETE', `/${b.id}`, ann)).status).toBe(204);
    expect((await call('GET', `/${b.id}`, ann)).status).toBe(404);
    expect((await call('DELETE', `/${b.id}`, ann)).status).toBe(404);
    expect((await call('GET', '', ann)).body.items).toEqual([]);
    expect((await pool.query(`SELECT deleted_at IS NOT NULL AS deleted FROM budgets WHERE id = $1`, [b.id])).rows[0].deleted).toBe(true);
    expect((await events(b.id)).map((e) => [e.type, e.data.isDeleted])).toEqual([['budget.created', false], ['budget.deleted', true]]);
  });

  it('lists newest first in cursor pages that neither skip nor repeat', async () => {
    const ann = randomUUID();
    const made: string[] = [];
    for (let i = 1; i <= 5; i++) made.push((await call('POST', '', ann, { amount: `${i}.00` })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await call('GET', `?limit=2${cursor ? `&cursor=${cursor}` : ''}`, ann);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((i) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
  });

  it('the database holds the seed checks itself', async () => {
    const id = randomUUID();
    await expect(pool.query(`INSERT INTO budgets (id, user_id, amount, start_date) VALUES ($1, $2, 0, '2026-01-01')`, [id, randomUUID()])).rejects.toThrow(/check_budget_amount/);
    await expect(pool.query(`INSERT INTO budgets (id, user_id, amount, period, start_date) VALUES ($1, $2, 1, 'daily', '2026-01-01')`, [id, randomUUID()])).rejects.toThrow(/check_budget_period/);
    await expect(pool.query(`INSERT INTO budgets (id, user_id, amount, start_date, end_date) VALUES ($1, $2, 1, '2026-01-02', '2026-01-01')`, [id, randomUUID()])).rejects.toThrow(/check_budget_dates/);
  });
});
