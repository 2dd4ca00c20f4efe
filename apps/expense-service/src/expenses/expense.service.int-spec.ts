/**
 * ExpenseService and BalanceService against real PostgreSQL with expense-service's migrations: exact
 * shares, several payers, edits that must not move a cent, soft delete and restore, approval, who may
 * take part, the outbox events, and balances that sum to zero with the fewest transfers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { IdentityProjectionRepository } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import { inTransaction, initOrm, runMigrations } from '@tally/persistence';
import { FriendshipProjectionRepository, MembershipProjectionRepository } from '@tally/projections';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { BalanceRepository } from '../balances/balance.repository';
import { BalanceService } from '../balances/balance.service';
import { CategoryRepository } from '../categories/category.repository';
import { categoryId } from '../categories/categories.data';
import { CurrencyRepository } from '../currencies/currency.repository';
import { CurrencyService } from '../currencies/currency.service';
import { GroupProjectionRepository } from '../groups/group-projection.repository';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { TagRepository } from '../tags/tag.repository';
import { ExpenseRepository } from './expense.repository';
import { ExpenseService } from './expense.service';

const infra = infraFromEnv();
const dbName = `it_expenses_${randomBytes(4).toString('hex')}`;
let orm: MikroORM;
let pool: Pool;
let expenses: ExpenseService;
let balances: BalanceService;
const groups = new GroupProjectionRepository();
const memberships = new MembershipProjectionRepository();

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 3 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 2 });
  expenses = new ExpenseService(orm, new ExpenseRepository(), new CurrencyRepository(), new CategoryRepository(), groups, memberships,
    new FriendshipProjectionRepository(), new TagRepository(), new IdentityProjectionRepository({}), new OutboxWriter('expense-service'));
  balances = new BalanceService(orm, new BalanceRepository(), groups, new CurrencyRepository());
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

const now = () => new Date().toISOString();
/** Ids sorted, so "a" < "b" < "c" < "d" as user ids: the leftover-cent rule is visible. */
const people = () => [randomUUID(), randomUUID(), randomUUID(), randomUUID()].sort();

async function group(members: { id: string; role?: 'admin' | 'member' | 'viewer'; active?: boolean }[], opts: { requiresApproval?: boolean; archived?: boolean } = {}): Promise<string> {
  const g = randomUUID();
  await inTransaction(orm, async (em) => {
    await groups.upsertGroup(em, {
      groupId: g, name: 'Trip', description: null, groupType: 'trip', image: null, currency: 'EUR', isPrivate: false, isArchived: opts.archived ?? false,
      isActive: true, requiresApproval: opts.requiresApproval ?? false, memberCount: members.length, byUserId: members[0].id, at: now(),
    }, now());
    for (const m of members) {
      await memberships.upsertMember(em, {
        membershipId: randomUUID(), groupId: g, userId: m.id, role: m.role ?? 'member', status: m.active === false ? 'removed' : 'accepted',
        isActive: m.active ?? true, byUserId: m.id, at: now(),
      }, now());
    }
  });
  return g;
}

const events = async (expenseId: string) =>
  (await pool.query(`SELECT type, payload FROM outbox WHERE key = $1 ORDER BY seq`, [expenseId])).rows.map((r) => ({ type: r.type, data: r.payload.data }));

