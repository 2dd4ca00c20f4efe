import { SmtpCatcher, TallySystem, expectEventually } from '@tally/testing';
import { ApiResponse, call, expectProblem, signUpVerified, startSystem } from './support';

interface Person {
  id: string;
  token: string;
}

const G = '/api/v1/groups';
const B = '/api/v1/budgets';
const E = '/api/v1/expenses';
const N = '/api/v1/notifications';
const A = '/api/v1/analytics/budgets';

/**
 * Budgets through the gateway: Ann sets a monthly 100.00 EUR budget on Food & drink; Bob adds group
 * dinners in that category that give her a share of 85.00 each. expense-service publishes the budget
 * and the expenses, analytics-service follows her spending and announces the crossings, and
 * notification-service tells her in-app: 80 % after the first dinner, 100 % after the second, once
 * each. Her budgets' figures in analytics are exact; Bob never sees her budget.
 */
describe('budgets through the gateway', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;
  let ann: Person;
  let bob: Person;
  let groupId: string;
  let food: string;

  const as = (who: Person) => ({
    get: (path: string) => call(gw, 'GET', path, { token: who.token }),
    post: (path: string, body?: unknown) => call(gw, 'POST', path, { token: who.token, body }),
    patch: (path: string, body?: unknown) => call(gw, 'PATCH', path, { token: who.token, body }),
    delete: (path: string) => call(gw, 'DELETE', path, { token: who.token }),
  });
  const today = () => new Date().toISOString().slice(0, 10);
  const monthStart = () => `${today().slice(0, 8)}01`;

  beforeAll(async () => {
    ({ system, smtp } = await startSystem());
    gw = system.gatewayUrl;
    [ann, bob] = await Promise.all(['bann', 'bbob'].map((t) => signUpVerified(system, smtp, t)));
    let group!: ApiResponse;
    await expectEventually(async () => {
      group = await as(ann).post(G, { name: 'Dinners', currency: 'EUR' });
      expect(group.status).toBe(201);
    }, { timeoutMs: 30_000 });
    groupId = group.body.id;
    expect((await as(bob).post(`${G}/join`, { inviteCode: group.body.inviteCode })).status).toBe(200);
    const categories = (await as(ann).get('/api/v1/categories')).body.items as { id: string; slug: string }[];
    food = categories.find((c) => c.slug === 'food-and-drink')!.id;
  }, 240_000);

  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
  });

  const dinner = async () => {
    let res!: ApiResponse;
    // expense-service knows the group's members once it has seen their membership events
    await expectEventually(async () => {
      res = await as(bob).post(E, { title: 'Dinner', amount: '170.00', groupId, categoryId: food, expenseDate: today(), split: { type: 'equal', userIds: [ann.id, bob.id] } });
      expect(res.status).toBe(201);
    }, { timeoutMs: 30_000, intervalMs: 250, what: 'the group in expense-service' });
    expect(res.body.shares).toEqual(expect.arrayContaining([expect.objectContaining({ userId: ann.id, amount: '85.00' })]));
    return res.body.id as string;
  };
  const thresholdNotes = async () =>
    ((await as(ann).get(`${N}?type=budget_threshold&limit=100`)).body.items as { title: string; message: string; relatedObjectType: string; relatedObjectId: string; actionUrl: string }[]);

  it('tells the owner at 80 % and at 100 %, once each, and shows the exact spending', async () => {
    const created = await as(ann).post(B, { amount: '100.00', currency: 'EUR', categoryId: food, period: 'monthly', startDate: monthStart() });
    expect(created.status).toBe(201);
    const budget = created.body;
    expect(budget).toMatchObject({ amount: '100.00', currency: 'EUR', categoryId: food, period: 'monthly', startDate: monthStart(), currentPeriod: { start: monthStart() } });

    // analytics has the budget once it shows it
    await expectEventually(async () => expect((await as(ann).get(A)).body.items).toHaveLength(1), { timeoutMs: 30_000, what: 'the budget in analytics' });

    await dinner();
    await expectEventually(async () => expect(await thresholdNotes()).toHaveLength(1), { timeoutMs: 30_000, what: 'the 80 % notification' });
    expect((await thresholdNotes())[0]).toMatchObject({
      title: 'You have spent 80 % of your Food & drink budget', relatedObjectType: 'budget', relatedObjectId: budget.id, actionUrl: `/budgets/${budget.id}`,
    });
    expect((await thresholdNotes())[0].message).toContain('85.00 EUR of your 100.00 EUR');
    expect((await as(ann).get(A)).body.items[0]).toMatchObject({ budgetId: budget.id, amount: '100.00', spent: '85.00', remaining: '15.00', percent: '85.00' });

    await dinner();
    await expectEventually(async () => expect(await thresholdNotes()).toHaveLength(2), { timeoutMs: 30_000, what: 'the 100 % notification' });
    expect((await thresholdNotes())[0]).toMatchObject({ title: 'You have spent all of your Food & drink budget (100.00 EUR)', relatedObjectId: budget.id });
    await expectEventually(async () => expect((await as(ann).get(A)).body.items[0]).toEqual({
      budgetId: budget.id, categoryId: food, categoryName: 'Food & drink', amount: '100.00', currency: 'EUR', period: 'monthly', startDate: monthStart(),
      endDate: null, currentPeriod: budget.currentPeriod, spent: '170.00', remaining: '-70.00', percent: '170.00',
    }), { timeoutMs: 30_000, what: 'the spending in analytics' });

    // a third dinner: over already, nothing more to tell
    await dinner();
    await expectEventually(async () => expect((await as(ann).get(A)).body.items[0].spent).toBe('255.00'), { timeoutMs: 30_000, what: 'the third dinner' });
    expect(await thresholdNotes()).toHaveLength(2);
    // Bob spent as much, but has no budget: nothing for him
    expect((await as(bob).get(`${N}?type=budget_threshold`)).body.items).toEqual([]);
  }, 180_000);

  it('is the owner\'s only: 404 for anyone else, and bad input is a 400 problem', async () => {
    const mine = (await as(ann).get(B)).body.items[0];
    expectProblem(await as(bob).get(`${B}/${mine.id}`), 404, 'BUDGET_NOT_FOUND');
    expectProblem(await as(bob).patch(`${B}/${mine.id}`, { amount: '1.00' }), 404, 'BUDGET_NOT_FOUND');
    expectProblem(await as(bob).delete(`${B}/${mine.id}`), 404, 'BUDGET_NOT_FOUND');
    expect((await as(bob).get(B)).body.items).toEqual([]);
    expect((await as(bob).get(A)).body.items).toEqual([]);
    expectProblem(await as(ann).post(B, { amount: '10.001', currency: 'EUR' }), 400, 'INVALID_BUDGET');
    expectProblem(await as(ann).post(B, { amount: '10.00', period: 'daily' }), 400);
    expectProblem(await as(ann).get(`${B}/not-a-uuid`), 400, 'INVALID_ID');
    expect((await as(ann).get(`${B}/${mine.id}`)).body).toMatchObject({ amount: '100.00' });
  });
});
