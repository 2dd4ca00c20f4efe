import { Job, Queue } from 'bullmq';
import { JobName, Queues } from '@tally/contracts';
import { SmtpCatcher, TallySystem, expectEventually, infraFromEnv } from '@tally/testing';
import { ApiResponse, call, expectProblem, signUpVerified, startSystem } from './support';

interface Person {
  id: string;
  token: string;
}

const G = '/api/v1/groups';
const R = '/api/v1/recurring-expenses';
const E = '/api/v1/expenses';
const N = '/api/v1/notifications';

/**
 * Recurring expenses through the gateway: a group member sets one up starting today, expense-worker
 * (its schedule every second here) generates today's occurrence as a real expense, the group's
 * balances move by exactly its shares, the other member gets an in-app `recurring_expense_generated`
 * notification about it, and running the job again generates nothing more.
 */
describe('recurring expenses through the gateway', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;
  let ann: Person;
  let bob: Person;
  let out: Person;
  let groupId: string;
  let queue: Queue;

  const as = (who: Person) => ({
    get: (path: string) => call(gw, 'GET', path, { token: who.token }),
    post: (path: string, body?: unknown) => call(gw, 'POST', path, { token: who.token, body }),
  });
  const today = () => new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    ({ system, smtp } = await startSystem());
    gw = system.gatewayUrl;
    [ann, bob, out] = await Promise.all(['rann', 'rbob', 'rout'].map((t) => signUpVerified(system, smtp, t)));
    let group!: ApiResponse;
    await expectEventually(async () => {
      group = await as(ann).post(G, { name: 'Flat share', currency: 'EUR' });
      expect(group.status).toBe(201);
    }, { timeoutMs: 30_000 });
    groupId = group.body.id;
    expect((await as(bob).post(`${G}/join`, { inviteCode: group.body.inviteCode })).status).toBe(200);
    queue = new Queue(Queues.recurringExpenses, { connection: { url: infraFromEnv().redisUrl }, prefix: `t-${system.runId}` });
  }, 240_000);

  afterAll(async () => {
    await queue?.close();
    await system?.stop();
    await smtp?.stop();
  });

  it('generates today\'s occurrence once, moves the balances exactly and tells the other member', async () => {
    const split = { type: 'equal', userIds: [ann.id, bob.id] };
    // expense-service knows the group's members once it has seen their membership events
    let created!: ApiResponse;
    await expectEventually(async () => {
      created = await as(ann).post(R, { title: 'Rent', amount: '1000.01', groupId, frequency: 'monthly', startDate: today(), split });
      expect(created.status).toBe(201);
    }, { timeoutMs: 30_000, intervalMs: 250, what: 'the group in expense-service' });
    const t = created.body;
    expect(t).toMatchObject({ amount: '1000.01', currency: 'EUR', frequency: 'monthly', interval: 1, startDate: today(), paidById: ann.id, isActive: true });

    // the worker generates it within a few of its one-second runs
    const generated = async () => ((await as(bob).get(`${E}?groupId=${groupId}`)).body.items as { id: string; title: string; expenseDate: string; shares: { userId: string; amount: string }[] }[]);
    await expectEventually(async () => expect(await generated()).toHaveLength(1), { timeoutMs: 30_000, what: 'the generated expense' });
    const [expense] = await generated();
    expect(expense).toMatchObject({ title: 'Rent', expenseDate: today() });
    // 1000.01 between two: the leftover cent to the smaller user id
    const [lo, hi] = [ann.id, bob.id].sort();
    expect(Object.fromEntries(expense.shares.map((s) => [s.userId, s.amount]))).toEqual({ [lo]: '500.01', [hi]: '500.00' });
    const next = (await as(ann).get(`${R}/${t.id}`)).body;
    expect(next.nextDueDate > today()).toBe(true);

    const balances = (await as(bob).get(`/api/v1/balances/groups/${groupId}`)).body.currencies as { currency: string; balances: { userId: string; amount: string }[] }[];
    expect(balances.map((c) => c.currency)).toEqual(['EUR']);
    const bobOwes = ann.id < bob.id ? '-500.00' : '-500.01';
    const annGets = ann.id < bob.id ? '500.00' : '500.01';
    expect(Object.fromEntries(balances[0].balances.map((b) => [b.userId, b.amount]))).toEqual({ [ann.id]: annGets, [bob.id]: bobOwes });

    // bob is told, in-app, about the expense (and so is ann, who set it up: nobody added it by hand)
    const inbox = async (who: Person) => ((await as(who).get(`${N}?type=recurring_expense_generated&limit=100`)).body.items as { relatedObjectId: string; actionUrl: string; type: string }[]);
    await expectEventually(async () => expect(await inbox(bob)).toHaveLength(1), { timeoutMs: 30_000, what: 'the notification' });
    expect((await inbox(bob))[0]).toMatchObject({ type: 'recurring_expense_generated', relatedObjectId: expense.id, actionUrl: `/expenses/${expense.id}` });
    await expectEventually(async () => expect(await inbox(ann)).toHaveLength(1), { timeoutMs: 30_000, what: 'the creator\'s notification' });
    const added = ((await as(bob).get(`${N}?type=expense_added&limit=100`)).body.items as { relatedObjectId: string }[]).filter((n) => n.relatedObjectId === expense.id);
    expect(added).toEqual([]);

    // the job once more, by hand: nothing more to generate
    const again = await queue.add(JobName.GenerateRecurringExpenses, {}, { jobId: `again-${Date.now()}` });
    await expectEventually(async () => expect(await again.getState()).toBe('completed'), { timeoutMs: 30_000, what: 'the extra run' });
    expect((await Job.fromId(queue, again.id!))!.returnvalue).toEqual({ generated: 0, deactivated: 0 });
    expect(await generated()).toHaveLength(1);
    const after = (await as(bob).get(`/api/v1/balances/groups/${groupId}`)).body.currencies;
    expect(after).toEqual(balances);
    expect(await inbox(bob)).toHaveLength(1);
  }, 120_000);

  it('someone else\'s template is 404, bad input 400 problem+json', async () => {
    const t = (await as(ann).get(`${R}?groupId=${groupId}`)).body.items[0];
    expectProblem(await as(out).get(`${R}/${t.id}`), 404, 'RECURRING_EXPENSE_NOT_FOUND');
    expectProblem(await as(out).post(`${R}/${t.id}/pause`, {}), 404);
    expect((await as(out).get(R)).body.items).toEqual([]);
    expectProblem(await as(ann).post(R, { title: 'x', amount: '1.00', groupId, frequency: 'hourly', startDate: today(), split: { type: 'equal', userIds: [ann.id] } }), 400);
    expectProblem(await as(ann).post(R, { title: 'x', amount: '1.00', groupId, frequency: 'daily', startDate: '2026-02-30', split: { type: 'equal', userIds: [ann.id] } }), 400);
    expectProblem(await as(ann).post(R, { title: 'x', amount: '1.00', groupId, frequency: 'daily', interval: 0, startDate: today(), split: { type: 'equal', userIds: [ann.id] } }), 400);
    expectProblem(await as(ann).get(`${R}/not-a-uuid`), 400, 'INVALID_ID');
  });
});
