/**
 * Recurring expenses against real PostgreSQL with expense-service's migrations: catching up month
 * ends from the anchor (31 Jan, 28 Feb, 31 Mar) as real expenses with exact shares and balances, two
 * generators at once making each occurrence once, a pause skipping its span, the end date, a template
 * that can no longer generate deactivated with its reason, and who may see and change a template.
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
import { CurrencyRepository } from '../currencies/currency.repository';
import { ExpenseRepository } from '../expenses/expense.repository';
import { ExpenseService } from '../expenses/expense.service';
import { GroupProjectionRepository } from '../groups/group-projection.repository';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { TagRepository } from '../tags/tag.repository';
import { todayUtc } from './recurrence-plan';
import { RecurringExpenseGenerator } from './recurring-expense-generator';
import { RecurringExpenseRepository } from './recurring-expense.repository';
import { RecurringExpenseService } from './recurring-expense.service';

const infra = infraFromEnv();
const dbName = `it_recurring_${randomBytes(4).toString('hex')}`;
let orm: MikroORM;
/** A second process's ORM: the other generator of the race. */
let orm2: MikroORM;
let pool: Pool;
let recurring: RecurringExpenseService;
let generator: RecurringExpenseGenerator;
let generator2: RecurringExpenseGenerator;
let balances: BalanceService;
const groups = new GroupProjectionRepository();
const memberships = new MembershipProjectionRepository();

function expenseService(o: MikroORM): ExpenseService {
  return new ExpenseService(o, new ExpenseRepository(), new CurrencyRepository(), new CategoryRepository(), groups, memberships,
    new FriendshipProjectionRepository(), new TagRepository(), new IdentityProjectionRepository({}), new OutboxWriter('expense-service'));
}

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 4 });
  await runMigrations(orm);
  orm2 = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 4 });
  pool = new Pool({ connectionString: url, max: 2 });
  const expenses = expenseService(orm);
  recurring = new RecurringExpenseService(orm, new RecurringExpenseRepository(), expenses, groups, new CurrencyRepository(), new OutboxWriter('expense-service'));
  generator = new RecurringExpenseGenerator(orm, new RecurringExpenseRepository(), expenses, new CurrencyRepository(), new OutboxWriter('expense-service'));
  generator2 = new RecurringExpenseGenerator(orm2, new RecurringExpenseRepository(), expenseService(orm2), new CurrencyRepository(), new OutboxWriter('expense-service'));
  balances = new BalanceService(orm, new BalanceRepository(), groups, new CurrencyRepository());
});

