import { SmtpCatcher, TallySystem, expectEventually } from '@tally/testing';
import { ApiResponse, call, expectProblem, signUpVerified, startSystem } from './support';

interface Person {
  id: string;
  token: string;
  username: string;
}

const G = '/api/v1/groups';
const E = '/api/v1/expenses';
const B = '/api/v1/balances';
/** A two-decimal amount as integer cents, exactly ("-10.05" → -1005n). */
const cents = (amount: string): bigint => BigInt(amount.replace('.', ''));

/**
 * Shared expenses through the gateway: three people in a group, expenses in two currencies, balances
 * and suggested transfers to the cent; group-service following the expense events (balances that
 * block leaving, totals, the feed); who may add, see and change; friends outside groups.
 */
describe('shared expenses through the gateway', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;
  const p: Record<string, Person> = {};

  const as = (who: Person) => ({
    get: (path: string) => call(gw, 'GET', path, { token: who.token }),
    post: (path: string, body?: unknown) => call(gw, 'POST', path, { token: who.token, body }),
    patch: (path: string, body: unknown) => call(gw, 'PATCH', path, { token: who.token, body }),
    del: (path: string) => call(gw, 'DELETE', path, { token: who.token }),
  });

  /** Balances by person name, e.g. { ann: '50.00', bob: '-10.00' }. */
  const byName = (rows: { userId: string; amount: string }[]) =>
    Object.fromEntries(rows.map((r) => [Object.keys(p).find((k) => p[k].id === r.userId) ?? r.userId, r.amount]));

  /** POST an expense once expense-service has seen the group's membership events (it keeps its own projection). */
  async function addExpense(who: Person, body: Record<string, unknown>): Promise<ApiResponse> {
    let res!: ApiResponse;
    await expectEventually(async () => {
      res = await as(who).post(E, body);
      if (res.status === 404 || (res.status === 422 && res.body?.code === 'NOT_A_PARTICIPANT')) throw new Error(`projection not there yet: ${res.status}`);
    }, { timeoutMs: 30_000, intervalMs: 200 });
    return res;
  }

  let group: { id: string; inviteCode: string };

  beforeAll(async () => {
    ({ system, smtp } = await startSystem());
    gw = system.gatewayUrl;
    const names = ['ann', 'bob', 'cat', 'vic', 'rob', 'out'];
    const people = await Promise.all(names.map((n) => signUpVerified(system, smtp, `x${n}`)));
    names.forEach((n, i) => (p[n] = people[i]));
    const res = await as(p.ann).post(G, { name: 'Lisbon', currency: 'EUR' });
    expect(res.status).toBe(201);
    group = res.body;
    for (const n of ['bob', 'cat', 'vic', 'rob']) expect((await as(p[n]).post(`${G}/join`, { inviteCode: group.inviteCode })).status).toBe(200);
    expect((await as(p.ann).patch(`${G}/${group.id}/members/${p.vic.id}`, { role: 'viewer' })).status).toBe(200);
    expect((await as(p.ann).del(`${G}/${group.id}/members/${p.rob.id}`)).status).toBe(204);
  }, 240_000);

  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
  });

  it('splits, balances and settles a mix of expenses in two currencies to the cent', async () => {
    const { ann, bob, cat } = p;
    const hotel = await addExpense(ann, { title: 'Hotel', amount: '100.00', groupId: group.id, split: { type: 'equal', userIds: [ann.id, bob.id, cat.id] } });
    expect(hotel.status).toBe(201);
    expect(hotel.body.shares.map((s: { amount: string }) => s.amount).sort()).toEqual(['33.33', '33.33', '33.34']);
    const dinner = await as(bob).post(E, {
      title: 'Dinner', amount: '60.00', groupId: group.id,
      payers: [{ userId: bob.id, amount: '40.00' }, { userId: cat.id, amount: '20.00' }],
      split: { type: 'percentage', percentages: [{ userId: ann.id, percent: '50' }, { userId: bob.id, percent: '25' }, { userId: cat.id, percent: '25' }] },
    });
    expect(dinner.status).toBe(201);
    const sushi = await as(cat).post(E, { title: 'Sushi', amount: '4500', currency: 'JPY', groupId: group.id, split: { type: 'shares', shares: [{ userId: bob.id, shares: 2 }, { userId: cat.id, shares: 1 }] } });
    expect(sushi.status).toBe(201);
    expect(sushi.body.shares.map((s: { amount: string }) => s.amount).sort()).toEqual(['1500', '3000']);

    const res = await as(bob).get(`${B}/groups/${group.id}`);
    expect(res.status).toBe(200);
    const eur = res.body.currencies.find((c: { currency: string }) => c.currency === 'EUR');
    const jpy = res.body.currencies.find((c: { currency: string }) => c.currency === 'JPY');
    // EUR, in cents: ann paid 100, owes her hotel share + 30; bob paid 40, owes his + 15; cat paid 20, owes hers + 15.
    // The hotel's leftover cent goes to the smallest user id (the documented rule).
    const first = [ann.id, bob.id, cat.id].sort()[0];
    const hotelShare = (id: string) => (id === first ? 3334n : 3333n);
    const expected = { ann: 10000n - hotelShare(ann.id) - 3000n, bob: 4000n - hotelShare(bob.id) - 1500n, cat: 2000n - hotelShare(cat.id) - 1500n };
    const eurCents = Object.fromEntries(Object.entries(byName(eur.balances)).map(([k, v]) => [k, cents(v as string)]));
    expect(eurCents).toEqual(expected);
    expect(Object.values(eurCents).reduce((a, b) => a + b, 0n)).toBe(0n);
    expect(eur.transfers).toHaveLength(2);
    expect(eur.method).toBe('exact');
    expect(byName(jpy.balances)).toEqual({ bob: '-3000', cat: '3000' });
    expect(jpy.transfers).toEqual([{ from: bob.id, to: cat.id, amount: '3000' }]);
    // Paying the suggested transfers settles everyone exactly.
    const after = new Map<string, bigint>(eur.balances.map((b: { userId: string; amount: string }) => [b.userId, cents(b.amount)]));
    for (const t of eur.transfers) {
      after.set(t.from, after.get(t.from)! + cents(t.amount));
      after.set(t.to, after.get(t.to)! - cents(t.amount));
    }
    expect([...after.values()].every((v) => v === 0n)).toBe(true);

    const mine = await as(bob).get(B);
    expect(mine.body.totals).toEqual(expect.arrayContaining([{ currency: 'JPY', amount: '-3000' }]));
  });

  it('lets group-service follow the expenses: balances block leaving, the total and the feed update', async () => {
    const { bob } = p;
    const expected = (await as(bob).get(`${B}/groups/${group.id}`)).body.currencies.find((c: { currency: string }) => c.currency === 'JPY');
    expect(expected).toBeDefined();
    await expectEventually(async () => {
      const leave = await as(bob).post(`${G}/${group.id}/leave`);
      expectProblem(leave, 409, 'MEMBER_HAS_BALANCE');
      expect(leave.body.balances).toEqual(expect.arrayContaining([{ currency: 'JPY', balance: '-3000' }]));
    }, { timeoutMs: 30_000 });
    await expectEventually(async () => {
      const g = await as(bob).get(`${G}/${group.id}`);
      expect(g.body).toMatchObject({ totalExpenses: '160.00', expenseCount: 3 });
    }, { timeoutMs: 30_000 });
    const feed = await as(bob).get(`${G}/${group.id}/activity?limit=50`);
    expect(feed.body.items.map((a: { type: string }) => a.type)).toEqual(expect.arrayContaining(['expense_added']));
    expect(feed.body.items.filter((a: { type: string }) => a.type === 'expense_added')).toHaveLength(3);
  });

  it('refuses a viewer, a removed member and a non-member as the rules say', async () => {
    const { ann, bob, vic, rob, out } = p;
    const split = { type: 'equal', userIds: [ann.id, bob.id] };
    expectProblem(await as(vic).post(E, { title: 'x', amount: '1.00', groupId: group.id, split }), 403, 'GROUP_VIEWER_READ_ONLY');
    expectProblem(await as(rob).post(E, { title: 'x', amount: '1.00', groupId: group.id, split }), 404, 'GROUP_NOT_FOUND');
    expectProblem(await as(out).post(E, { title: 'x', amount: '1.00', groupId: group.id, split }), 404, 'GROUP_NOT_FOUND');
    expectProblem(await as(ann).post(E, { title: 'x', amount: '1.00', groupId: group.id, split: { type: 'equal', userIds: [ann.id, out.id] } }), 422, 'NOT_A_PARTICIPANT');
    const list = await as(ann).get(`${E}?groupId=${group.id}`);
    const one = list.body.items[0];
    expect((await as(vic).get(`${E}/${one.id}`)).status).toBe(200);
    expectProblem(await as(rob).get(`${E}/${one.id}`), 404, 'EXPENSE_NOT_FOUND');
    expectProblem(await as(out).get(`${E}/${one.id}`), 404, 'EXPENSE_NOT_FOUND');
    expectProblem(await as(out).get(`${B}/groups/${group.id}`), 404, 'GROUP_NOT_FOUND');
    expectProblem(await as(vic).patch(`${E}/${one.id}`, { title: 'mine now' }), 403, 'GROUP_VIEWER_READ_ONLY');
    expect((await as(out).get(`${E}?groupId=${group.id}`)).body.items).toEqual([]);
  });

  it('edits without moving a cent, deletes and restores, and refuses bad money with a clear 400', async () => {
    const { ann, bob, cat } = p;
    const e = (await as(ann).post(E, { title: 'Taxi', amount: '10.00', groupId: group.id, split: { type: 'equal', userIds: [ann.id, bob.id, cat.id] } })).body;
    const edited = await as(ann).patch(`${E}/${e.id}`, { title: 'Taxi home', expenseDate: '2026-11-01' });
    expect(edited.status).toBe(200);
    expect(edited.body.shares).toEqual(e.shares);
    expect((await as(ann).del(`${E}/${e.id}`)).body.isDeleted).toBe(true);
    expect((await as(ann).get(`${E}?groupId=${group.id}`)).body.items.map((x: { id: string }) => x.id)).not.toContain(e.id);
    expect((await as(ann).post(`${E}/${e.id}/restore`)).body.isDeleted).toBe(false);
    for (const [body, field] of [
      [{ title: 'x', amount: '10.001', groupId: group.id, split: { type: 'equal', userIds: [ann.id] } }, 'amount'],
      [{ title: 'x', amount: '10', currency: 'XYZ', groupId: group.id, split: { type: 'equal', userIds: [ann.id] } }, 'currency'],
      [{ title: 'x', amount: '10.00', groupId: group.id, split: { type: 'exact', amounts: [{ userId: ann.id, amount: '9.99' }] } }, undefined],
      [{ title: 'x', amount: '10.00', groupId: group.id, split: { type: 'percentage', percentages: [{ userId: ann.id, percent: '99' }] } }, undefined],
      [{ title: 'x', amount: '10.00', groupId: group.id, split: { type: 'equal', userIds: [ann.id], extra: 1 } }, undefined],
      [{ title: 'x', amount: 10, groupId: group.id, split: { type: 'equal', userIds: [ann.id] } }, 'amount'],
    ] as const) {
      const res = await as(ann).post(E, body);
      expect({ status: res.status, type: res.headers.get('content-type')?.split(';')[0] }).toEqual({ status: 400, type: 'application/problem+json' });
      if (field) expect(JSON.stringify(res.body)).toContain(field);
    }
  });

  it("follows the group's settings: approval before an expense counts, and transfers without simplification", async () => {
    const { ann, bob, cat } = p;
    const g = (await as(ann).post(G, { name: 'Flat', currency: 'EUR', requiresApproval: true })).body;
    for (const n of [bob, cat]) expect((await as(n).post(`${G}/join`, { inviteCode: g.inviteCode })).status).toBe(200);
    const rent = await addExpense(bob, { title: 'Rent', amount: '90.00', groupId: g.id, split: { type: 'equal', userIds: [ann.id, bob.id, cat.id] } });
    expect(rent.status).toBe(201);
    expect(rent.body).toMatchObject({ requiresApproval: true, isApproved: false });
    expect((await as(bob).get(`${B}/groups/${g.id}`)).body.currencies).toEqual([]);
    expectProblem(await as(bob).post(`${E}/${rent.body.id}/approve`), 403, 'GROUP_ADMIN_REQUIRED');
    expect((await as(ann).post(`${E}/${rent.body.id}/approve`)).body).toMatchObject({ isApproved: true, approvedById: ann.id });
    expect(byName((await as(bob).get(`${B}/groups/${g.id}`)).body.currencies[0].balances)).toEqual({ ann: '-30.00', bob: '60.00', cat: '-30.00' });

    expect((await as(ann).patch(`${G}/${g.id}`, { simplifyDebts: false })).status).toBe(200);
    await expectEventually(async () => {
      const res = await as(cat).get(`${B}/groups/${g.id}`);
      expect(res.body).toMatchObject({ simplify: false });
      expect(res.body.currencies[0]).toMatchObject({ method: 'direct', transfers: expect.arrayContaining([{ from: cat.id, to: bob.id, amount: '30.00' }]) });
    }, { timeoutMs: 30_000 });
  });

  it('keeps expenses between friends outside groups, per friend and currency', async () => {
    const { ann, out } = p;
    const split = { type: 'equal', userIds: [ann.id, out.id] };
    expectProblem(await as(ann).post(E, { title: 'Cinema', amount: '20.00', currency: 'EUR', split }), 422, 'NOT_A_PARTICIPANT');
    const f = await as(ann).post('/api/v1/friendships', { toUserId: out.id });
    expect(f.status).toBe(201);
    expect((await as(out).post(`/api/v1/friendships/${f.body.id}/accept`)).status).toBe(200);
    const cinema = await addExpense(ann, { title: 'Cinema', amount: '20.00', currency: 'EUR', split });
    expect(cinema.status).toBe(201);
    expect((await as(ann).get(B)).body.friends).toEqual([{ userId: out.id, currency: 'EUR', amount: '10.00' }]);
    expect((await as(out).get(B)).body.friends).toEqual([{ userId: ann.id, currency: 'EUR', amount: '-10.00' }]);
  });
});
