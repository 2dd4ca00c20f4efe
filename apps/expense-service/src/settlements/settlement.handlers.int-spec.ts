/**
 * SettlementHandlers against real PostgreSQL with expense-service's migrations: completed settlements
 * move every balance view and settle the shares they pay (ADR 12), exactly once per settlement whatever
 * the events, and a reversal takes back exactly what its settlement did.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import type { EventData } from '@tally/contracts';
import { IdentityProjectionRepository } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import { inTransaction, initOrm, runMigrations } from '@tally/persistence';
import { FriendshipProjectionRepository, MembershipProjectionRepository } from '@tally/projections';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { BalanceRepository } from '../balances/balance.repository';
import { BalanceService } from '../balances/balance.service';
import { CategoryRepository } from '../categories/category.repository';
import { CurrencyRepository } from '../currencies/currency.repository';
import { CurrencyService } from '../currencies/currency.service';
import { ExpenseRepository } from '../expenses/expense.repository';
import { ExpenseService, ExpenseView } from '../expenses/expense.service';
import { GroupProjectionRepository } from '../groups/group-projection.repository';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { TagRepository } from '../tags/tag.repository';
import { SettlementHandlers } from './settlement.handlers';
import { SettlementRepository } from './settlement.repository';
import { SettlementService } from './settlement.service';

const infra = infraFromEnv();
const dbName = `it_settlements_${randomBytes(4).toString('hex')}`;
let orm: MikroORM;
let pool: Pool;
let expenses: ExpenseService;
let balances: BalanceService;
let handlers: SettlementHandlers;
const groups = new GroupProjectionRepository();
const memberships = new MembershipProjectionRepository();
const friendships = new FriendshipProjectionRepository();

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 4 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 2 });
  expenses = new ExpenseService(orm, new ExpenseRepository(), new CurrencyRepository(), new CategoryRepository(), groups, memberships,
    friendships, new TagRepository(), new IdentityProjectionRepository({}), new OutboxWriter('expense-service'));
  balances = new BalanceService(orm, new BalanceRepository(), groups, new CurrencyRepository());
  handlers = new SettlementHandlers(new SettlementService(new SettlementRepository(), new BalanceRepository()));
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

const now = () => new Date().toISOString();
const people = () => [randomUUID(), randomUUID(), randomUUID()].sort();

async function group(members: string[]): Promise<string> {
  const g = randomUUID();
  await inTransaction(orm, async (em) => {
    await groups.upsertGroup(em, {
      groupId: g, name: 'Trip', description: null, groupType: 'trip', image: null, currency: 'EUR', isPrivate: false, isArchived: false,
      isActive: true, requiresApproval: false, memberCount: members.length, byUserId: members[0], at: now(),
    }, now());
    for (const m of members) {
      await memberships.upsertMember(em, { membershipId: randomUUID(), groupId: g, userId: m, role: 'member', status: 'accepted', isActive: true, byUserId: m, at: now() }, now());
    }
  });
  return g;
}

async function befriend(a: string, b: string): Promise<void> {
  await inTransaction(orm, (em) => friendships.apply(em, { friendshipId: randomUUID(), fromUserId: a, toUserId: b, status: 'accepted', byUserId: b, message: null, at: now() }, now()));
}

type Settlement = EventData<'settlement.completed'>;

function settlement(payerId: string, payeeId: string, amount: string, currency: string, groupId: string | null): Settlement {
  const at = now();
  return {
    settlementId: randomUUID(), groupId, payerId, payeeId, amount, currency, method: 'manual', status: 'completed',
    isConfirmedByPayer: true, isConfirmedByPayee: true, dueDate: null, completedAt: at, paymentId: null, byUserId: payeeId, at,
  };
}

/** As the consumer applies an event: the handler in one transaction (the inbox lives in the same one in the app). */
const complete = (d: Settlement, eventId = randomUUID()) =>
  inTransaction(orm, (em) => handlers.onCompleted({ id: eventId, type: 'settlement.completed', time: now(), subject: d.settlementId, data: d } as never, { em } as never));