describe('expenses', () => {
  it('split 100.00 equally between three: 33.34 + 33.33 + 33.33, the leftover cent by the documented rule, whatever the order', async () => {
    const [a, b, c] = people();
    const g = await group([{ id: a }, { id: b }, { id: c }]);
    const one = await expenses.create(a, { title: 'Dinner', amount: '100.00', groupId: g, split: { type: 'equal', userIds: [c, a, b] } } as never);
    const two = await expenses.create(a, { title: 'Dinner', amount: '100.00', groupId: g, split: { type: 'equal', userIds: [b, c, a] } } as never);
    expect(one.shares).toEqual(two.shares.map((s) => ({ ...s })));
    expect(one.shares.map((s) => s.amount).sort()).toEqual(['33.33', '33.33', '33.34']);
    expect(one).toMatchObject({ amount: '100.00', currency: 'EUR', payers: [{ userId: a, amount: '100.00' }], splitType: 'equal', isApproved: true });
    const [created] = await events(one.id);
    expect(created).toMatchObject({ type: 'expense.created', data: { amount: '100.00', currency: 'EUR', groupId: g, payers: [{ userId: a, amount: '100.00' }] } });
  });

  it('respect the currency: JPY has no decimals, BHD three', async () => {
    const [a, b] = people();
    const g = await group([{ id: a }, { id: b }]);
    const yen = await expenses.create(a, { title: 'Ramen', amount: '1001', currency: 'JPY', groupId: g, split: { type: 'equal', userIds: [a, b] } } as never);
    expect(yen.shares.map((s) => s.amount).sort()).toEqual(['500', '501']);
    await expect(expenses.create(a, { title: 'x', amount: '10.5', currency: 'JPY', groupId: g, split: { type: 'equal', userIds: [a, b] } } as never))
      .rejects.toMatchObject({ code: 'INVALID_SPLIT' });
    const dinar = await expenses.create(a, { title: 'Tea', amount: '1.000', currency: 'BHD', groupId: g, split: { type: 'equal', userIds: [a, b] } } as never);
    expect(dinar.shares.map((s) => s.amount)).toEqual(['0.500', '0.500']);
  });

  it('split an itemized bill exactly, tax and tip in proportion, keeping the items in split', async () => {
    const [a, b] = people();
    const g = await group([{ id: a }, { id: b }]);
    const e = await expenses.create(a, {
      title: 'Pizza night', amount: '33.00', groupId: g,
      split: { type: 'itemized', items: [{ name: 'Margherita', amount: '10.00', userIds: [a] }, { name: 'Calzone', amount: '20.00', userIds: [b] }], tax: '1.50', tip: '1.50' },
    } as never);
    expect(e.shares.map((s) => s.amount)).toEqual(a < b ? ['11.00', '22.00'] : ['22.00', '11.00']);
    expect((e.split as { items: { name: string }[] }).items.map((i) => i.name)).toEqual(['Margherita', 'Calzone']);
    await expect(expenses.list(a, { limit: 10, groupId: g, dateFrom: '2026-02-30' } as never)).rejects.toMatchObject({ code: 'INVALID_QUERY' });
  });

  it('take several payers whose amounts sum exactly, and refuse those that do not', async () => {
    const [a, b, c] = people();
    const g = await group([{ id: a }, { id: b }, { id: c }]);
    const e = await expenses.create(a, {
      title: 'Hotel', amount: '300.00', groupId: g, payers: [{ userId: a, amount: '200.00' }, { userId: b, amount: '100.00' }],
      split: { type: 'percentage', percentages: [{ userId: a, percent: '50' }, { userId: b, percent: '25' }, { userId: c, percent: '25' }] },
    } as never);
    expect(e.payers).toEqual([{ userId: a, amount: '200.00' }, { userId: b, amount: '100.00' }]);
    expect(e.shares.map((s) => s.amount)).toEqual(['150.00', '75.00', '75.00']);
    await expect(expenses.create(a, {
      title: 'Hotel', amount: '300.00', groupId: g, payers: [{ userId: a, amount: '200.00' }, { userId: b, amount: '99.99' }], split: { type: 'equal', userIds: [a, b] },
    } as never)).rejects.toMatchObject({ code: 'INVALID_SPLIT' });
  });

  it('never move a cent on an edit of title, category or date; recompute only when the money changes', async () => {
    const [a, b, c] = people();
    const g = await group([{ id: a }, { id: b }, { id: c }]);
    const e = await expenses.create(a, { title: 'Taxi', amount: '10.00', groupId: g, split: { type: 'equal', userIds: [a, b, c] } } as never);
    const edited = await expenses.update(a, e.id, { title: 'Taxi home', categoryId: categoryId('taxi'), expenseDate: '2026-11-01' } as never);
    expect(edited.shares).toEqual(e.shares);
    expect(edited).toMatchObject({ title: 'Taxi home', categoryId: categoryId('taxi'), expenseDate: '2026-11-01' });
    const bigger = await expenses.update(a, e.id, { amount: '20.00' } as never);
    expect(bigger.shares.map((s) => s.amount).sort()).toEqual(['6.66', '6.67', '6.67']);
    expect(bigger.payers).toEqual([{ userId: a, amount: '20.00' }]);
    const updated = (await events(e.id)).filter((x) => x.type === 'expense.updated');
    expect(updated[1].data.previous).toMatchObject({ amount: '10.00', payers: [{ userId: a, amount: '10.00' }] });
  });

  it('leave the balances when deleted and come back when restored', async () => {
    const [a, b] = people();
    const g = await group([{ id: a }, { id: b }]);
    const e = await expenses.create(a, { title: 'Fuel', amount: '50.00', groupId: g, split: { type: 'equal', userIds: [a, b] } } as never);
    expect((await balances.group(a, g)).currencies[0].balances).toEqual([{ userId: a, amount: '25.00' }, { userId: b, amount: '-25.00' }].sort((x, y) => (x.userId < y.userId ? -1 : 1)));
    const deleted = await expenses.remove(b, e.id).catch((err) => err);
    expect(deleted).toMatchObject({ code: 'NOT_EXPENSE_OWNER' }); // b neither added nor paid it
    await expenses.remove(a, e.id);
    expect((await balances.group(a, g)).currencies).toEqual([]);
    await expenses.restore(a, e.id);
    expect((await balances.group(a, g)).currencies).toHaveLength(1);
    expect((await events(e.id)).map((x) => x.type)).toEqual(['expense.created', 'expense.deleted', 'expense.restored']);
  });

  it('wait for an admin in groups that require approval', async () => {
    const [a, b] = people();
    const g = await group([{ id: a, role: 'admin' }, { id: b }], { requiresApproval: true });
    const e = await expenses.create(b, { title: 'Groceries', amount: '30.00', groupId: g, split: { type: 'equal', userIds: [a, b] } } as never);
    expect(e).toMatchObject({ requiresApproval: true, isApproved: false });
    expect((await balances.group(a, g)).currencies).toEqual([]);
    await expect(expenses.approve(b, e.id)).rejects.toMatchObject({ code: 'GROUP_ADMIN_REQUIRED' });
    const ok = await expenses.approve(a, e.id);
    expect(ok).toMatchObject({ isApproved: true, approvedById: a });
    expect((await balances.group(a, g)).currencies[0].balances).toHaveLength(2);
  });

  it('let only active non-viewer members add, only members take part, and hide the expense from everyone else', async () => {
    const [a, b, viewer, removed] = people();
    const stranger = randomUUID();
    const g = await group([{ id: a }, { id: b }, { id: viewer, role: 'viewer' }, { id: removed, active: false }]);
    const split = { type: 'equal', userIds: [a, b] };
    await expect(expenses.create(viewer, { title: 'x', amount: '1.00', groupId: g, split } as never)).rejects.toMatchObject({ code: 'GROUP_VIEWER_READ_ONLY' });
    await expect(expenses.create(removed, { title: 'x', amount: '1.00', groupId: g, split } as never)).rejects.toMatchObject({ code: 'GROUP_NOT_FOUND' });
    await expect(expenses.create(stranger, { title: 'x', amount: '1.00', groupId: g, split } as never)).rejects.toMatchObject({ code: 'GROUP_NOT_FOUND' });
    await expect(expenses.create(a, { title: 'x', amount: '1.00', groupId: g, split: { type: 'equal', userIds: [a, stranger] } } as never)).rejects.toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    const e = await expenses.create(a, { title: 'ok', amount: '1.00', groupId: g, split } as never);
    expect((await expenses.get(viewer, e.id)).id).toBe(e.id);
    await expect(expenses.get(removed, e.id)).rejects.toMatchObject({ code: 'EXPENSE_NOT_FOUND' });
    await expect(expenses.get(stranger, e.id)).rejects.toMatchObject({ code: 'EXPENSE_NOT_FOUND' });
    await expect(expenses.update(viewer, e.id, { title: 'mine' } as never)).rejects.toMatchObject({ code: 'GROUP_VIEWER_READ_ONLY' });
  });

  it('refuse a date in the future of the payer and keep the seed checks in the database', async () => {
    const [a, b] = people();
    const g = await group([{ id: a }, { id: b }]);
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    await expect(expenses.create(a, { title: 'x', amount: '1.00', groupId: g, expenseDate: tomorrow, split: { type: 'equal', userIds: [a, b] } } as never))
      .rejects.toMatchObject({ code: 'INVALID_EXPENSE' });
    const e = await expenses.create(a, { title: 'x', amount: '1.00', groupId: g, split: { type: 'equal', userIds: [a, b] } } as never);
    await expect(pool.query(`UPDATE expense_shares SET amount = 0 WHERE expense_id = $1`, [e.id])).rejects.toThrow(/check_positive_share/);
    await expect(pool.query(`INSERT INTO expense_shares (id, expense_id, user_id, amount, currency_id, paid_by_id) SELECT $1, expense_id, user_id, 1, currency_id, paid_by_id FROM expense_shares WHERE expense_id = $2 LIMIT 1`, [randomUUID(), e.id]))
      .rejects.toThrow(/uq_share_expense_user/);
  });

  it('count tag usage exactly and find expenses by tag, text and category with its children', async () => {
    const [a, b] = people();
    const g = await group([{ id: a }, { id: b }]);
    const tag = `beach-${randomBytes(3).toString('hex')}`;
    const e1 = await expenses.create(a, { title: 'Sunscreen and towels', amount: '12.00', groupId: g, tags: [tag], categoryId: categoryId('pharmacy'), split: { type: 'equal', userIds: [a, b] } } as never);
    await expenses.create(a, { title: 'Ice cream', amount: '6.00', groupId: g, tags: [tag.toUpperCase()], split: { type: 'equal', userIds: [a, b] } } as never);
    expect((await pool.query(`SELECT usage_count FROM tags WHERE name = $1`, [tag])).rows[0].usage_count).toBe(2);
    await expenses.update(a, e1.id, { tags: [] } as never);
    expect((await pool.query(`SELECT usage_count FROM tags WHERE name = $1`, [tag])).rows[0].usage_count).toBe(1);
    expect((await expenses.list(b, { limit: 10, groupId: g, q: 'towel' } as never)).items.map((x) => x.title)).toEqual(['Sunscreen and towels']);
    expect((await expenses.list(b, { limit: 10, groupId: g, categoryId: categoryId('health') } as never)).items.map((x) => x.title)).toEqual(['Sunscreen and towels']);
    expect((await expenses.list(b, { limit: 10, groupId: g, tag } as never)).items.map((x) => x.title)).toEqual(['Ice cream']);
    const page1 = await expenses.list(b, { limit: 1, groupId: g } as never);
    const page2 = await expenses.list(b, { limit: 1, groupId: g, cursor: page1.nextCursor! } as never);
    expect([...page1.items, ...page2.items].map((x) => x.title)).toEqual(['Ice cream', 'Sunscreen and towels']);
    expect((await expenses.list(randomUUID(), { limit: 10, groupId: g } as never)).items).toEqual([]);
  });
});

