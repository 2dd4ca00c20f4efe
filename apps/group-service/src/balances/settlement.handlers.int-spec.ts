/**
 * SettlementHandlers against real PostgreSQL with group-service's migrations: a group settlement moves
 * member balances exactly (payer +, payee −, per currency), the group's settled total in its currency and
 * its feed, once per settlement whatever the events; a reversal takes it back; and a member whose balance
 * is back to zero may leave.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import type { EventData } from '@tally/contracts';
import { IdentityProjectionRepository } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import { inTransaction, initOrm, runMigrations } from '@tally/persistence';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { GroupAccess } from '../access/group-access';
import { ActivityRepository } from '../activities/activity.repository';
import { ActivityService } from '../activities/activity.service';
import { GroupRepository } from '../groups/group.repository';
import { MembershipRepository } from '../memberships/membership.repository';
import { MembershipService } from '../memberships/membership.service';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { AppliedSettlementRepository } from './applied-settlement.repository';
import { ExpenseHandlers } from './expense.handlers';
import { MemberBalanceRepository } from './member-balance.repository';
import { SettlementHandlers } from './settlement.handlers';

const infra = infraFromEnv();
const dbName = `it_group_settlements_${randomBytes(4).toString('hex')}`;
let orm: MikroORM;
let pool: Pool;
let expenses: ExpenseHandlers;
let settlements: SettlementHandlers;
let memberships: MembershipService;

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 3 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 2 });
  const activity = new ActivityService(orm, new ActivityRepository());
  const users = new IdentityProjectionRepository({});
  expenses = new ExpenseHandlers(new GroupRepository(), new MemberBalanceRepository(), activity, users);
  settlements = new SettlementHandlers(new GroupRepository(), new MemberBalanceRepository(), new AppliedSettlementRepository(), activity, users);
  memberships = new MembershipService(orm, new GroupAccess(new GroupRepository(), new MembershipRepository()), new GroupRepository(), new MembershipRepository(),
    new MemberBalanceRepository(), activity, users, new OutboxWriter('group-service'));
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
const name = (u: string) => (u === a ? 'a' : u === b ? 'b' : 'c');

async function group(): Promise<string> {
  const id = randomUUID();
  await pool.query(`INSERT INTO groups (id, name, currency_id, currency) VALUES ($1, 'Trip', $2, 'EUR')`, [id, randomUUID()]);
  for (const [u, role] of [[a, 'admin'], [b, 'member'], [c, 'member']]) {
    await pool.query(`INSERT INTO group_memberships (id, user_id, group_id, role, status, is_active, joined_at) VALUES ($1, $2, $3, $4, 'accepted', TRUE, now())`, [randomUUID(), u, id, role]);
  }
  return id;
}

function settlement(groupId: string | null, payerId: string, payeeId: string, amount: string, currency = 'EUR'): EventData<'settlement.completed'> {
  const at = new Date().toISOString();
  return {
    settlementId: randomUUID(), groupId, payerId, payeeId, amount, currency, method: 'manual', status: 'completed',
    isConfirmedByPayer: true, isConfirmedByPayee: true, dueDate: null, completedAt: at, paymentId: null, byUserId: payerId, at,
  };
}

const complete = (d: EventData<'settlement.completed'>) => inTransaction(orm, (em) => settlements.onCompleted({ id: randomUUID(), time: d.at, data: d } as never, { em } as never));
const reverse = (d: EventData<'settlement.completed'>) =>
  inTransaction(orm, (em) => settlements.onReversed({ id: randomUUID(), time: d.at, data: { ...d, status: 'refunded' } } as never, { em } as never));

const balances = async (g: string) =>
  Object.fromEntries((await pool.query(`SELECT user_id, currency, balance::text AS balance FROM member_balances WHERE group_id = $1 AND balance <> 0`, [g])).rows
    .map((r) => [`${name(r.user_id)}:${r.currency}`, r.balance]));
const settled = async (g: string) => (await pool.query(`SELECT settled_amount::text AS s FROM groups WHERE id = $1`, [g])).rows[0].s;
const feed = async (g: string) =>
  (await pool.query(`SELECT activity_type, description, metadata FROM group_activities WHERE group_id = $1 AND activity_type LIKE 'settlement%' ORDER BY created_at, id`, [g])).rows;

describe('SettlementHandlers', () => {
  it('move member balances and the settled total once per settlement, take them back on a reversal, and let a member at zero leave', async () => {
    const g = await group();
    await inTransaction(orm, (em) => expenses.onCreated({ data: {
      expenseId: randomUUID(), groupId: g, title: 'Dinner', amount: '90.00', currency: 'EUR', expenseDate: '2026-11-30', categoryId: null, splitType: 'equal',
      payers: [{ userId: a, amount: '90.00' }], shares: [{ userId: a, amount: '30.00' }, { userId: b, amount: '30.00' }, { userId: c, amount: '30.00' }],
      isApproved: true, isDeleted: false, byUserId: a, at: new Date().toISOString(),
    } } as never, { em } as never));
    expect(await balances(g)).toEqual({ 'a:EUR': '60.000', 'b:EUR': '-30.000', 'c:EUR': '-30.000' });
    await expect(memberships.leave(b, g)).rejects.toMatchObject({ code: 'MEMBER_HAS_BALANCE' });

    const bPays = settlement(g, b, a, '30.00');
    await complete(bPays);
    await complete(bPays); // redelivered, or published again under another event id
    expect(await balances(g)).toEqual({ 'a:EUR': '30.000', 'c:EUR': '-30.000' });
    expect(await settled(g)).toBe('30.000');
    await memberships.leave(b, g); // b's balance is zero now
    expect((await pool.query(`SELECT status FROM group_memberships WHERE group_id = $1 AND user_id = $2`, [g, b])).rows[0].status).toBe('left');

    // another currency moves its own balances, never the group's settled total (in EUR)
    const yen = settlement(g, c, a, '1500', 'JPY');
    await complete(yen);
    expect(await balances(g)).toEqual({ 'a:EUR': '30.000', 'c:EUR': '-30.000', 'a:JPY': '-1500.000', 'c:JPY': '1500.000' });
    expect(await settled(g)).toBe('30.000');

    await reverse(yen);
    await reverse(yen); // once
    await complete(yen); // a completion after its reversal moves nothing
    expect(await balances(g)).toEqual({ 'a:EUR': '30.000', 'c:EUR': '-30.000' });
    expect(await settled(g)).toBe('30.000');

    await reverse(bPays);
    expect(await balances(g)).toEqual({ 'a:EUR': '60.000', 'b:EUR': '-30.000', 'c:EUR': '-30.000' });
    expect(await settled(g)).toBe('0.000');

    // one entry per settlement and reversal applied (the feed's order within a millisecond is by id: compared sorted)
    expect((await feed(g)).map((r) => `${r.activity_type} ${r.metadata.amount} ${r.metadata.currency}`).sort()).toEqual([
      'settlement_completed 1500 JPY', 'settlement_completed 30.00 EUR', 'settlement_reversed 1500 JPY', 'settlement_reversed 30.00 EUR',
    ]);
    expect((await feed(g)).map((r) => r.description)).toContain('Someone paid Someone 30.00 EUR'); // no names projected in this test
  });

  it('ignore settlements between friends and of groups it does not know, without failing', async () => {
    const before = (await pool.query(`SELECT count(*)::int AS n FROM member_balances`)).rows[0].n;
    await complete(settlement(null, a, b, '10.00'));
    await complete(settlement(randomUUID(), a, b, '10.00'));
    await reverse(settlement(randomUUID(), a, b, '10.00'));
    expect((await pool.query(`SELECT count(*)::int AS n FROM member_balances`)).rows[0].n).toBe(before);
  });
});
