import { Client } from 'pg';
import { currencyId } from '@tally/contracts';
import { SmtpCatcher, TallySystem, expectEventually } from '@tally/testing';
import { ApiResponse, call, expectProblem, signUpVerified, startSystem, waitForMail } from './support';

/** One connection to group-service's database for the whole file. */
let db: Client | undefined;

async function sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
  return (await db!.query(text, params)).rows as T[];
}

interface Person {
  id: string;
  token: string;
  username: string;
  email: string;
}

const G = '/api/v1/groups';
const INV = '/api/v1/invitations';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const CODE = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{12}$/;
/** Everyone but ann and lea joins the concurrency group at once. */
const NAMED = ['ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal', 'lea'];
const CROWD = Array.from({ length: 13 }, (_, i) => `j${String(i + 1).padStart(2, '0')}`);

/** The group domain through the gateway: groups, memberships and their rules, invitations (by mail), expiry by group-worker, the feed. */
describe('groups through the gateway', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;
  const p: Record<string, Person> = {};

  const as = (who: Person | null) => {
    const token = who?.token;
    return {
      get: (path: string) => call(gw, 'GET', path, { token }),
      post: (path: string, body?: unknown) => call(gw, 'POST', path, { token, body }),
      patch: (path: string, body: unknown) => call(gw, 'PATCH', path, { token, body }),
      del: (path: string) => call(gw, 'DELETE', path, { token }),
      send: (method: string, path: string, body?: unknown) => call(gw, method, path, { token, body }),
    };
  };

  async function createGroup(who: Person, body: Record<string, unknown>): Promise<any> {
    const res = await as(who).post(G, { currency: 'EUR', ...body });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function join(who: Person, code: string): Promise<ApiResponse> {
    return as(who).post(`${G}/join`, { inviteCode: code });
  }

  /** A group with its admin and these members joined by code (roles set by the admin). */
  async function groupWith(admin: Person, name: string, members: [Person, 'member' | 'viewer' | 'admin'][] = [], extra: Record<string, unknown> = {}): Promise<any> {
    const g = await createGroup(admin, { name, ...extra });
    for (const [m, role] of members) {
      expect((await join(m, g.inviteCode)).status).toBe(200);
      if (role !== 'member') expect((await as(admin).patch(`${G}/${g.id}/members/${m.id}`, { role })).status).toBe(200);
    }
    return g;
  }

  /** The events in group-service's outbox about one group (group, membership and invitation events alike), oldest first. */
  const eventsOfGroup = (groupId: string) =>
    sql<{ type: string; topic: string; key: string; payload: any }>(`SELECT type, topic, key, payload FROM outbox WHERE payload->'data'->>'groupId' = $1 ORDER BY seq`, [groupId]);
  const typesOf = async (groupId: string, prefix = '') => (await eventsOfGroup(groupId)).map((e) => e.type).filter((t) => t.startsWith(prefix));
  const feedTypes = async (who: Person, groupId: string) => (await as(who).get(`${G}/${groupId}/activity?limit=100`)).body.items.map((a: { type: string }) => a.type);

  /** What a refused request must not change: the group's row, memberships, invitations, feed, and the outbox. */
  async function stateOf(groupId: string): Promise<string> {
    return JSON.stringify(await Promise.all([
      sql('SELECT * FROM groups WHERE id = $1', [groupId]),
      sql('SELECT * FROM group_memberships WHERE group_id = $1 ORDER BY id', [groupId]),
      sql('SELECT * FROM group_invitations WHERE group_id = $1 ORDER BY id', [groupId]),
      sql('SELECT count(*)::int AS n FROM group_activities WHERE group_id = $1', [groupId]),
      sql('SELECT count(*)::int AS n FROM outbox'),
      sql('SELECT count(*)::int AS n FROM groups'),
    ]));
  }

  async function activeCount(groupId: string): Promise<{ memberCount: number; active: number }> {
    const [row] = await sql(
      `SELECT member_count AS "memberCount", (SELECT count(*)::int FROM group_memberships WHERE group_id = $1 AND is_active) AS active FROM groups WHERE id = $1`,
      [groupId],
    );
    return row;
  }

  beforeAll(async () => {
    ({ system, smtp } = await startSystem());
    gw = system.gatewayUrl;
    db = new Client({ connectionString: system.databaseUrl('group') });
    await db.connect();
    const tags = [...NAMED, ...CROWD];
    const people = await Promise.all(tags.map((t) => signUpVerified(system, smtp, t)));
    tags.forEach((t, i) => (p[t] = { id: people[i].id, token: people[i].token, username: people[i].username, email: people[i].email }));
    // group-service knows an invitee by its projection of auth's users (verified address): wait for it.
    await expectEventually(async () => {
      const [{ n }] = await sql('SELECT count(*)::int AS n FROM users WHERE id = ANY($1::uuid[]) AND email_verified AND email IS NOT NULL', [people.map((u) => u.id)]);
      expect(n).toBe(people.length);
    }, { timeoutMs: 60000, what: 'the users in group-service' });
  });

  afterAll(async () => {
    await db?.end().catch(() => undefined);
    await system?.stop();
    await smtp?.stop();
  });

  it('creates a group whose creator is its only admin, and shows it to nobody else', async () => {
    const ann = as(p.ann);
    const res = await ann.post(G, { name: '  Trip to Lisbon ', description: 'Sun and pastéis', groupType: 'trip', currency: 'eur', image: 'groups/lisbon.png' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String), name: 'Trip to Lisbon', description: 'Sun and pastéis', groupType: 'trip', image: 'groups/lisbon.png', currency: 'EUR',
      isPrivate: false, isArchived: false, archivedAt: null, requiresApproval: false, simplifyDebts: true, expenseCount: 0, memberCount: 1,
      totalExpenses: '0.00', settledAmount: '0.00', myRole: 'admin',
      inviteCode: expect.stringMatching(CODE), createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    const g = res.body;
    expect((await ann.get(`${G}/${g.id}`)).body).toEqual(g);

    const members = await ann.get(`${G}/${g.id}/members`);
    expect(members.status).toBe(200);
    expect(members.body).toEqual({
      items: [{ userId: p.ann.id, username: p.ann.username, firstName: 'Test', lastName: 'ann', role: 'admin', status: 'accepted', joinedAt: expect.any(String) }],
      nextCursor: null, limit: 20,
    });
    expect((await ann.get(`${G}/${g.id}/members/me`)).body).toEqual({
      groupId: g.id, userId: p.ann.id, role: 'admin', status: 'accepted', isActive: true, joinedAt: expect.any(String), leftAt: null, notificationPreferences: {},
    });
    const [row] = await sql('SELECT currency, currency_id, member_count, invite_code FROM groups WHERE id = $1', [g.id]);
    expect(row).toEqual({ currency: 'EUR', currency_id: currencyId('EUR'), member_count: 1, invite_code: g.inviteCode });

    // Nobody else sees it; ids are UUIDs.
    expectProblem(await as(p.bob).get(`${G}/${g.id}`), 404, 'GROUP_NOT_FOUND');
    expectProblem(await ann.get(`${G}/${UNKNOWN_ID}`), 404, 'GROUP_NOT_FOUND');
    expectProblem(await ann.get(`${G}/not-a-uuid`), 400, 'INVALID_ID');

    const events = await eventsOfGroup(g.id);
    expect(events.map((e) => [e.type, e.topic])).toEqual([['group.created', 'group.group.v1'], ['membership.joined', 'group.membership.v1']]);
    expect(events[0].key).toBe(g.id);
    expect(events[0].payload.data).toMatchObject({ groupId: g.id, name: 'Trip to Lisbon', currency: 'EUR', memberCount: 1, byUserId: p.ann.id });
    expect(events[1].payload.data).toMatchObject({ userId: p.ann.id, role: 'admin', status: 'accepted', isActive: true, via: 'created' });
    expect(JSON.stringify(events)).not.toContain(g.inviteCode);
    const feed = await ann.get(`${G}/${g.id}/activity`);
    expect(feed.body.items).toEqual([expect.objectContaining({ type: 'group_created', userId: p.ann.id, description: 'Test created the group "Trip to Lisbon"' })]);
  });

  it('edits a group: only the given fields, null clears, the same values change nothing; private drops the code', async () => {
    const ann = as(p.ann);
    const g = await createGroup(p.ann, { name: 'Flat', description: 'Rent and bills', groupType: 'home' });
    const edited = await ann.patch(`${G}/${g.id}`, { name: 'Flat 2B', description: null, groupType: 'home' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ name: 'Flat 2B', description: null, groupType: 'home', currency: 'EUR', inviteCode: g.inviteCode });
    expect((await ann.get(`${G}/${g.id}`)).body).toMatchObject({ name: 'Flat 2B', description: null });
    // The same values again: no event, no feed entry.
    expect((await ann.patch(`${G}/${g.id}`, { name: 'Flat 2B', groupType: 'home' })).status).toBe(200);
    const jpy = await ann.patch(`${G}/${g.id}`, { currency: 'jpy' });
    expect(jpy.body.currency).toBe('JPY');
    expect((await sql('SELECT currency_id FROM groups WHERE id = $1', [g.id]))[0].currency_id).toBe(currencyId('JPY'));

    const priv = await ann.patch(`${G}/${g.id}`, { isPrivate: true });
    expect(priv.body).toMatchObject({ isPrivate: true, inviteCode: null });
    expectProblem(await join(p.bob, g.inviteCode), 404, 'INVITE_CODE_NOT_FOUND');
    const pub = await ann.patch(`${G}/${g.id}`, { isPrivate: false });
    expect(pub.body.inviteCode).toMatch(CODE);
    expect(pub.body.inviteCode).not.toBe(g.inviteCode);

    const updates = (await eventsOfGroup(g.id)).filter((e) => e.type === 'group.updated').map((e) => e.payload.data.changed);
    expect(updates).toEqual([['name', 'description'], ['currency'], ['isPrivate'], ['isPrivate']]);
    expect((await feedTypes(p.ann, g.id)).filter((t: string) => t === 'group_updated')).toHaveLength(4);
  });

  it('refuses bad input on every route with a 400 problem, and changes nothing', async () => {
    const ann = as(p.ann);
    const g = await groupWith(p.ann, 'Bad input', [[p.bob, 'member']]);
    const pending = await ann.post(`${G}/${g.id}/invitations`, { email: `pending-${system.runId}@example.com` });
    expect(pending.status).toBe(201);
    const base = `${G}/${g.id}`;
    const email = `someone-${system.runId}@example.com`;
    const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
    const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const long = (n: number) => 'x'.repeat(n);
    const cases: [string, string, unknown, string?][] = [
      ['POST', G, {}],
      ['POST', G, { name: '', currency: 'EUR' }],
      ['POST', G, { name: '   ', currency: 'EUR' }],
      ['POST', G, { name: long(101), currency: 'EUR' }],
      ['POST', G, { name: 42, currency: 'EUR' }],
      ['POST', G, { name: 'ok', currency: 'XYZ' }],
      ['POST', G, { name: 'ok', currency: 'EURO' }],
      ['POST', G, { name: 'ok', currency: 978 }],
      ['POST', G, { name: 'ok', currency: null }],
      ['POST', G, { name: 'ok', currency: 'EUR', groupType: 'castle' }],
      ['POST', G, { name: 'ok', currency: 'EUR', isPrivate: 'yes' }],
      ['POST', G, { name: 'ok', currency: 'EUR', image: '../../etc/passwd.png' }],
      ['POST', G, { name: 'ok', currency: 'EUR', image: 'https://evil.example/x.png' }],
      ['POST', G, { name: 'ok', currency: 'EUR', description: long(2001) }],
      ['POST', G, { name: 'ok', currency: 'EUR', memberCount: 100 }],
      ['POST', G, { name: 'ok', currency: 'EUR', inviteCode: 'ABCDEFGHJKMN' }],
      ['POST', G, null],
      ['POST', G, ['name']],
      ['GET', `${G}?status=deleted`, undefined],
      ['GET', `${G}?limit=0`, undefined],
      ['GET', `${G}?limit=101`, undefined],
      ['GET', `${G}?limit=ten`, undefined],
      ['GET', `${G}?cursor=${encodeURIComponent('!!!')}`, undefined],
      ['GET', `${G}?cursor=${cursor(['yesterday', UNKNOWN_ID])}`, undefined, 'INVALID_CURSOR'],
      ['GET', `${G}?cursor=${long(201)}`, undefined],
      ['GET', `${G}?q=${long(201)}`, undefined],
      ['GET', `${G}?q=`, undefined],
      ['GET', `${G}?sort=name`, undefined],
      ['POST', `${G}/join`, {}],
      ['POST', `${G}/join`, { inviteCode: 12345 }],
      ['POST', `${G}/join`, { inviteCode: long(41) }],
      ['POST', `${G}/join`, { inviteCode: g.inviteCode, userId: p.eve.id }],
      ['PATCH', base, { name: null }],
      ['PATCH', base, { name: '' }],
      ['PATCH', base, { name: long(101) }],
      ['PATCH', base, { description: long(2001) }],
      ['PATCH', base, { currency: 'ABC' }],
      ['PATCH', base, { currency: null }],
      ['PATCH', base, { groupType: null }],
      ['PATCH', base, { isPrivate: null }],
      ['PATCH', base, { totalExpenses: '100.00' }],
      ['PATCH', base, { isArchived: true }],
      ['PATCH', base, 'name'],
      ['PATCH', `${G}/not-a-uuid`, { name: 'x' }, 'INVALID_ID'],
      ['DELETE', `${G}/not-a-uuid`, undefined, 'INVALID_ID'],
      ['POST', `${G}/${g.id.toUpperCase()}x/archive`, undefined, 'INVALID_ID'],
      ['GET', `${base}/members?limit=0`, undefined],
      ['GET', `${base}/members?cursor=${cursor([new Date().toISOString(), 'x'])}`, undefined, 'INVALID_CURSOR'],
      ['GET', `${base}/activity?limit=500`, undefined],
      ['GET', `${base}/activity?cursor=${cursor({})}`, undefined, 'INVALID_CURSOR'],
      ['PATCH', `${base}/members/me/preferences`, { expenses: 'no' }],
      ['PATCH', `${base}/members/me/preferences`, { sms: true }],
      ['PATCH', `${base}/members/me/preferences`, { muted: null }],
      ['PATCH', `${base}/members/${p.bob.id}`, { role: 'owner' }],
      ['PATCH', `${base}/members/${p.bob.id}`, { role: null }],
      ['PATCH', `${base}/members/${p.bob.id}`, {}],
      ['PATCH', `${base}/members/${p.bob.id}`, { role: 'viewer', status: 'removed' }],
      ['PATCH', `${base}/members/not-a-uuid`, { role: 'viewer' }, 'INVALID_ID'],
      ['DELETE', `${base}/members/not-a-uuid`, undefined, 'INVALID_ID'],
      ['DELETE', `${base}/members/${p.ann.id}`, undefined, 'USE_LEAVE'],
      ['POST', `${base}/invitations`, {}, 'INVALID_INVITATION'],
      ['POST', `${base}/invitations`, { email, phoneNumber: '+4930123456' }, 'INVALID_INVITATION'],
      ['POST', `${base}/invitations`, { email: 'not-an-email' }],
      ['POST', `${base}/invitations`, { email: `${long(250)}@example.com` }],
      ['POST', `${base}/invitations`, { email: null }],
      ['POST', `${base}/invitations`, { phoneNumber: '0301234567' }],
      ['POST', `${base}/invitations`, { email, message: long(501) }],
      ['POST', `${base}/invitations`, { email, message: '' }],
      ['POST', `${base}/invitations`, { email, expiresAt: inMinutes(-60 * 24) }, 'INVALID_INVITATION'],
      ['POST', `${base}/invitations`, { email, expiresAt: inMinutes(1) }, 'INVALID_INVITATION'],
      ['POST', `${base}/invitations`, { email, expiresAt: inMinutes(31 * 24 * 60) }, 'INVALID_INVITATION'],
      ['POST', `${base}/invitations`, { email, expiresAt: 'next tuesday' }],
      ['POST', `${base}/invitations`, { email, expiresAt: 1893456000 }],
      ['POST', `${base}/invitations`, { email, role: 'admin' }],
      ['GET', `${base}/invitations?status=expired`, undefined],
      ['DELETE', `${base}/invitations/not-a-uuid`, undefined, 'INVALID_ID'],
      ['GET', `${INV}?limit=0`, undefined],
      ['GET', `${INV}/not-a-uuid`, undefined, 'INVALID_ID'],
      ['POST', `${INV}/not-a-uuid/accept`, undefined, 'INVALID_ID'],
      ['POST', `${INV}/not-a-uuid/decline`, undefined, 'INVALID_ID'],
    ];
    const before = await stateOf(g.id);
    const found: unknown[] = [];
    for (const [method, path, body, code] of cases) {
      const res = await call(gw, method, path, { token: p.ann.token, raw: body === undefined ? undefined : JSON.stringify(body) });
      const ok = res.status === 400 && (res.headers.get('content-type') ?? '').includes('application/problem+json') && res.body?.status === 400
        && (code ? res.body.code === code : true);
      if (!ok) found.push({ method, path: path.slice(0, 120), body, status: res.status, code: res.body?.code });
    }
    expect(found).toEqual([]);
    expect(await stateOf(g.id)).toBe(before);
  });

  it('gives every role exactly the answer the rules give on every group route, and changes nothing it refuses', async () => {
    // ann admin, bob member, cat viewer, dan removed, fay left, eve never a member, no token.
    const g = await groupWith(p.ann, 'Matrix', [[p.bob, 'member'], [p.cat, 'viewer'], [p.dan, 'member'], [p.fay, 'member'], [p.hal, 'member']]);
    expect((await as(p.ann).del(`${G}/${g.id}/members/${p.dan.id}`)).status).toBe(204);
    expect((await as(p.fay).post(`${G}/${g.id}/leave`)).status).toBe(204);
    const inv = await as(p.ann).post(`${G}/${g.id}/invitations`, { email: `matrix-${system.runId}@example.com` });
    expect(inv.status).toBe(201);
    const base = `${G}/${g.id}`;

    type Need = 'read' | 'self' | 'admin';
    const routes: { route: string; method: string; path: string; body?: unknown; need: Need; ok: number }[] = [
      { route: 'GET group', method: 'GET', path: base, need: 'read', ok: 200 },
      { route: 'GET members', method: 'GET', path: `${base}/members`, need: 'read', ok: 200 },
      { route: 'GET activity', method: 'GET', path: `${base}/activity`, need: 'read', ok: 200 },
      { route: 'GET members/me', method: 'GET', path: `${base}/members/me`, need: 'self', ok: 200 },
      { route: 'PATCH preferences', method: 'PATCH', path: `${base}/members/me/preferences`, body: { comments: false }, need: 'self', ok: 200 },
      { route: 'PATCH group', method: 'PATCH', path: base, body: { description: 'changed' }, need: 'admin', ok: 200 },
      { route: 'POST invite-code', method: 'POST', path: `${base}/invite-code`, need: 'admin', ok: 200 },
      { route: 'DELETE invite-code', method: 'DELETE', path: `${base}/invite-code`, need: 'admin', ok: 200 },
      { route: 'POST invitations', method: 'POST', path: `${base}/invitations`, body: { email: `new-${system.runId}@example.com` }, need: 'admin', ok: 201 },
      { route: 'GET invitations', method: 'GET', path: `${base}/invitations?status=all`, need: 'admin', ok: 200 },
      { route: 'DELETE invitation', method: 'DELETE', path: `${base}/invitations/${inv.body.id}`, need: 'admin', ok: 200 },
      { route: 'PATCH member role', method: 'PATCH', path: `${base}/members/${p.hal.id}`, body: { role: 'viewer' }, need: 'admin', ok: 200 },
      { route: 'DELETE member', method: 'DELETE', path: `${base}/members/${p.hal.id}`, need: 'admin', ok: 204 },
      { route: 'POST archive', method: 'POST', path: `${base}/archive`, need: 'admin', ok: 200 },
      { route: 'POST unarchive', method: 'POST', path: `${base}/unarchive`, need: 'admin', ok: 200 },
      { route: 'DELETE group', method: 'DELETE', path: base, need: 'admin', ok: 204 },
      { route: 'POST leave', method: 'POST', path: `${base}/leave`, need: 'self', ok: 204 },
    ];
    const outsiders: [string, Person | null, number, string | undefined][] = [
      ['no token', null, 401, undefined], ['non-member', p.eve, 404, 'GROUP_NOT_FOUND'], ['removed member', p.dan, 404, 'GROUP_NOT_FOUND'], ['former member', p.fay, 404, 'GROUP_NOT_FOUND'],
    ];
    const results: string[] = [];
    const expected: string[] = [];
    /** "who route: status code" (the code only where the rule names one). */
    const line = (who: string, route: string, status: number, code?: string) => `${who} ${route}: ${status}${code ? ` ${code}` : ''}`;
    const record = (who: string, r: { route: string }, res: ApiResponse, code?: string) => results.push(line(who, r.route, res.status, code && res.body?.code));

    // Everything refused first, against an unchanged group.
    const before = await stateOf(g.id);
    for (const [who, person, status, code] of outsiders) {
      for (const r of routes) {
        const res = await as(person).send(r.method, r.path, r.body);
        if (res.status >= 400) expect(res.headers.get('content-type')).toContain('application/problem+json');
        record(who, r, res, code);
        expected.push(line(who, r.route, status, code));
      }
    }
    for (const [who, person] of [['member', p.bob], ['viewer', p.cat]] as const) {
      for (const r of routes.filter((x) => x.need === 'admin')) {
        const res = await as(person).send(r.method, r.path, r.body);
        record(who, r, res, 'GROUP_ADMIN_REQUIRED');
        expected.push(line(who, r.route, 403, 'GROUP_ADMIN_REQUIRED'));
      }
      for (const r of routes.filter((x) => x.need === 'read')) {
        const res = await as(person).send(r.method, r.path, r.body);
        record(who, r, res);
        expected.push(line(who, r.route, 200));
      }
    }
    // The routes outside one group still want a token.
    for (const [method, path] of [['GET', G], ['POST', G], ['POST', `${G}/join`], ['GET', INV], ['GET', `${INV}/${inv.body.id}`], ['POST', `${INV}/${inv.body.id}/accept`], ['POST', `${INV}/${inv.body.id}/decline`]]) {
      const res = await call(gw, method, path, { body: method === 'POST' ? {} : undefined });
      const route = `${method} ${path.replace(inv.body.id, ':invitationId')}`;
      record('no token', { route }, res);
      expected.push(line('no token', route, 401));
    }
    expect(results).toEqual(expected);
    expect(await stateOf(g.id)).toBe(before);
    // What a member sees never includes the join code.
    expect((await as(p.bob).get(base)).body).toMatchObject({ myRole: 'member', inviteCode: null });
    expect((await as(p.cat).get(base)).body).toMatchObject({ myRole: 'viewer', inviteCode: null });

    // Members and viewers manage their own membership: preferences, and leaving.
    for (const who of [p.bob, p.cat]) {
      const res = await as(who).patch(`${base}/members/me/preferences`, { comments: false });
      expect(res.status).toBe(200);
      expect(res.body.notificationPreferences).toEqual({ comments: false });
    }

    // The admin may do everything, in an order that leaves each route something to do.
    const admin: string[] = [];
    for (const r of routes.filter((x) => x.route !== 'DELETE group' && x.route !== 'POST leave')) {
      const res = await as(p.ann).send(r.method, r.path, r.body);
      admin.push(`${r.route}: ${res.status}`);
    }
    expect(admin).toEqual(routes.filter((x) => x.route !== 'DELETE group' && x.route !== 'POST leave').map((r) => `${r.route}: ${r.ok}`));
    // The only admin cannot leave; members and viewers can.
    expectProblem(await as(p.ann).post(`${base}/leave`), 409, 'LAST_ADMIN');
    for (const who of [p.bob, p.cat]) {
      expect((await as(who).post(`${base}/leave`)).status).toBe(204);
      expectProblem(await as(who).get(base), 404, 'GROUP_NOT_FOUND');
    }
    expect((await as(p.ann).del(base)).status).toBe(204);
    expectProblem(await as(p.ann).get(base), 404, 'GROUP_NOT_FOUND');
  });

  it('sends an invitation by email, whose link works and which the invitee accepts with their own account', async () => {
    const ann = as(p.ann);
    const g = await groupWith(p.ann, 'Flat in Porto', [[p.bob, 'member']]);
    const sent = await ann.post(`${G}/${g.id}/invitations`, { email: `  ${p.gus.email.toUpperCase()} `, message: 'Come along!' });
    expect(sent.status).toBe(201);
    const inv = sent.body;
    expect(inv).toEqual({
      id: expect.any(String), groupId: g.id, email: p.gus.email, phoneNumber: null, message: 'Come along!', status: 'pending', invitedById: p.ann.id,
      acceptedById: null, expiresAt: expect.any(String), respondedAt: null, createdAt: expect.any(String),
    });
    const days = (new Date(inv.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);

    // The mail, from the test's SMTP server; its link opens the gateway's invitation page.
    const mail = await waitForMail(smtp, p.gus.email, (m) => m.text.includes(inv.id), 60000);
    expect(mail.subject).toBe('Test invited you to Flat in Porto on Tally');
    expect(mail.text).toContain('Come along!');
    const link = /http:\/\/localhost:8080(\/invitations\/[0-9a-f-]{36})/.exec(mail.text);
    expect(link?.[1]).toBe(`/invitations/${inv.id}`);
    const page = await fetch(gw + link![1]);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain(`accept invitation ${inv.id}`);

    // One pending invitation per address, also when asked twice at once; members' addresses are not invited.
    expectProblem(await ann.post(`${G}/${g.id}/invitations`, { email: p.gus.email }), 409, 'INVITATION_EXISTS');
    const twice = await Promise.all([1, 2].map(() => ann.post(`${G}/${g.id}/invitations`, { email: p.hal.email })));
    expect(twice.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((await ann.del(`${G}/${g.id}/invitations/${twice.find((r) => r.status === 201)!.body.id}`)).status).toBe(200);
    expectProblem(await ann.post(`${G}/${g.id}/invitations`, { email: p.bob.email }), 409, 'ALREADY_MEMBER');
    expectProblem(await ann.post(`${G}/${g.id}/invitations`, { email: p.ann.email.toUpperCase() }), 409, 'ALREADY_MEMBER');

    // The invitee sees it (not the group yet); anyone else gets 404.
    const received = await as(p.gus).get(INV);
    expect(received.status).toBe(200);
    expect(received.body.items).toContainEqual({
      id: inv.id, groupId: g.id, groupName: 'Flat in Porto', inviterName: 'Test', message: 'Come along!', status: 'pending', expiresAt: inv.expiresAt, createdAt: inv.createdAt,
    });
    expect((await as(p.gus).get(`${INV}/${inv.id}`)).body).toMatchObject({ id: inv.id, groupName: 'Flat in Porto', status: 'pending' });
    expectProblem(await as(p.gus).get(`${G}/${g.id}`), 404, 'GROUP_NOT_FOUND');
    for (const other of [p.hal, p.bob, p.ann]) {
      expectProblem(await as(other).get(`${INV}/${inv.id}`), 404, 'INVITATION_NOT_FOUND');
      expectProblem(await as(other).post(`${INV}/${inv.id}/accept`), 404, 'INVITATION_NOT_FOUND');
      expectProblem(await as(other).post(`${INV}/${inv.id}/decline`), 404, 'INVITATION_NOT_FOUND');
      expect((await as(other).get(INV)).body.items.map((i: { id: string }) => i.id)).not.toContain(inv.id);
    }
    expectProblem(await as(p.bob).get(`${G}/${g.id}/invitations`), 403, 'GROUP_ADMIN_REQUIRED');
    expect((await ann.get(`${G}/${g.id}/invitations`)).body.items.map((i: { id: string }) => i.id)).toEqual([inv.id]);

    const accepted = await as(p.gus).post(`${INV}/${inv.id}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ groupId: g.id, userId: p.gus.id, role: 'member', status: 'accepted', isActive: true });
    expect((await as(p.gus).get(`${G}/${g.id}`)).body).toMatchObject({ id: g.id, myRole: 'member', memberCount: 3 });
    expect((await ann.get(`${G}/${g.id}/members`)).body.items.map((m: { userId: string }) => m.userId)).toEqual([p.ann.id, p.bob.id, p.gus.id]);
    const again = await as(p.gus).post(`${INV}/${inv.id}/accept`);
    expectProblem(again, 409, 'INVITATION_NOT_PENDING');
    expect(again.body.invitationStatus).toBe('accepted');
    expect((await as(p.gus).get(INV)).body.items.map((i: { id: string }) => i.id)).not.toContain(inv.id);
    expect((await ann.get(`${G}/${g.id}/invitations`)).body.items).toEqual([]);
    expect((await ann.get(`${G}/${g.id}/invitations?status=all`)).body.items).toEqual([
      expect.objectContaining({ email: p.hal.email, status: 'revoked', acceptedById: null }),
      expect.objectContaining({ id: inv.id, status: 'accepted', acceptedById: p.gus.id, respondedAt: expect.any(String) }),
    ]);

    const events = await eventsOfGroup(g.id);
    const invEvents = events.filter((e) => e.key === inv.id);
    expect(invEvents.map((e) => [e.type, e.topic])).toEqual([['invitation.created', 'group.invitation.v1'], ['invitation.accepted', 'group.invitation.v1']]);
    expect(invEvents[0].payload.data).toMatchObject({ email: p.gus.email, groupName: 'Flat in Porto', inviterName: 'Test', message: 'Come along!', byUserId: p.ann.id });
    expect(invEvents[1].payload.data).toMatchObject({ status: 'accepted', acceptedById: p.gus.id, byUserId: p.gus.id });
    expect(events.filter((e) => e.type === 'membership.joined' && e.payload.data.userId === p.gus.id).map((e) => e.payload.data.via)).toEqual(['invitation']);
    // The feed never shows the invitee's address.
    const feed = await ann.get(`${G}/${g.id}/activity?limit=100`);
    expect(JSON.stringify(feed.body)).not.toContain(p.gus.email);
    expect(feed.body.items.map((a: { type: string }) => a.type)).toEqual([
      'member_joined', 'invitation_accepted', 'invitation_revoked', 'invitation_sent', 'invitation_sent', 'member_joined', 'group_created',
    ]);
  });

  it('lets the invitee decline, the admin revoke, and invites by phone', async () => {
    const ann = as(p.ann);
    const g = await groupWith(p.ann, 'Choir', [[p.bob, 'member']]);
    const first = (await ann.post(`${G}/${g.id}/invitations`, { email: p.hal.email })).body;
    const declined = await as(p.hal).post(`${INV}/${first.id}/decline`);
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ id: first.id, groupName: 'Choir', status: 'declined' });
    expectProblem(await as(p.hal).post(`${INV}/${first.id}/decline`), 409, 'INVITATION_NOT_PENDING');
    expectProblem(await as(p.hal).post(`${INV}/${first.id}/accept`), 409, 'INVITATION_NOT_PENDING');
    expectProblem(await as(p.hal).get(`${G}/${g.id}`), 404, 'GROUP_NOT_FOUND');
    expect((await ann.get(`${G}/${g.id}/invitations?status=all`)).body.items).toEqual([expect.objectContaining({ id: first.id, status: 'declined' })]);

    // Asked again (nothing pending now), then revoked by the admin before hal answers.
    const second = await ann.post(`${G}/${g.id}/invitations`, { email: p.hal.email });
    expect(second.status).toBe(201);
    expectProblem(await as(p.bob).del(`${G}/${g.id}/invitations/${second.body.id}`), 403, 'GROUP_ADMIN_REQUIRED');
    const revoked = await ann.del(`${G}/${g.id}/invitations/${second.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: second.body.id, status: 'revoked' });
    expectProblem(await ann.del(`${G}/${g.id}/invitations/${second.body.id}`), 409, 'INVITATION_NOT_PENDING');
    expectProblem(await as(p.hal).post(`${INV}/${second.body.id}/accept`), 409, 'INVITATION_NOT_PENDING');
    expect((await as(p.hal).get(INV)).body.items.map((i: { id: string }) => i.id)).not.toContain(second.body.id);
    // An invitation of another group cannot be revoked through this one.
    const other = await groupWith(p.ann, 'Other choir');
    const elsewhere = (await ann.post(`${G}/${other.id}/invitations`, { email: p.hal.email })).body;
    expectProblem(await ann.del(`${G}/${g.id}/invitations/${elsewhere.id}`), 404, 'INVITATION_NOT_FOUND');

    // By phone: stored in E.164, one pending per number.
    const phone = await ann.post(`${G}/${g.id}/invitations`, { phoneNumber: '+49 (30) 1234-5678' });
    expect(phone.status).toBe(201);
    expect(phone.body).toMatchObject({ email: null, phoneNumber: '+493012345678', status: 'pending' });
    expectProblem(await ann.post(`${G}/${g.id}/invitations`, { phoneNumber: '+493012345678' }), 409, 'INVITATION_EXISTS');

    // Declining left a trace on hal's row; joining by code still works.
    expect((await join(p.hal, g.inviteCode)).status).toBe(200);
    expect((await as(p.hal).get(`${G}/${g.id}`)).body).toMatchObject({ myRole: 'member', memberCount: 3 });

    const types = (await eventsOfGroup(g.id)).map((e) => e.type);
    expect(types.filter((t) => t.startsWith('invitation.'))).toEqual(['invitation.created', 'invitation.declined', 'invitation.created', 'invitation.revoked', 'invitation.created']);
    expect(types.filter((t) => t === 'membership.declined')).toHaveLength(1);
    const feed = await feedTypes(p.ann, g.id);
    expect(feed).toEqual(expect.arrayContaining(['invitation_declined', 'invitation_revoked']));
  });

  it('expires an unanswered invitation by itself (group-worker), after which it cannot be accepted', async () => {
    const ann = as(p.ann);
    const g = await groupWith(p.ann, 'Expiring');
    const expiresAt = new Date(Date.now() + 10 * 60_000).toISOString();
    const inv = (await ann.post(`${G}/${g.id}/invitations`, { email: p.eve.email, expiresAt })).body;
    expect(inv).toMatchObject({ status: 'pending', expiresAt });
    expect((await as(p.eve).get(INV)).body.items.map((i: { id: string }) => i.id)).toContain(inv.id);

    await sql(`UPDATE group_invitations SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' WHERE id = $1`, [inv.id]);
    // Overdue is expired at once, for the admins' list of pending ones and for the invitee, before any sweep.
    expect((await ann.get(`${G}/${g.id}/invitations`)).body.items).toEqual([]);
    expect((await as(p.eve).get(INV)).body.items.map((i: { id: string }) => i.id)).not.toContain(inv.id);
    await expectEventually(async () => {
      const list = await ann.get(`${G}/${g.id}/invitations?status=all`);
      expect(list.body.items).toEqual([expect.objectContaining({ id: inv.id, status: 'expired' })]);
      // Marked by the sweep, not only shown so.
      expect(await sql('SELECT status, is_expired FROM group_invitations WHERE id = $1', [inv.id])).toEqual([{ status: 'expired', is_expired: true }]);
    }, { timeoutMs: 20000, what: 'the invitation to expire' });
    const expired = (await eventsOfGroup(g.id)).filter((e) => e.key === inv.id);
    expect(expired.map((e) => e.type)).toEqual(['invitation.created', 'invitation.expired']);
    expect(expired[1].payload.data).toMatchObject({ status: 'expired', byUserId: null });
    expect((await feedTypes(p.ann, g.id))[0]).toBe('invitation_expired');

    expectProblem(await as(p.eve).post(`${INV}/${inv.id}/accept`), 409, 'INVITATION_EXPIRED');
    expectProblem(await as(p.eve).post(`${INV}/${inv.id}/decline`), 409, 'INVITATION_EXPIRED');
    const revoke = await ann.del(`${G}/${g.id}/invitations/${inv.id}`);
    expectProblem(revoke, 409, 'INVITATION_NOT_PENDING');
    expect(revoke.body.invitationStatus).toBe('expired');
    expect((await as(p.eve).get(INV)).body.items.map((i: { id: string }) => i.id)).not.toContain(inv.id);
    expectProblem(await as(p.eve).get(`${G}/${g.id}`), 404, 'GROUP_NOT_FOUND');
    // A new invitation to the same address is possible again.
    expect((await ann.post(`${G}/${g.id}/invitations`, { email: p.eve.email })).status).toBe(201);
  });

  it('keeps an admin: the last one can neither leave nor be demoted; admins hand over', async () => {
    const ann = as(p.ann);
    const g = await groupWith(p.ann, 'Admins', [[p.bob, 'member'], [p.cat, 'member']]);
    const base = `${G}/${g.id}`;
    expectProblem(await ann.post(`${base}/leave`), 409, 'LAST_ADMIN');
    expectProblem(await ann.patch(`${base}/members/${p.ann.id}`, { role: 'member' }), 409, 'LAST_ADMIN');
    expectProblem(await ann.del(`${base}/members/${p.ann.id}`), 400, 'USE_LEAVE');
    expectProblem(await ann.patch(`${base}/members/${p.eve.id}`, { role: 'admin' }), 404, 'MEMBER_NOT_FOUND');
    expectProblem(await ann.del(`${base}/members/${p.eve.id}`), 404, 'MEMBER_NOT_FOUND');

    const promoted = await ann.patch(`${base}/members/${p.bob.id}`, { role: 'admin' });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ userId: p.bob.id, role: 'admin' });
    expect((await as(p.bob).get(base)).body).toMatchObject({ myRole: 'admin', inviteCode: g.inviteCode });
    // Now ann may step down; then bob is the last admin.
    expect((await ann.patch(`${base}/members/${p.ann.id}`, { role: 'viewer' })).body).toMatchObject({ role: 'viewer' });
    expectProblem(await as(p.bob).post(`${base}/leave`), 409, 'LAST_ADMIN');
    expectProblem(await as(p.bob).patch(`${base}/members/${p.bob.id}`, { role: 'member' }), 409, 'LAST_ADMIN');
    expectProblem(await ann.patch(`${base}/members/${p.bob.id}`, { role: 'member' }), 403, 'GROUP_ADMIN_REQUIRED');
    expect((await ann.post(`${base}/leave`)).status).toBe(204);
    expect((await as(p.bob).get(base)).body.memberCount).toBe(2);
    // Two admins leaving at once: one of them stays.
    expect((await as(p.bob).patch(`${base}/members/${p.cat.id}`, { role: 'admin' })).status).toBe(200);
    const both = await Promise.all([as(p.bob).post(`${base}/leave`), as(p.cat).post(`${base}/leave`)]);
    expect(both.map((r) => r.status).sort()).toEqual([204, 409]);
    expect(both.find((r) => r.status === 409)!.body.code).toBe('LAST_ADMIN');
    expect(await sql(`SELECT count(*)::int AS n FROM group_memberships WHERE group_id = $1 AND is_active AND role = 'admin'`, [g.id])).toEqual([{ n: 1 }]);

    const roles = (await eventsOfGroup(g.id)).filter((e) => e.type === 'membership.role_changed').map((e) => [e.payload.data.userId, e.payload.data.previousRole, e.payload.data.role]);
    expect(roles).toEqual([[p.bob.id, 'member', 'admin'], [p.ann.id, 'admin', 'viewer'], [p.cat.id, 'member', 'admin']]);
    expect((await typesOf(g.id, 'membership.')).at(-1)).toBe('membership.left');
  });

  it('refuses leaving or removal while the member\'s balance is not zero, and names the balance', async () => {
    const ann = as(p.ann);
    const g = await groupWith(p.ann, 'Balances', [[p.bob, 'member'], [p.cat, 'member']]);
    const base = `${G}/${g.id}`;
    await sql(`INSERT INTO member_balances (group_id, user_id, currency, balance) VALUES ($1, $2, 'EUR', -12.50), ($1, $2, 'USD', 0), ($1, $3, 'USD', 7.25)`, [g.id, p.bob.id, p.cat.id]);
    const before = await stateOf(g.id);
    const left = await as(p.bob).post(`${base}/leave`);
    expectProblem(left, 409, 'MEMBER_HAS_BALANCE');
    expect(left.body.balances).toEqual([{ currency: 'EUR', balance: '-12.50' }]);
    expect(left.body.detail).toContain('-12.50 EUR');
    const removed = await ann.del(`${base}/members/${p.bob.id}`);
    expectProblem(removed, 409, 'MEMBER_HAS_BALANCE');
    expect(removed.body.balances).toEqual([{ currency: 'EUR', balance: '-12.50' }]);
    const cat = await as(p.cat).post(`${base}/leave`);
    expectProblem(cat, 409, 'MEMBER_HAS_BALANCE');
    expect(cat.body.balances).toEqual([{ currency: 'USD', balance: '7.25' }]);
    expect(await stateOf(g.id)).toBe(before);

    await sql('DELETE FROM member_balances WHERE group_id = $1', [g.id]);
    expect((await as(p.bob).post(`${base}/leave`)).status).toBe(204);
    expect((await ann.del(`${base}/members/${p.cat.id}`)).status).toBe(204);
    expect((await ann.get(base)).body.memberCount).toBe(1);
  });

  it('removes a member, who then gets 404 and cannot rejoin by code, only by a new invitation; a former member may rejoin', async () => {
    const ann = as(p.ann);
    const g = await groupWith(p.ann, 'Removals', [[p.dan, 'member'], [p.fay, 'member']]);
    const base = `${G}/${g.id}`;
    expect((await ann.del(`${base}/members/${p.dan.id}`)).status).toBe(204);
    expectProblem(await ann.del(`${base}/members/${p.dan.id}`), 404, 'MEMBER_NOT_FOUND');
    expectProblem(await as(p.dan).get(base), 404, 'GROUP_NOT_FOUND');
    expectProblem(await as(p.dan).get(`${base}/members/me`), 404, 'GROUP_NOT_FOUND');
    expectProblem(await join(p.dan, g.inviteCode), 403, 'REMOVED_FROM_GROUP');
    expect((await ann.get(`${base}/members`)).body.items.map((m: { userId: string }) => m.userId)).toEqual([p.ann.id, p.fay.id]);

    const inv = (await ann.post(`${base}/invitations`, { email: p.dan.email })).body;
    expect((await as(p.dan).post(`${INV}/${inv.id}/accept`)).body).toMatchObject({ role: 'member', status: 'accepted', isActive: true, leftAt: null });

    expect((await as(p.fay).post(`${base}/leave`)).status).toBe(204);
    expectProblem(await as(p.fay).post(`${base}/leave`), 404, 'GROUP_NOT_FOUND');
    const back = await join(p.fay, g.inviteCode);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ userId: p.fay.id, role: 'member', status: 'accepted' });
    expect(await activeCount(g.id)).toEqual({ memberCount: 3, active: 3 });

    // One membership row per user and group, reused: all of fay's events carry the same id.
    const fays = (await eventsOfGroup(g.id)).filter((e) => e.topic === 'group.membership.v1' && e.payload.data.userId === p.fay.id);
    expect(fays.map((e) => e.type)).toEqual(['membership.joined', 'membership.left', 'membership.joined']);
    expect(new Set(fays.map((e) => e.key)).size).toBe(1);
    const dans = (await eventsOfGroup(g.id)).filter((e) => e.topic === 'group.membership.v1' && e.payload.data.userId === p.dan.id);
    expect(dans.map((e) => [e.type, e.payload.data.byUserId])).toEqual([['membership.joined', p.dan.id], ['membership.removed', p.ann.id], ['membership.joined', p.dan.id]]);
  });

  it('archives a group: read-only and still visible to its members, until an admin unarchives it', async () => {
    const ann = as(p.ann);
    const g = await groupWith(p.ann, 'Ski 2025', [[p.bob, 'member']]);
    const base = `${G}/${g.id}`;
    const pending = (await ann.post(`${base}/invitations`, { email: p.fay.email })).body;
    expectProblem(await as(p.bob).post(`${base}/archive`), 403, 'GROUP_ADMIN_REQUIRED');
    const archived = await ann.post(`${base}/archive`);
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ isArchived: true, archivedAt: expect.any(String) });
    expect((await as(p.bob).get(base)).body).toMatchObject({ isArchived: true, myRole: 'member' });
    expect((await as(p.bob).get(`${base}/members`)).status).toBe(200);
    const ids = async (q: string) => (await as(p.bob).get(`${G}?limit=100${q}`)).body.items.map((x: { id: string }) => x.id);
    expect(await ids('')).not.toContain(g.id);
    expect(await ids('&status=archived')).toContain(g.id);
    expect(await ids('&status=all')).toContain(g.id);

    const before = await stateOf(g.id);
    expectProblem(await ann.patch(base, { name: 'Ski 2026' }), 409, 'GROUP_ARCHIVED');
    expectProblem(await ann.post(`${base}/invitations`, { email: p.eve.email }), 409, 'GROUP_ARCHIVED');
    expectProblem(await ann.post(`${base}/invite-code`), 409, 'GROUP_ARCHIVED');
    expectProblem(await ann.del(`${base}/invite-code`), 409, 'GROUP_ARCHIVED');
    expectProblem(await ann.patch(`${base}/members/${p.bob.id}`, { role: 'viewer' }), 409, 'GROUP_ARCHIVED');
    expectProblem(await ann.del(`${base}/members/${p.bob.id}`), 409, 'GROUP_ARCHIVED');
    expectProblem(await ann.post(`${base}/archive`), 409, 'GROUP_ARCHIVED');
    expectProblem(await join(p.eve, g.inviteCode), 409, 'GROUP_ARCHIVED');
    expectProblem(await as(p.fay).post(`${INV}/${pending.id}/accept`), 409, 'GROUP_ARCHIVED');
    expectProblem(await as(p.bob).post(`${base}/unarchive`), 403, 'GROUP_ADMIN_REQUIRED');
    expect(await stateOf(g.id)).toBe(before);

    const back = await ann.post(`${base}/unarchive`);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ isArchived: false, archivedAt: null });
    expectProblem(await ann.post(`${base}/unarchive`), 409, 'GROUP_NOT_ARCHIVED');
    expect((await ann.patch(base, { name: 'Ski 2026' })).body.name).toBe('Ski 2026');
    expect((await typesOf(g.id, 'group.'))).toEqual(['group.created', 'group.archived', 'group.unarchived', 'group.updated']);
  });

  it('deletes a group only without expenses; then it is gone for everyone', async () => {
    const ann = as(p.ann);
    const g = await groupWith(p.ann, 'To delete', [[p.bob, 'member']]);
    const base = `${G}/${g.id}`;
    const inv = (await ann.post(`${base}/invitations`, { email: p.gus.email })).body;
    expectProblem(await as(p.bob).del(base), 403, 'GROUP_ADMIN_REQUIRED');
    await sql('UPDATE groups SET total_expenses = 25.5 WHERE id = $1', [g.id]);
    expect((await ann.get(base)).body.totalExpenses).toBe('25.50');
    expectProblem(await ann.del(base), 409, 'GROUP_HAS_EXPENSES');
    expect((await as(p.bob).get(base)).status).toBe(200);
    await sql('UPDATE groups SET total_expenses = 0 WHERE id = $1', [g.id]);

    expect((await ann.del(base)).status).toBe(204);
    for (const who of [p.ann, p.bob]) {
      expectProblem(await as(who).get(base), 404, 'GROUP_NOT_FOUND');
      expectProblem(await as(who).get(`${base}/activity`), 404, 'GROUP_NOT_FOUND');
      expect((await as(who).get(`${G}?status=all&limit=100`)).body.items.map((x: { id: string }) => x.id)).not.toContain(g.id);
    }
    expectProblem(await ann.del(base), 404, 'GROUP_NOT_FOUND');
    expectProblem(await join(p.eve, g.inviteCode), 404, 'INVITE_CODE_NOT_FOUND');
    expect((await as(p.gus).get(INV)).body.items.map((i: { id: string }) => i.id)).not.toContain(inv.id);
    expectProblem(await as(p.gus).post(`${INV}/${inv.id}/accept`), 404, 'INVITATION_NOT_FOUND');
    const [deleted] = (await eventsOfGroup(g.id)).filter((e) => e.type === 'group.deleted');
    expect(deleted.payload.data).toMatchObject({ groupId: g.id, isActive: false, byUserId: p.ann.id });
  });

  it('has no invite code for a private group: joining is refused, invitations work', async () => {
    const ann = as(p.ann);
    const g = await createGroup(p.ann, { name: 'Private', isPrivate: true });
    expect(g).toMatchObject({ isPrivate: true, inviteCode: null });
    const base = `${G}/${g.id}`;
    expectProblem(await ann.post(`${base}/invite-code`), 409, 'GROUP_PRIVATE');
    expect((await ann.del(`${base}/invite-code`)).body).toMatchObject({ inviteCode: null });
    expect(await sql('SELECT invite_code FROM groups WHERE id = $1', [g.id])).toEqual([{ invite_code: null }]);
    // A public group's code stops working the moment it turns private.
    const pub = await createGroup(p.ann, { name: 'Soon private' });
    expect((await ann.patch(`${G}/${pub.id}`, { isPrivate: true })).body.inviteCode).toBeNull();
    expectProblem(await join(p.eve, pub.inviteCode), 404, 'INVITE_CODE_NOT_FOUND');

    const inv = (await ann.post(`${base}/invitations`, { email: p.fay.email })).body;
    expect((await as(p.fay).post(`${INV}/${inv.id}/accept`)).status).toBe(200);
    expect((await as(p.fay).get(base)).body).toMatchObject({ isPrivate: true, memberCount: 2 });
  });

  it('rotates and disables the invite code; a code works in any case and with dashes; events never carry it', async () => {
    const ann = as(p.ann);
    const g = await groupWith(p.ann, 'Codes', [[p.bob, 'member']]);
    const base = `${G}/${g.id}`;
    const c1: string = g.inviteCode;
    expect((await as(p.bob).get(base)).body.inviteCode).toBeNull();
    expectProblem(await as(p.bob).post(`${base}/invite-code`), 403, 'GROUP_ADMIN_REQUIRED');

    const c2: string = (await ann.post(`${base}/invite-code`)).body.inviteCode;
    expect(c2).toMatch(CODE);
    expect(c2).not.toBe(c1);
    expect((await ann.get(base)).body.inviteCode).toBe(c2);
    expectProblem(await join(p.eve, c1), 404, 'INVITE_CODE_NOT_FOUND');
    const typed = `${c2.slice(0, 4)}-${c2.slice(4, 8)} ${c2.slice(8)}`.toLowerCase();
    const joined = await join(p.eve, typed);
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ groupId: g.id, userId: p.eve.id, role: 'member', status: 'accepted', isActive: true });
    expectProblem(await join(p.eve, c2), 409, 'ALREADY_MEMBER');
    for (const bad of ['short', '', 'OOOOOOOOOOOO', c2.slice(1)]) expectProblem(await join(p.fay, bad), 404, 'INVITE_CODE_NOT_FOUND');

    expect((await ann.del(`${base}/invite-code`)).body.inviteCode).toBeNull();
    expectProblem(await join(p.fay, c2), 404, 'INVITE_CODE_NOT_FOUND');
    const c3: string = (await ann.post(`${base}/invite-code`)).body.inviteCode;
    expect((await join(p.fay, c3)).status).toBe(200);
    expect((await ann.get(base)).body.memberCount).toBe(4);

    const events = await eventsOfGroup(g.id);
    expect(events.filter((e) => e.type === 'group.invite_code_changed').map((e) => e.payload.data.inviteCodeEnabled)).toEqual([true, false, true]);
    const text = JSON.stringify(events);
    for (const c of [c1, c2, c3]) expect(text).not.toContain(c);
    expect(events.filter((e) => e.type === 'membership.joined').map((e) => e.payload.data.via)).toEqual(['created', 'code', 'code', 'code']);
  });

  it('keeps member_count exact when twenty users join at once by code, and when many leave at once', async () => {
    const g = await createGroup(p.ann, { name: 'Crowd' });
    const crowd = Object.keys(p).filter((t) => t !== 'ann' && t !== 'lea').map((t) => p[t]);
    expect(crowd).toHaveLength(20);
    const joins = await Promise.all(crowd.map((u) => join(u, g.inviteCode)));
    expect(joins.map((r) => r.status)).toEqual(crowd.map(() => 200));
    expect((await as(p.ann).get(`${G}/${g.id}`)).body.memberCount).toBe(21);
    expect(await activeCount(g.id)).toEqual({ memberCount: 21, active: 21 });

    // Ten leave while the admin removes five others, all at once; one of the leavers joins twice at once.
    const leaving = crowd.slice(0, 10);
    const removed = crowd.slice(10, 15);
    const out = await Promise.all([
      ...leaving.map((u) => as(u).post(`${G}/${g.id}/leave`)),
      ...removed.map((u) => as(p.ann).del(`${G}/${g.id}/members/${u.id}`)),
    ]);
    expect(out.map((r) => r.status)).toEqual(out.map(() => 204));
    expect(await activeCount(g.id)).toEqual({ memberCount: 6, active: 6 });
    const twice = await Promise.all([join(leaving[0], g.inviteCode), join(leaving[0], g.inviteCode)]);
    expect(twice.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await as(p.ann).get(`${G}/${g.id}`)).body.memberCount).toBe(7);
    expect(await activeCount(g.id)).toEqual({ memberCount: 7, active: 7 });
    expect((await typesOf(g.id, 'membership.joined'))).toHaveLength(22);

    // Every page of the member list, in the order they joined, has each active member once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await as(p.ann).get(`${G}/${g.id}/members?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((m: { userId: string }) => m.userId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen)).toEqual(new Set([p.ann.id, leaving[0].id, ...crowd.slice(15).map((u) => u.id)]));
    expect(seen[0]).toBe(p.ann.id);
  });

  it('lists the group\'s changes newest first in its feed, page by page', async () => {
    const ann = as(p.ann);
    const g = await createGroup(p.ann, { name: 'Feed' });
    const base = `${G}/${g.id}`;
    expect((await join(p.bob, g.inviteCode)).status).toBe(200);
    expect((await ann.patch(base, { name: 'Feed 2' })).status).toBe(200);
    expect((await ann.post(`${base}/invite-code`)).status).toBe(200);
    const inv = (await ann.post(`${base}/invitations`, { email: p.cat.email })).body;
    expect((await as(p.cat).post(`${INV}/${inv.id}/accept`)).status).toBe(200);
    expect((await ann.patch(`${base}/members/${p.bob.id}`, { role: 'viewer' })).status).toBe(200);
    expect((await as(p.bob).post(`${base}/leave`)).status).toBe(204);
    expect((await ann.del(`${base}/members/${p.cat.id}`)).status).toBe(204);
    expect((await ann.post(`${base}/archive`)).status).toBe(200);
    expect((await ann.post(`${base}/unarchive`)).status).toBe(200);
    const expected = [
      'group_unarchived', 'group_archived', 'member_removed', 'member_left', 'member_role_changed', 'member_joined', 'invitation_accepted',
      'invitation_sent', 'invite_code_rotated', 'group_updated', 'member_joined', 'group_created',
    ];

    const all = await ann.get(`${base}/activity?limit=100`);
    expect(all.body.items.map((a: { type: string }) => a.type)).toEqual(expected);
    expect(all.body.nextCursor).toBeNull();
    const times = all.body.items.map((a: { createdAt: string }) => a.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(all.body.items[5]).toMatchObject({ type: 'member_joined', userId: p.cat.id, metadata: { memberId: p.cat.id, via: 'invitation' } });
    expect(all.body.items[4]).toMatchObject({ type: 'member_role_changed', userId: p.ann.id, metadata: { memberId: p.bob.id, previousRole: 'member', role: 'viewer' } });

    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await ann.get(`${base}/activity?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.limit).toBe(5);
      pages.push(page.body.items.map((a: { id: string }) => a.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(pages.map((x) => x.length)).toEqual([5, 5, 2]);
    expect(pages.flat()).toEqual(all.body.items.map((a: { id: string }) => a.id));
    // Former members do not read it.
    expectProblem(await as(p.bob).get(`${base}/activity`), 404, 'GROUP_NOT_FOUND');
  });

  it('lists my groups newest first, by status, by full-text search, page by page', async () => {
    const lea = as(p.lea);
    const lisbon = await createGroup(p.lea, { name: 'Lisbon weekend', description: 'Pastéis and trams' });
    const flat = await createGroup(p.lea, { name: 'Flat share', description: 'Rent for the flat in Lisbon' });
    const ski = await createGroup(p.lea, { name: 'Ski trip', groupType: 'trip' });
    expect((await lea.post(`${G}/${ski.id}/archive`)).status).toBe(200);
    const gone = await createGroup(p.lea, { name: 'Deleted trip to Lisbon' });
    expect((await lea.del(`${G}/${gone.id}`)).status).toBe(204);
    const book = await createGroup(p.bob, { name: 'Book club', description: 'Novels' });
    expect((await join(p.lea, book.inviteCode)).status).toBe(200);
    const names = async (q: string) => {
      const res = await lea.get(`${G}${q}`);
      expect(res.status).toBe(200);
      return res.body.items.map((x: { name: string }) => x.name);
    };

    expect(await names('')).toEqual(['Book club', 'Flat share', 'Lisbon weekend']);
    expect(await names('?status=active')).toEqual(['Book club', 'Flat share', 'Lisbon weekend']);
    expect(await names('?status=archived')).toEqual(['Ski trip']);
    expect(await names('?status=all')).toEqual(['Book club', 'Ski trip', 'Flat share', 'Lisbon weekend']);
    expect(await names('?q=lisbon')).toEqual(['Flat share', 'Lisbon weekend']);
    expect(await names('?q=tram')).toEqual(['Lisbon weekend']);
    expect(await names('?q=ski')).toEqual([]);
    expect(await names('?q=ski&status=all')).toEqual(['Ski trip']);
    expect(await names(`?q=${encodeURIComponent('"flat share"')}`)).toEqual(['Flat share']);
    expect(await names('?q=lisbon%20-rent')).toEqual(['Lisbon weekend']);
    expect(await names(`?q=${encodeURIComponent("!!! & | : '")}`)).toEqual([]);

    const list = await lea.get(G);
    expect(list.body).toMatchObject({ nextCursor: null, limit: 20 });
    expect(list.body.items[0]).toMatchObject({ id: book.id, myRole: 'member', inviteCode: null, memberCount: 2 });
    expect(list.body.items[1]).toMatchObject({ id: flat.id, myRole: 'admin', inviteCode: flat.inviteCode });

    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await lea.get(`${G}?status=all&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(page.body.items.map((x: { name: string }) => x.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(pages).toEqual([['Book club'], ['Ski trip'], ['Flat share'], ['Lisbon weekend']]);
    const first = await lea.get(`${G}?q=lisbon&limit=1`);
    expect(first.body.items.map((x: { id: string }) => x.id)).toEqual([flat.id]);
    const second = await lea.get(`${G}?q=lisbon&limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body).toMatchObject({ items: [expect.objectContaining({ id: lisbon.id })], nextCursor: null });

    // Someone else's list holds none of them.
    const eve = (await as(p.eve).get(`${G}?status=all&limit=100`)).body.items.map((x: { id: string }) => x.id);
    for (const x of [lisbon, flat, ski, book]) expect(eve).not.toContain(x.id);
  });

  it('keeps each member\'s notification preferences for the group', async () => {
    const g = await groupWith(p.ann, 'Preferences', [[p.bob, 'viewer']]);
    const base = `${G}/${g.id}`;
    const bob = as(p.bob);
    expect((await bob.patch(`${base}/members/me/preferences`, { expenses: false, muted: true })).body.notificationPreferences).toEqual({ expenses: false, muted: true });
    expect((await bob.patch(`${base}/members/me/preferences`, { muted: true })).status).toBe(200);
    expect((await bob.patch(`${base}/members/me/preferences`, { expenses: true })).body.notificationPreferences).toEqual({ expenses: true, muted: true });
    expect((await bob.get(`${base}/members/me`)).body).toMatchObject({ role: 'viewer', notificationPreferences: { expenses: true, muted: true } });
    expect((await as(p.ann).get(`${base}/members/me`)).body.notificationPreferences).toEqual({});
    const prefs = (await eventsOfGroup(g.id)).filter((e) => e.type === 'membership.preferences_updated').map((e) => e.payload.data.notificationPreferences);
    expect(prefs).toEqual([{ expenses: false, muted: true }, { expenses: true, muted: true }]);
  });
});