afterAll(async () => {
  await orm?.close(true);
  await orm2?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

const now = () => new Date().toISOString();
const people = () => [randomUUID(), randomUUID(), randomUUID()].sort();
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

async function member(g: string, id: string, role: 'admin' | 'member' | 'viewer' = 'member', active = true): Promise<void> {
  await inTransaction(orm, (em) => memberships.upsertMember(em, {
    membershipId: randomUUID(), groupId: g, userId: id, role, status: active ? 'accepted' : 'left', isActive: active, byUserId: id, at: now(),
  }, now()));
}

async function group(members: { id: string; role?: 'admin' | 'member' | 'viewer' }[]): Promise<string> {
  const g = randomUUID();
  await inTransaction(orm, (em) => groups.upsertGroup(em, {
    groupId: g, name: 'Flat', description: null, groupType: 'home', image: null, currency: 'EUR', isPrivate: false, isArchived: false,
    isActive: true, requiresApproval: false, memberCount: members.length, byUserId: members[0].id, at: now(),
  }, now()));
  for (const m of members) await member(g, m.id, m.role);
  return g;
}

const generatedOf = async (templateId: string) => (await pool.query(
  `SELECT o.occurrence_index, to_char(e.expense_date, 'YYYY-MM-DD') AS date, e.id, e.is_recurring, e.parent_expense_id, e.amount::text AS amount
     FROM recurring_expense_occurrences o JOIN expenses e ON e.id = o.expense_id WHERE o.recurring_expense_id = $1 ORDER BY o.occurrence_index`, [templateId])).rows;
const outbox = async (key: string) => (await pool.query(`SELECT type, payload FROM outbox WHERE key = $1 ORDER BY seq`, [key])).rows.map((r) => ({ type: r.type, data: r.payload.data }));
const template = async (id: string) => (await pool.query(`SELECT to_char(next_due_date, 'YYYY-MM-DD') AS next, is_active, deactivated_reason, is_paused FROM recurring_expenses WHERE id = $1`, [id])).rows[0];

describe('recurring expenses: generation', () => {
  it('monthly from 31 January catches up three months as 31 Jan, 28 Feb, 31 Mar, each with exact shares, then nothing more that day', async () => {
    const [a, b, c] = people();
    const g = await group([{ id: a }, { id: b }, { id: c }]);
    const t = await recurring.create(a, { title: 'Rent', amount: '100.00', groupId: g, frequency: 'monthly', startDate: '2026-01-31', split: { type: 'equal', userIds: [a, b, c] } } as never);
    expect(t).toMatchObject({ amount: '100.00', currency: 'EUR', frequency: 'monthly', interval: 1, nextDueDate: '2026-01-31', paidById: a, isActive: true });

    expect(await generator.run('2026-03-31')).toEqual({ generated: 3, deactivated: 0 });
    const rows = await generatedOf(t.id);
    expect(rows.map((r) => [r.occurrence_index, r.date, r.amount])).toEqual([[0, '2026-01-31', '100.000'], [1, '2026-02-28', '100.000'], [2, '2026-03-31', '100.000']]);
    expect(rows.every((r) => r.is_recurring)).toBe(true);
    expect(rows.map((r) => r.parent_expense_id)).toEqual([null, rows[0].id, rows[0].id]);
    const viewer = expenseService(orm);
    for (const r of rows) {
      const e = await viewer.get(b, r.id);
      // the leftover cent to the smallest user id, a
      expect(e.shares).toEqual([
        { userId: a, amount: '33.34', isSettled: false, settledAmount: '0.00' }, { userId: b, amount: '33.33', isSettled: false, settledAmount: '0.00' },
        { userId: c, amount: '33.33', isSettled: false, settledAmount: '0.00' },
      ]);
      expect(e).toMatchObject({ title: 'Rent', groupId: g, payers: [{ userId: a, amount: '100.00' }], createdById: a });
      const [created] = await outbox(r.id);
      expect(created).toMatchObject({ type: 'expense.created', data: { recurringExpenseId: t.id, expenseDate: r.date, byUserId: a, amount: '100.00' } });
    }
    // the balances moved by exactly three occurrences: a paid 300.00 and owes 100.02
    const eur = (await balances.group(a, g)).currencies[0];
    expect(Object.fromEntries(eur.balances.map((x) => [x.userId, x.amount]))).toEqual({ [a]: '199.98', [b]: '-99.99', [c]: '-99.99' });
    expect(await template(t.id)).toMatchObject({ next: '2026-04-30', is_active: true });
    expect((await recurring.get(b, t.id)).nextDueDate).toBe('2026-04-30');

    expect(await generator.run('2026-03-31')).toEqual({ generated: 0, deactivated: 0 });
    expect(await generator.run('2026-04-29')).toEqual({ generated: 0, deactivated: 0 });
    expect(await generator.run('2026-04-30')).toEqual({ generated: 1, deactivated: 0 });
    expect((await generatedOf(t.id)).map((r) => r.date)).toEqual(['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30']);
  });

  it('two generators at once make every occurrence exactly once', async () => {
    const [a, b] = people();
    const g = await group([{ id: a }, { id: b }]);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await recurring.create(a, { title: `Daily ${i}`, amount: '10.00', groupId: g, frequency: 'daily', startDate: daysAgo(7), split: { type: 'equal', userIds: [a, b] } } as never)).id);
    }
    const today = todayUtc();
    // (earlier tests' templates are due today too: count this group's rows, not the runs' totals)
    await Promise.all([generator.run(today), generator2.run(today)]);
    for (const id of ids) {
      const rows = await generatedOf(id);
      expect(rows.map((r) => r.occurrence_index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(new Set(rows.map((r) => r.date)).size).toBe(8);
      expect((await outbox(id)).length).toBe(1); // created only
    }
    const expenses = (await pool.query(`SELECT count(*)::int AS n FROM expenses WHERE group_id = $1`, [g])).rows[0].n;
    expect(expenses).toBe(4 * 8);
    // the same template asked of both at once, directly
    const more = await recurring.create(a, { title: 'Race', amount: '1.00', groupId: g, frequency: 'daily', startDate: daysAgo(3), split: { type: 'equal', userIds: [a, b] } } as never);
    const [x, y] = await Promise.all([generator.generate(more.id, today), generator2.generate(more.id, today)]);
    expect(x.generated + y.generated).toBe(4);
    expect((await generatedOf(more.id)).map((r) => r.occurrence_index)).toEqual([0, 1, 2, 3]);
  });

  it('a pause skips its span (not back-filled) and resumes by itself on its date; the end date ends it', async () => {
    const [a, b] = people();
    const g = await group([{ id: a }, { id: b }]);
    const t = await recurring.create(a, {
      title: 'Cleaning', amount: '30.00', groupId: g, frequency: 'weekly', startDate: '2026-01-05', endDate: '2026-02-16', split: { type: 'equal', userIds: [a, b] },
    } as never);
    expect(await generator.run('2026-01-05')).toMatchObject({ generated: 1 });
    await pool.query(`UPDATE recurring_expenses SET is_paused = TRUE, paused_until = '2026-01-26' WHERE id = $1`, [t.id]);
    expect(await generator.run('2026-01-25')).toMatchObject({ generated: 0 });
    expect(await generator.run('2026-01-27')).toMatchObject({ generated: 1 });
    expect((await generatedOf(t.id)).map((r) => r.date)).toEqual(['2026-01-05', '2026-01-26']);
    expect((await outbox(t.id)).map((e) => e.type)).toEqual(['recurring_expense.created', 'recurring_expense.resumed']);
    expect(await template(t.id)).toMatchObject({ next: '2026-02-02', is_paused: false, is_active: true });
    expect(await generator.run('2026-12-01')).toEqual({ generated: 3, deactivated: 1 });
    expect((await generatedOf(t.id)).map((r) => r.date)).toEqual(['2026-01-05', '2026-01-26', '2026-02-02', '2026-02-09', '2026-02-16']);
    expect(await template(t.id)).toMatchObject({ is_active: false, deactivated_reason: 'ENDED' });
    expect((await outbox(t.id)).at(-1)).toMatchObject({ type: 'recurring_expense.deactivated', data: { reason: 'ENDED', byUserId: null, isActive: false } });
    expect(await generator.run('2026-12-06')).toEqual({ generated: 0, deactivated: 0 });
  });

  it('a template that can no longer generate (a participant left the group) is deactivated with the reason, not retried forever', async () => {
    const [a, b, c] = people();
    const g = await group([{ id: a }, { id: b }, { id: c }]);
    const t = await recurring.create(a, { title: 'Internet', amount: '45.00', groupId: g, frequency: 'monthly', startDate: daysAgo(1), split: { type: 'equal', userIds: [a, b, c] } } as never);
    await member(g, c, 'member', false);
    expect(await generator.run(todayUtc())).toEqual({ generated: 0, deactivated: 1 });
    expect(await generatedOf(t.id)).toEqual([]);
    expect(await template(t.id)).toMatchObject({ is_active: false, deactivated_reason: 'NOT_A_PARTICIPANT:split' });
    expect((await outbox(t.id)).at(-1)).toMatchObject({ type: 'recurring_expense.deactivated', data: { reason: 'NOT_A_PARTICIPANT:split', isActive: false } });
    expect(await generator.run(todayUtc())).toEqual({ generated: 0, deactivated: 0 });
  });
});

describe('recurring expenses: a failure', () => {
  it('rolls back only its own template: the others of the sweep are generated, the sweep fails so the job is retried', async () => {
    const [a, b] = people();
    const g = await group([{ id: a }, { id: b }]);
    const body = { amount: '5.00', groupId: g, frequency: 'daily', startDate: daysAgo(1), split: { type: 'equal', userIds: [a, b] } };
    const broken = await recurring.create(a, { ...body, title: 'Broken' } as never);
    const fine = await recurring.create(a, { ...body, title: 'Fine' } as never);
    // occurrence 0 recorded already (against every rule) for another expense: generating it again must fail, not add a second one
    const squatter = await expenseService(orm).create(a, { title: 'Squatter', amount: '1.00', groupId: g, split: { type: 'equal', userIds: [a] } } as never);
    await pool.query(`INSERT INTO recurring_expense_occurrences (recurring_expense_id, occurrence_index, occurrence_date, expense_id) VALUES ($1, 0, $2, $3)`,
      [broken.id, daysAgo(1), squatter.id]);
    await expect(generator.run(todayUtc())).rejects.toThrow(/1 recurring expense\(s\) failed to generate/);
    expect((await generatedOf(fine.id)).map((r) => r.occurrence_index)).toEqual([0, 1]);
    // the broken one generated nothing of its own and stays due
    expect((await pool.query(`SELECT count(*)::int AS n FROM expenses WHERE title = 'Broken'`)).rows[0].n).toBe(0);
    expect(await template(broken.id)).toMatchObject({ next: daysAgo(1), is_active: true });
    await recurring.remove(a, broken.id); // the later tests' sweeps would fail on it too
  });
});

describe('recurring expenses: the API rules', () => {
  it('someone else\'s template is 404; a viewer cannot set one up (403); bad dates and splits are 400', async () => {
    const [a, b, v] = people();
    const outsider = randomUUID();
    const g = await group([{ id: a, role: 'admin' }, { id: b }, { id: v, role: 'viewer' }]);
    const base = { title: 'Gym', amount: '20.00', groupId: g, frequency: 'monthly', startDate: todayUtc(), split: { type: 'equal', userIds: [a, b] } };
    const t = await recurring.create(b, base as never);
    await expect(recurring.get(outsider, t.id)).rejects.toMatchObject({ code: 'RECURRING_EXPENSE_NOT_FOUND', status: 404 });
    await expect(recurring.pause(outsider, t.id, {})).rejects.toMatchObject({ status: 404 });
    await expect(recurring.get(a, randomUUID())).rejects.toMatchObject({ status: 404 });
    await expect(recurring.create(outsider, base as never)).rejects.toMatchObject({ code: 'GROUP_NOT_FOUND', status: 404 });
    expect((await recurring.get(v, t.id)).id).toBe(t.id); // a viewer reads
    await expect(recurring.create(v, base as never)).rejects.toMatchObject({ code: 'GROUP_VIEWER_READ_ONLY', status: 403 });
    await expect(recurring.pause(v, t.id, {})).rejects.toMatchObject({ status: 403 });

    await expect(recurring.create(a, { ...base, startDate: '2026-02-30' } as never)).rejects.toMatchObject({ code: 'INVALID_RECURRING_EXPENSE', status: 400 });
    await expect(recurring.create(a, { ...base, startDate: '2020-01-01' } as never)).rejects.toMatchObject({ status: 400 });
    await expect(recurring.create(a, { ...base, endDate: daysAgo(1) } as never)).rejects.toMatchObject({ status: 400 });
    await expect(recurring.create(a, { ...base, amount: '20.005' } as never)).rejects.toMatchObject({ code: 'INVALID_SPLIT', status: 400 });
    await expect(recurring.create(a, { ...base, split: { type: 'exact', amounts: [{ userId: a, amount: '5.00' }] } } as never)).rejects.toMatchObject({ code: 'INVALID_SPLIT', status: 400 });
    await expect(recurring.create(a, { ...base, split: { type: 'equal', userIds: [a, outsider] } } as never)).rejects.toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    await expect(recurring.pause(b, t.id, { until: todayUtc() })).rejects.toMatchObject({ status: 400 });

    // whoever set it up, the payer or an admin change it; a plain member who is neither cannot
    const byAdmin = await recurring.create(a, { ...base, paidById: a } as never);
    await expect(recurring.update(b, byAdmin.id, { title: 'Mine now' })).rejects.toMatchObject({ code: 'NOT_RECURRING_EXPENSE_OWNER', status: 403 });
    expect((await recurring.update(a, t.id, { amount: '21.00' })).amount).toBe('21.00');
    await expect(recurring.resume(b, t.id)).rejects.toMatchObject({ code: 'RECURRING_EXPENSE_NOT_PAUSED', status: 409 });
    const paused = await recurring.pause(b, t.id, { until: '2027-01-01' });
    expect(paused).toMatchObject({ isPaused: true, pausedUntil: '2027-01-01' });
    expect((await recurring.resume(b, t.id))).toMatchObject({ isPaused: false, pausedUntil: null, nextDueDate: todayUtc() });
    const deleted = await recurring.remove(b, t.id);
    expect(deleted.isActive).toBe(false);
    await expect(recurring.update(b, t.id, { title: 'x' })).rejects.toMatchObject({ code: 'RECURRING_EXPENSE_INACTIVE', status: 409 });
    expect((await outbox(t.id)).map((e) => e.type)).toEqual([
      'recurring_expense.created', 'recurring_expense.updated', 'recurring_expense.paused', 'recurring_expense.resumed', 'recurring_expense.deleted',
    ]);

    // the list: the group's members see its templates, newest first, by cursor pages; deleted ones on request
    const active = await recurring.list(b, { limit: 1, groupId: g } as never);
    expect(active.items.map((x) => x.id)).toEqual([byAdmin.id]);
    expect(active.nextCursor).toBeNull();
    const page1 = await recurring.list(b, { limit: 1, groupId: g, includeInactive: 'true' } as never);
    expect(page1.items.map((x) => x.id)).toEqual([byAdmin.id]);
    const page2 = await recurring.list(b, { limit: 1, groupId: g, includeInactive: 'true', cursor: page1.nextCursor! } as never);
    expect(page2.items.map((x) => [x.id, x.isActive])).toEqual([[t.id, false]]);
    expect(page2.nextCursor).toBeNull();
    await expect(recurring.list(b, { limit: 1, cursor: 'bm90LWEtY3Vyc29y' } as never)).rejects.toMatchObject({ code: 'INVALID_CURSOR', status: 400 });
    expect((await recurring.list(outsider, { limit: 10 } as never)).items).toEqual([]);
  });

  it('the schedule is fixed once something was generated; an edit changes only what comes next', async () => {
    const [a, b] = people();
    const g = await group([{ id: a }, { id: b }]);
    const t = await recurring.create(a, { title: 'Phone', amount: '10.00', groupId: g, frequency: 'daily', startDate: daysAgo(1), split: { type: 'equal', userIds: [a, b] } } as never);
    expect((await recurring.update(a, t.id, { interval: 2 })).interval).toBe(2);
    await generator.generate(t.id, todayUtc());
    await expect(recurring.update(a, t.id, { frequency: 'weekly' })).rejects.toMatchObject({ code: 'RECURRING_SCHEDULE_FIXED', status: 409 });
    const before = await generatedOf(t.id);
    await recurring.update(a, t.id, { amount: '12.00', split: { type: 'exact', amounts: [{ userId: a, amount: '2.00' }, { userId: b, amount: '10.00' }] } });
    expect((await generatedOf(t.id)).map((r) => r.amount)).toEqual(before.map((r) => r.amount));
    expect(before[0].amount).toBe('10.000');
  });
});