const reverse = (d: Settlement, eventId = randomUUID()) =>
  inTransaction(orm, (em) => handlers.onReversed({ id: eventId, type: 'settlement.reversed', time: now(), subject: d.settlementId, data: { ...d, status: 'refunded', at: now() } } as never, { em } as never));

const nets = async (me: string, g: string) =>
  Object.fromEntries((await balances.group(me, g)).currencies.flatMap((c) => c.balances.map((b) => [`${b.userId}:${c.currency}`, b.amount])));
const shareOf = (e: ExpenseView, userId: string) => e.shares.find((s) => s.userId === userId)!;
const get = (me: string, e: ExpenseView) => expenses.get(me, e.id);

describe('settlements', () => {
  it('settle a group up through its suggested transfers: every balance zero, no transfers left, every share and expense settled; a reversal takes back exactly its own', async () => {
    const [a, b, c] = people();
    const g = await group([a, b, c]);
    const hotel = await expenses.create(a, { title: 'Hotel', amount: '90.00', groupId: g, expenseDate: '2026-11-01', split: { type: 'equal', userIds: [a, b, c] } } as never);
    const dinner = await expenses.create(b, { title: 'Dinner', amount: '30.00', groupId: g, expenseDate: '2026-11-02', split: { type: 'equal', userIds: [a, b, c] } } as never);
    const sushi = await expenses.create(c, { title: 'Sushi', amount: '3000', currency: 'JPY', groupId: g, split: { type: 'equal', userIds: [b, c] } } as never);
    expect(await nets(a, g)).toEqual({ [`${a}:EUR`]: '50.00', [`${b}:EUR`]: '-10.00', [`${c}:EUR`]: '-40.00', [`${b}:JPY`]: '-1500', [`${c}:JPY`]: '1500' });

    const suggested = (await balances.group(a, g)).currencies.flatMap((x) => x.transfers.map((t) => settlement(t.from, t.to, t.amount, x.currency, g)));
    expect(suggested.map((s) => [s.payerId, s.payeeId, s.amount, s.currency])).toEqual(expect.arrayContaining([[b, a, '10.00', 'EUR'], [c, a, '40.00', 'EUR'], [b, c, '1500', 'JPY']]));
    expect(suggested).toHaveLength(3);
    const bToA = suggested.find((s) => s.payerId === b && s.currency === 'EUR')!;
    const cToA = suggested.find((s) => s.payerId === c)!;
    const yen = suggested.find((s) => s.currency === 'JPY')!;

    // b pays a 10.00: a third of b's hotel share (a is its creditor), nothing settled in full yet
    await complete(bToA);
    expect(await nets(a, g)).toMatchObject({ [`${a}:EUR`]: '40.00', [`${c}:EUR`]: '-40.00' });
    expect(shareOf(await get(a, hotel), b)).toEqual({ userId: b, amount: '30.00', isSettled: false, settledAmount: '10.00' });

    await complete(cToA);
    await complete(yen);
    const after = await balances.group(a, g);
    expect(after.currencies).toEqual([]); // every balance exactly zero: no suggested transfers
    expect((await balances.group(a, g, false)).currencies).toEqual([]);
    expect(await balances.mine(b)).toEqual({ totals: [], groups: [], friends: [] });
    for (const e of [hotel, dinner, sushi]) {
      const now = await get(a, e);
      expect(now.isSettled).toBe(true);
      for (const s of now.shares) expect(s).toMatchObject({ isSettled: true, settledAmount: s.amount });
    }
    expect((await expenses.list(a, { limit: 10, groupId: g, settled: 'false' } as never)).items).toEqual([]);
    // the books closed with c's payment: what b still had open on the hotel, and the payers' own parts
    const { rows: finishedBy } = await pool.query(`SELECT user_id, settlement_id FROM expense_shares WHERE expense_id = $1 ORDER BY user_id`, [hotel.id]);
    expect(finishedBy.map((r) => r.settlement_id)).toEqual([cToA.settlementId, cToA.settlementId, cToA.settlementId]);

    // the explain view lists the settlements a took
    const why = await balances.explain(a, g, a, 'EUR');
    expect(why.balance).toBe('0.00');
    expect(why.settlements.map((s) => [s.payerId, s.received, s.net]).sort()).toEqual([[b, '10.00', '-10.00'], [c, '40.00', '-40.00']].sort());
    // converted at the latest rates: still zero
    const currencies = new CurrencyService(orm, new CurrencyRepository());
    await currencies.setRate({ id: randomUUID(), role: 'admin' }, 'EUR', '1.0845000000', '2026-11-30');
    await currencies.setRate({ id: randomUUID(), role: 'admin' }, 'JPY', '0.0066600000', '2026-11-30');
    expect(await balances.groupConverted(a, g, 'USD')).toMatchObject({ balances: [], transfers: [], missingRates: [] });

    // a settled share can no longer change its amounts
    await expect(expenses.update(a, hotel.id, { amount: '99.00' } as never)).rejects.toMatchObject({ code: 'EXPENSE_SETTLED' });

    // c's payment is refunded: balances as before it, and exactly what it paid or closed is open again
    await reverse(cToA);
    expect(await nets(a, g)).toEqual({ [`${a}:EUR`]: '40.00', [`${c}:EUR`]: '-40.00' });
    const hotelNow = await get(a, hotel);
    expect(hotelNow.isSettled).toBe(false);
    expect(Object.fromEntries(hotelNow.shares.map((s) => [s.userId, [s.isSettled, s.settledAmount]]))).toEqual({
      [a]: [false, '0.00'], [b]: [false, '10.00'], [c]: [false, '0.00'],
    });
    const dinnerNow = await get(a, dinner);
    expect(dinnerNow.isSettled).toBe(false);
    expect(dinnerNow.shares.every((s) => !s.isSettled && s.settledAmount === '0.00')).toBe(true);
    expect((await get(a, sushi)).isSettled).toBe(true); // the JPY settlement is untouched
    const { rows: left } = await pool.query(`SELECT count(*)::int AS n FROM share_settlements WHERE settlement_id = $1`, [cToA.settlementId]);
    expect(left[0].n).toBe(0);

    // the reversal again, and the completion again after it: nothing moves
    await reverse(cToA);
    await complete(cToA);
    expect(await nets(a, g)).toEqual({ [`${a}:EUR`]: '40.00', [`${c}:EUR`]: '-40.00' });
    expect(shareOf(await get(a, hotel), b).settledAmount).toBe('10.00');
  });

  it('leave a share partly paid with its exact settled amount, and apply a settlement once however often it comes', async () => {
    const [a, b] = people();
    const g = await group([a, b]);
    const fuel = await expenses.create(a, { title: 'Fuel', amount: '50.00', groupId: g, split: { type: 'equal', userIds: [a, b] } } as never);
    const snacks = await expenses.create(a, { title: 'Snacks', amount: '7.01', groupId: g, split: { type: 'exact', amounts: [{ userId: a, amount: '3.50' }, { userId: b, amount: '3.51' }] } } as never);
    const s = settlement(b, a, '26.34', 'EUR', g);
    const eventId = randomUUID();
    await complete(s, eventId);
    await complete(s, eventId); // delivered twice
    await complete(s); // published again under another event id
    expect(await nets(a, g)).toEqual({ [`${a}:EUR`]: '2.17', [`${b}:EUR`]: '-2.17' });
    // oldest first: the fuel share in full (then a's own part of it), 1.34 of the snacks share
    const fuelNow = await get(a, fuel);
    expect(fuelNow.isSettled).toBe(true);
    expect(shareOf(fuelNow, b)).toEqual({ userId: b, amount: '25.00', isSettled: true, settledAmount: '25.00' });
    expect(shareOf(fuelNow, a)).toMatchObject({ isSettled: true, settledAmount: '25.00' });
    const snacksNow = await get(a, snacks);
    expect(snacksNow.isSettled).toBe(false);
    expect(shareOf(snacksNow, b)).toEqual({ userId: b, amount: '3.51', isSettled: false, settledAmount: '1.34' });
    expect(shareOf(snacksNow, a)).toEqual({ userId: a, amount: '3.50', isSettled: false, settledAmount: '0.00' });
    const { rows } = await pool.query(`SELECT count(*)::int AS n, sum(amount)::text AS total FROM share_settlements WHERE settlement_id = $1`, [s.settlementId]);
    expect(rows[0]).toEqual({ n: 3, total: '51.340' }); // 25.00 + 1.34 paid, 25.00 of a's own part
    // a partly paid share cannot change its amounts either
    await expect(expenses.update(a, snacks.id, { amount: '8.00' } as never)).rejects.toMatchObject({ code: 'EXPENSE_SETTLED' });

    await reverse(s);
    expect(await nets(a, g)).toEqual({ [`${a}:EUR`]: '28.51', [`${b}:EUR`]: '-28.51' });
    for (const e of [fuel, snacks]) {
      const x = await get(a, e);
      expect(x.isSettled).toBe(false);
      expect(x.shares.every((sh) => !sh.isSettled && /^0\.00$/.test(sh.settledAmount))).toBe(true);
    }
  });

  it('apply two settlements of one group at the same moment without deadlock or a cent twice', async () => {
    const [a, b, c] = people();
    const g = await group([a, b, c]);
    await expenses.create(a, { title: 'Boat', amount: '60.00', groupId: g, split: { type: 'equal', userIds: [a, b, c] } } as never);
    await expenses.create(a, { title: 'Fish', amount: '30.00', groupId: g, split: { type: 'equal', userIds: [a, b, c] } } as never);
    await Promise.all([complete(settlement(b, a, '30.00', 'EUR', g)), complete(settlement(c, a, '30.00', 'EUR', g))]);
    expect((await balances.group(a, g)).currencies).toEqual([]);
    const { rows } = await pool.query(`SELECT bool_and(s.is_settled) AS all_settled, bool_and(e.is_settled) AS expenses_settled, sum(s.settled_amount)::text AS settled
      FROM expenses e JOIN expense_shares s ON s.expense_id = e.id WHERE e.group_id = $1`, [g]);
    expect(rows[0]).toEqual({ all_settled: true, expenses_settled: true, settled: '90.000' });
  });

  it('between friends outside groups: the pair only, per currency', async () => {
    const [a, b, c] = people();
    await befriend(a, b);
    await befriend(b, c);
    const cinema = await expenses.create(a, { title: 'Cinema', amount: '20.00', currency: 'EUR', split: { type: 'equal', userIds: [a, b] } } as never);
    const taxi = await expenses.create(c, { title: 'Taxi', amount: '30.00', currency: 'EUR', split: { type: 'equal', userIds: [b, c] } } as never);
    expect((await balances.mine(b)).friends).toEqual([{ userId: a, currency: 'EUR', amount: '-10.00' }, { userId: c, currency: 'EUR', amount: '-15.00' }].sort((x, y) => (x.userId < y.userId ? -1 : 1)));

    const s = settlement(b, a, '10.00', 'EUR', null);
    await complete(s);
    await complete(s);
    expect((await balances.mine(a))).toEqual({ totals: [], groups: [], friends: [] });
    expect((await balances.mine(b)).friends).toEqual([{ userId: c, currency: 'EUR', amount: '-15.00' }]);
    expect((await balances.mine(b)).totals).toEqual([{ currency: 'EUR', amount: '-15.00' }]);
    const cinemaNow = await get(a, cinema);
    expect(cinemaNow.isSettled).toBe(true);
    expect(cinemaNow.shares.every((x) => x.isSettled && x.settledAmount === '10.00')).toBe(true);
    expect((await get(b, taxi)).shares.every((x) => !x.isSettled && x.settledAmount === '0.00')).toBe(true); // owed to c, not a

    await reverse(s);
    expect((await balances.mine(a)).friends).toEqual([{ userId: b, currency: 'EUR', amount: '10.00' }]);
    expect((await get(a, cinema)).isSettled).toBe(false);
  });
});