describe('balances', () => {
  it('sum to zero per currency, never mixed, with the fewest transfers', async () => {
    const [a, b, c] = people();
    const g = await group([{ id: a }, { id: b }, { id: c }]);
    await expenses.create(a, { title: 'Hotel', amount: '90.00', groupId: g, split: { type: 'equal', userIds: [a, b, c] } } as never);
    await expenses.create(b, { title: 'Dinner', amount: '30.00', groupId: g, split: { type: 'equal', userIds: [a, b, c] } } as never);
    await expenses.create(c, { title: 'Sushi', amount: '3000', currency: 'JPY', groupId: g, split: { type: 'equal', userIds: [b, c] } } as never);
    const res = await balances.group(a, g);
    const eur = res.currencies.find((x) => x.currency === 'EUR')!;
    expect(Object.fromEntries(eur.balances.map((x) => [x.userId, x.amount]))).toEqual({ [a]: '50.00', [b]: '-10.00', [c]: '-40.00' });
    expect(eur.transfers).toHaveLength(2);
    expect(eur.method).toBe('exact');
    const jpy = res.currencies.find((x) => x.currency === 'JPY')!;
    expect(jpy.balances).toEqual([{ userId: b, amount: '-1500' }, { userId: c, amount: '1500' }]);
    expect(jpy.transfers).toEqual([{ from: b, to: c, amount: '1500' }]);
    const why = await balances.explain(b, g, c, 'EUR');
    expect(why.balance).toBe('-40.00');
    expect(why.expenses.map((x) => [x.title, x.paid, x.owed, x.net])).toEqual(expect.arrayContaining([['Hotel', '0.00', '30.00', '-30.00'], ['Dinner', '0.00', '10.00', '-10.00']]));
    expect(why.transfers.every((t) => t.from === c || t.to === c)).toBe(true);
    expect(why.transfers.length).toBeGreaterThan(0);
    const direct = await balances.group(a, g, false);
    expect(direct.currencies.find((x) => x.currency === 'EUR')!.method).toBe('direct');
    const mine = await balances.mine(b);
    expect(mine.totals).toEqual([{ currency: 'EUR', amount: '-10.00' }, { currency: 'JPY', amount: '-1500' }]);
    await expect(balances.group(randomUUID(), g)).rejects.toMatchObject({ code: 'GROUP_NOT_FOUND' });
  });

  it('convert into one currency at the latest rates, still summing to zero, naming the rates and what has none', async () => {
    const [a, b, c] = people();
    const g = await group([{ id: a }, { id: b }, { id: c }]);
    await expenses.create(a, { title: 'Hotel', amount: '100.00', groupId: g, split: { type: 'equal', userIds: [a, b, c] } } as never);
    await expenses.create(b, { title: 'Sushi', amount: '3001', currency: 'JPY', groupId: g, split: { type: 'equal', userIds: [a, b, c] } } as never);
    await expenses.create(c, { title: 'Tea', amount: '1.000', currency: 'OMR', groupId: g, split: { type: 'equal', userIds: [a, c] } } as never);
    const currencies = new CurrencyService(orm, new CurrencyRepository());
    const admin = { id: randomUUID(), role: 'admin' };
    await currencies.setRate(admin, 'EUR', '1.0845000000', '2026-11-30');
    await currencies.setRate(admin, 'JPY', '0.0066600000', '2026-11-30');
    const res = await balances.groupConverted(a, g, 'USD');
    expect(res.currency).toBe('USD');
    expect(res.missingRates).toEqual(['OMR']);
    expect(res.ratesUsed.map((r) => [r.currency, r.rateToUsd])).toEqual([['EUR', '1.0845000000'], ['JPY', '0.0066600000']]);
    expect(res.balances.reduce((s, x) => s + BigInt(x.amount.replace('.', '')), 0n)).toBe(0n);
    // a (the smallest id) is owed 66.66 EUR → 72.29 USD; b is owed 2001 JPY → 13.33 USD, which a (−1001) and c (−1000)
    // owe in proportion: 6.67 and 6.66 (the leftover cent to the larger remainder). So a: 72.29 − 6.67 = 65.62.
    expect(res.balances.find((x) => x.userId === a)!.amount).toBe('65.62');
    // b and c owe the 72.29 USD equally: 36.15 and 36.14 (the tie to the smaller id). b: 13.33 − 36.15; c: −6.66 − 36.14.
    expect(res.balances.map((x) => x.amount)).toEqual(['65.62', '-22.82', '-42.80']);
    await expect(balances.groupConverted(a, g, 'OMR')).rejects.toMatchObject({ code: 'RATE_UNKNOWN' });

    // At the rates snapshotted on each expense: those saved before any rate was known are left out and named.
    await expenses.create(a, { title: 'Taxi', amount: '30.00', groupId: g, split: { type: 'equal', userIds: [b, c] } } as never);
    const snap = await balances.groupConverted(a, g, 'USD', 'expense');
    expect(snap.rates).toBe('expense');
    expect(snap.missingRates).toEqual(['EUR', 'JPY', 'OMR']);
    expect(snap.ratesUsed).toEqual([{ currency: 'EUR', rateToUsd: '1.0845000000', date: null }]);
    // only the taxi (snapshotted at 1.0845): a is owed 30.00 EUR = 32.54 USD (32.535 half-even), b and c owe 16.27 + 16.27
    expect(snap.balances.map((x) => x.amount)).toEqual(['32.54', '-16.27', '-16.27']);
  });

  it('between friends outside groups, per friend and currency', async () => {
    const [a, b] = people();
    const friendships = new FriendshipProjectionRepository();
    await expect(expenses.create(a, { title: 'Cinema', amount: '20.00', currency: 'EUR', split: { type: 'equal', userIds: [a, b] } } as never))
      .rejects.toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    await inTransaction(orm, (em) => friendships.apply(em, { friendshipId: randomUUID(), fromUserId: a, toUserId: b, status: 'accepted', byUserId: b, message: null, at: now() }, now()));
    await expenses.create(a, { title: 'Cinema', amount: '20.00', currency: 'EUR', split: { type: 'equal', userIds: [a, b] } } as never);
    expect((await balances.mine(a)).friends).toEqual([{ userId: b, currency: 'EUR', amount: '10.00' }]);
    expect((await balances.mine(b)).friends).toEqual([{ userId: a, currency: 'EUR', amount: '-10.00' }]);
  });
});
