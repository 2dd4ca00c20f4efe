/**
 * ProfileTotalsHandlers against real PostgreSQL (auth's migrations): a payer's total (US cents at the
 * rate snapshotted on the expense) and count, and a member's group count, follow expense.* and
 * membership.* events exactly, edits and deletions included.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { inTransaction, initOrm, runMigrations } from '@tally/persistence';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { ProfileRepository } from './profile.repository';
import { ProfileTotalsHandlers } from './profile-totals.handlers';

const infra = infraFromEnv();
const dbName = `it_auth_totals_${randomBytes(4).toString('hex')}`;
let orm: MikroORM;
let pool: Pool;
const handlers = new ProfileTotalsHandlers(new ProfileRepository());

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 2 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 2 });
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

async function user(): Promise<string> {
  const id = randomUUID();
  await pool.query(`INSERT INTO users (id, username, email, password, is_verified) VALUES ($1, $2, $3, 'x', TRUE)`, [id, `u_${id.slice(0, 8)}`, `${id}@example.com`]);
  return id;
}

const totals = async (id: string) =>
  (await pool.query(`SELECT total_expenses::text AS total, expense_count AS count, total_groups AS groups FROM user_profiles WHERE user_id = $1`, [id])).rows[0];

const run = (fn: (em: never) => Promise<unknown>) => inTransaction(orm, (em) => fn(em as never) as Promise<unknown>);

describe('ProfileTotalsHandlers', () => {
  it("count a payer's expenses and their total in US dollars at the expense's rate, through edits, deletion and restore", async () => {
    const [ann, bob] = [await user(), await user()];
    const base = { expenseId: randomUUID(), groupId: null, title: 'Hotel', expenseDate: '2026-11-30', categoryId: null, splitType: 'equal' as const,
      shares: [{ userId: ann, amount: '50.00' }, { userId: bob, amount: '50.00' }], isApproved: true, isDeleted: false, byUserId: ann, at: new Date().toISOString() };
    const created = { ...base, amount: '100.00', currency: 'EUR', rateToUsd: '1.0845000000', payers: [{ userId: ann, amount: '100.00' }] };
    await run((em) => handlers.onCreated({ data: created } as never, { em } as never));
    expect(await totals(ann)).toEqual({ total: '108.45', count: 1, groups: 0 });

    const money = (d: typeof created) => ({ amount: d.amount, currency: d.currency, rateToUsd: d.rateToUsd, payers: d.payers, shares: d.shares, isApproved: d.isApproved, isDeleted: d.isDeleted });
    const edited = { ...created, amount: '100.00', payers: [{ userId: ann, amount: '60.00' }, { userId: bob, amount: '40.00' }], previous: money(created) };
    await run((em) => handlers.onUpdated({ data: edited } as never, { em } as never));
    expect(await totals(ann)).toEqual({ total: '65.07', count: 1, groups: 0 });
    expect(await totals(bob)).toEqual({ total: '43.38', count: 1, groups: 0 });

    await run((em) => handlers.onDeleted({ data: { ...edited, isDeleted: true, previous: money(edited) } } as never, { em } as never));
    expect(await totals(ann)).toEqual({ total: '0.00', count: 0, groups: 0 });
    expect(await totals(bob)).toEqual({ total: '0.00', count: 0, groups: 0 });

    // a currency with no known rate adds to the count only
    const yen = { ...base, amount: '1000', currency: 'JPY', rateToUsd: null, payers: [{ userId: bob, amount: '1000' }] };
    await run((em) => handlers.onCreated({ data: yen } as never, { em } as never));
    expect(await totals(bob)).toEqual({ total: '0.00', count: 1, groups: 0 });
  });

  it('count the groups a user is in', async () => {
    const ann = await user();
    const m = { membershipId: randomUUID(), groupId: randomUUID(), userId: ann, role: 'member' as const, status: 'accepted' as const, isActive: true, byUserId: ann, at: new Date().toISOString() };
    await run((em) => handlers.onJoined({ data: m } as never, { em } as never));
    await run((em) => handlers.onJoined({ data: { ...m, groupId: randomUUID() } } as never, { em } as never));
    await run((em) => handlers.onLeft({ data: m } as never, { em } as never));
    expect(await totals(ann)).toMatchObject({ groups: 1 });
  });
});
