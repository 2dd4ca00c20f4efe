/**
 * ExpenseHandlers against real PostgreSQL with group-service's migrations: member balances, the
 * group's total and count and its feed follow expense.* events exactly (created, edited with the
 * previous version, deleted, restored, approved; other currencies kept apart).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { IdentityProjectionRepository } from '@tally/identity';
import { inTransaction, initOrm, runMigrations } from '@tally/persistence';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { ActivityRepository } from '../activities/activity.repository';
import { ActivityService } from '../activities/activity.service';
import { GroupRepository } from '../groups/group.repository';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { ExpenseHandlers } from './expense.handlers';
import { MemberBalanceRepository } from './member-balance.repository';

const infra = infraFromEnv();
const dbName = `it_group_expenses_${randomBytes(4).toString('hex')}`;
let orm: MikroORM;
let pool: Pool;
let handlers: ExpenseHandlers;

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 2 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 2 });
  handlers = new ExpenseHandlers(new GroupRepository(), new MemberBalanceRepository(), new ActivityService(orm, new ActivityRepository()), new IdentityProjectionRepository({}));
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

async function group(): Promise<string> {
  const id = randomUUID();
  await pool.query(`INSERT INTO groups (id, name, currency_id, currency) VALUES ($1, 'Trip', $2, 'EUR')`, [id, randomUUID()]);
  return id;
}

const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];

function expense(groupId: string, over: Record<string, unknown> = {}) {
  return {
    expenseId: randomUUID(), groupId, title: 'Dinner', amount: '100.00', currency: 'EUR', expenseDate: '2026-11-30', categoryId: null, splitType: 'equal' as const,
    payers: [{ userId: a, amount: '100.00' }], shares: [{ userId: a, amount: '33.34' }, { userId: b, amount: '33.33' }, { userId: c, amount: '33.33' }],
    isApproved: true, isDeleted: false, byUserId: a, at: new Date().toISOString(), ...over,
  };
}
const money = (d: ReturnType<typeof expense>) => ({ amount: d.amount, currency: d.currency, payers: d.payers, shares: d.shares, isApproved: d.isApproved, isDeleted: d.isDeleted });

const balances = async (g: string) =>
  Object.fromEntries((await pool.query(`SELECT user_id, currency, balance::text AS balance FROM member_balances WHERE group_id = $1 AND balance <> 0`, [g])).rows
    .map((r) => [`${r.user_id === a ? 'a' : r.user_id === b ? 'b' : 'c'}:${r.currency}`, r.balance]));
const totals = async (g: string) => (await pool.query(`SELECT total_expenses::text AS total, expense_count AS count FROM groups WHERE id = $1`, [g])).rows[0];

describe('ExpenseHandlers', () => {
  it('keep balances, total and count exact through create, edit, delete and restore', async () => {
    const g = await group();
    const created = expense(g);
    await inTransaction(orm, (em) => handlers.onCreated({ data: created } as never, { em } as never));
    expect(await balances(g)).toEqual({ 'a:EUR': '66.660', 'b:EUR': '-33.330', 'c:EUR': '-33.330' });
    expect(await totals(g)).toEqual({ total: '100.000', count: 1 });

    const edited = { ...created, amount: '60.00', payers: [{ userId: b, amount: '60.00' }], shares: [{ userId: a, amount: '30.00' }, { userId: b, amount: '30.00' }], previous: money(created) };
    await inTransaction(orm, (em) => handlers.onUpdated({ data: edited } as never, { em } as never));
    expect(await balances(g)).toEqual({ 'a:EUR': '-30.000', 'b:EUR': '30.000' });
    expect(await totals(g)).toEqual({ total: '60.000', count: 1 });

    const deleted = { ...edited, isDeleted: true, previous: money(edited) };
    await inTransaction(orm, (em) => handlers.onDeleted({ data: deleted } as never, { em } as never));
    expect(await balances(g)).toEqual({});
    expect(await totals(g)).toEqual({ total: '0.000', count: 0 });

    const restored = { ...edited, isDeleted: false, previous: money(deleted) };
    await inTransaction(orm, (em) => handlers.onRestored({ data: restored } as never, { em } as never));
    expect(await balances(g)).toEqual({ 'a:EUR': '-30.000', 'b:EUR': '30.000' });

    const feed = (await pool.query(`SELECT activity_type FROM group_activities WHERE group_id = $1 ORDER BY created_at, id`, [g])).rows.map((r) => r.activity_type);
    expect(feed.sort()).toEqual(['expense_added', 'expense_deleted', 'expense_edited', 'expense_restored']);
  });

  it('keep other currencies apart (not in the group total) and count an expense only once approved', async () => {
    const g = await group();
    const yen = expense(g, { amount: '3000', currency: 'JPY', payers: [{ userId: c, amount: '3000' }], shares: [{ userId: b, amount: '1500' }, { userId: c, amount: '1500' }] });
    await inTransaction(orm, (em) => handlers.onCreated({ data: yen } as never, { em } as never));
    expect(await balances(g)).toEqual({ 'b:JPY': '-1500.000', 'c:JPY': '1500.000' });
    expect(await totals(g)).toEqual({ total: '0.000', count: 1 });

    const pending = expense(g, { isApproved: false });
    await inTransaction(orm, (em) => handlers.onCreated({ data: pending } as never, { em } as never));
    expect(await totals(g)).toEqual({ total: '0.000', count: 2 });
    expect((await balances(g))['a:EUR']).toBeUndefined();
    await inTransaction(orm, (em) => handlers.onApproved({ data: { ...pending, isApproved: true, previous: money(pending) } } as never, { em } as never));
    expect(await balances(g)).toMatchObject({ 'a:EUR': '66.660', 'b:EUR': '-33.330', 'c:EUR': '-33.330' });
    expect(await totals(g)).toEqual({ total: '100.000', count: 2 });
  });

  it('ignore expenses of no group or of a group it does not know, without failing', async () => {
    const before = (await pool.query(`SELECT count(*)::int AS n FROM member_balances`)).rows[0].n;
    await inTransaction(orm, (em) => handlers.onCreated({ data: expense(randomUUID()) } as never, { em } as never));
    await inTransaction(orm, (em) => handlers.onCreated({ data: { ...expense(randomUUID()), groupId: null } } as never, { em } as never));
    expect((await pool.query(`SELECT count(*)::int AS n FROM member_balances`)).rows[0].n).toBe(before);
  });
});
