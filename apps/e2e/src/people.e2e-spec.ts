import { Client } from 'pg';
import { SmtpCatcher, TallySystem } from '@tally/testing';
import { call, newUser, startSystem, verificationToken } from './support';

/** One connection to auth's database for the whole file (the test server's connections are shared). */
let db: Client | undefined;

async function query<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db!.query(sql, params)).rows as T[];
}

interface Person {
  id: string;
  token: string;
  username: string;
  email: string;
}

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
/** What no view of another user may ever contain. */
const PRIVATE_KEYS = ['email', 'phoneNumber', 'dateOfBirth', 'lastLoginIp', 'failedLoginAttempts', 'accountLockedUntil', 'password', 'userNotificationPreferences'];

/** People: profiles, public user views and their visibility, countries, friendships, devices, through the gateway. */
describe('people through the gateway', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;
  const p: Record<string, Person> = {};

  /** Registers, verifies (through the real mail) and logs in. */
  async function signUp(tag: string): Promise<Person> {
    const u = newUser(tag, system.runId);
    const reg = await call(gw, 'POST', '/api/v1/auth/register', { body: u });
    expect(reg.status).toBe(202);
    const token = verificationToken((await smtp.waitFor(u.email, 60000)).text);
    expect((await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token } })).status).toBe(200);
    const login = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: u.password } });
    expect(login.status).toBe(200);
    return { id: login.body.user.id, token: login.body.accessToken, username: u.username, email: u.email };
  }

  const as = (who: Person) => ({
    get: (path: string, headers?: Record<string, string>) => call(gw, 'GET', path, { token: who.token, headers }),
    post: (path: string, body?: unknown) => call(gw, 'POST', path, { token: who.token, body }),
    patch: (path: string, body: unknown) => call(gw, 'PATCH', path, { token: who.token, body }),
    del: (path: string) => call(gw, 'DELETE', path, { token: who.token }),
  });

  /** The events in auth's outbox for one subject (aggregate id), oldest first. */
  const eventsOf = (subject: string) =>
    query<{ type: string; topic: string; payload: any }>('SELECT type, topic, payload FROM outbox WHERE key = $1 ORDER BY seq', [subject]);
  const outboxCount = async () => (await query('SELECT count(*)::int AS n FROM outbox'))[0].n as number;

  function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, code?: string) {
    expect({ status: res.status, code: res.body?.code }).toEqual({ status, code: code ?? res.body?.code });
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  }

  function expectNoPrivateFields(body: unknown) {
    for (const k of PRIVATE_KEYS) expect(body).not.toHaveProperty(k);
  }

  beforeAll(async () => {
    // This file tests people, not the gateway's limiter (it registers eight users from one address).
    ({ system, smtp } = await startSystem({ 'api-gateway': { RATE_LIMIT_ENABLED: 'false' } }));
    gw = system.gatewayUrl;
    db = new Client({ connectionString: system.databaseUrl('auth') });
    await db.connect();
    const tags = ['ann', 'bob', 'cat', 'dan', 'eve', 'vic', 'fay', 'gus'];
    const people = await Promise.all(tags.map((t) => signUp(t)));
    tags.forEach((t, i) => (p[t] = people[i]));
  });

  afterAll(async () => {
    await db?.end().catch(() => undefined);
    await system?.stop();
    await smtp?.stop();
  });

  it('lists every ISO 3166-1 country with an ETag, and looks one up by code', async () => {
    const anon = await call(gw, 'GET', '/api/v1/countries');
    expect(anon.status).toBe(401);

    const list = await as(p.ann).get('/api/v1/countries');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(250);
    expect(list.body.items).toHaveLength(250);
    expect(list.body.items).toContainEqual(
      expect.objectContaining({ code: 'DE', name: 'Germany', phoneCode: '+49', flagEmoji: '🇩🇪', currencyCode: 'EUR', currencyId: null }),
    );
    const names: string[] = list.body.items.map((c: { name: string }) => c.name);
    expect(names).toEqual([...names].sort(new Intl.Collator('en').compare));
    const etag = list.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(list.headers.get('cache-control')).toContain('max-age');

    const again = await as(p.ann).get('/api/v1/countries', { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(again.body).toBeNull();
    const stale = await as(p.ann).get('/api/v1/countries', { 'if-none-match': '"something-else"' });
    expect(stale.status).toBe(200);

    const jp = await as(p.ann).get('/api/v1/countries/jp');
    expect(jp.status).toBe(200);
    expect(jp.body).toMatchObject({ code: 'JP', name: 'Japan', currencyCode: 'JPY', phoneCode: '+81' });
    expectProblem(await as(p.ann).get('/api/v1/countries/ZZ'), 404, 'COUNTRY_NOT_FOUND');
    expectProblem(await as(p.ann).get('/api/v1/countries/DEU'), 400, 'INVALID_COUNTRY_CODE');

    const [{ n }] = await query('SELECT count(*)::int AS n FROM countries WHERE currency_code IS NOT NULL AND flag_emoji IS NOT NULL');
    expect(n).toBeGreaterThanOrEqual(249);
  });

  it('creates the profile on first access and updates it, storing the country as its code', async () => {
    const ann = as(p.ann);
    expect(await query('SELECT 1 FROM user_profiles WHERE user_id = $1', [p.ann.id])).toHaveLength(0);
    const first = await ann.get('/api/v1/users/me/profile');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      userId: p.ann.id, occupation: null, country: null, socialLinks: {}, totalExpenses: '0.00', totalGroups: 0, expenseCount: 0,
    });
    expect(await query('SELECT 1 FROM user_profiles WHERE user_id = $1', [p.ann.id])).toHaveLength(1);

    const patched = await ann.patch('/api/v1/users/me/profile', {
      occupation: 'Engineer', company: 'Tally', website: 'https://ann.example.com', country: 'germany', city: 'Berlin',
      socialLinks: { github: 'https://github.com/ann', linkedin: 'https://www.linkedin.com/in/ann' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      occupation: 'Engineer', company: 'Tally', website: 'https://ann.example.com', country: 'DE', countryName: 'Germany', city: 'Berlin',
      socialLinks: { github: 'https://github.com/ann', linkedin: 'https://www.linkedin.com/in/ann' }, totalExpenses: '0.00',
    });
    // By code, any case; absent fields stay; null clears.
    const byCode = await ann.patch('/api/v1/users/me/profile', { country: 'fr', company: null });
    expect(byCode.body).toMatchObject({ country: 'FR', countryName: 'France', company: null, occupation: 'Engineer' });
    const [row] = await query('SELECT country, company, total_expenses::text AS total FROM user_profiles WHERE user_id = $1', [p.ann.id]);
    expect(row).toEqual({ country: 'FR', company: null, total: '0.00' });

    // Bad input: 400 problem+json, nothing changed.
    const before = await query('SELECT * FROM user_profiles WHERE user_id = $1', [p.ann.id]);
    const bad: [unknown, number, string | undefined][] = [
      [{ country: 'Atlantis' }, 400, 'UNKNOWN_COUNTRY'],
      [{ country: 'Atlantis', city: 'Nowhere' }, 400, 'UNKNOWN_COUNTRY'],
      [{ website: 'javascript:alert(1)' }, 400, 'VALIDATION_FAILED'],
      [{ socialLinks: { myspace: 'https://myspace.com/ann' } }, 400, 'VALIDATION_FAILED'],
      [{ socialLinks: { github: 'http://github.com/ann' } }, 400, 'VALIDATION_FAILED'],
      [{ socialLinks: { github: 'https://evil.example/ann' } }, 400, 'VALIDATION_FAILED'],
      [{ city: 'x'.repeat(51) }, 400, 'VALIDATION_FAILED'],
      [{ totalExpenses: '1000000.00' }, 400, 'VALIDATION_FAILED'],
      [{ userId: p.bob.id }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of bad) expectProblem(await ann.patch('/api/v1/users/me/profile', body), status, code);
    expect(await query('SELECT * FROM user_profiles WHERE user_id = $1', [p.ann.id])).toEqual(before);
  });

  it('updates the user-level fields and publishes user.profile_updated only when a published field changed', async () => {
    const dan = as(p.dan);
    const events0 = (await eventsOf(p.dan.id)).filter((e) => e.type === 'user.profile_updated');
    expect(events0).toHaveLength(0);

    const res = await dan.patch('/api/v1/users/me', {
      firstName: 'Daniel', lastName: 'Dee', phoneNumber: '+49 30 1234 5678', avatar: 'avatars/dan.png', bio: 'Hello', dateOfBirth: '1990-05-01',
      preferredCurrency: 'EUR', timezone: 'Europe/Berlin', profileVisibility: 'public', userNotificationPreferences: { email: { digest: 'weekly' }, push: true },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: p.dan.id, email: p.dan.email, firstName: 'Daniel', lastName: 'Dee', phoneNumber: '+493012345678', avatar: 'avatars/dan.png', bio: 'Hello',
      dateOfBirth: '1990-05-01', preferredCurrency: 'EUR', timezone: 'Europe/Berlin', profileVisibility: 'public',
      userNotificationPreferences: { email: { digest: 'weekly' }, push: true },
    });
    // GET /users/me shows the account exactly as PATCH answered it: one representation.
    const got = await dan.get('/api/v1/users/me');
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ ...res.body, lastLogin: expect.any(String) });
    const [u] = await query(`SELECT first_name, phone_number, to_char(date_of_birth, 'YYYY-MM-DD') AS dob, preferred_currency, timezone, profile_visibility FROM users WHERE id = $1`, [p.dan.id]);
    expect(u).toEqual({ first_name: 'Daniel', phone_number: '+493012345678', dob: '1990-05-01', preferred_currency: 'EUR', timezone: 'Europe/Berlin', profile_visibility: 'public' });

    let published = (await eventsOf(p.dan.id)).filter((e) => e.type === 'user.profile_updated');
    expect(published).toHaveLength(1);
    expect(published[0].topic).toBe('auth.user.v1');
    expect(published[0].payload.data).toMatchObject({
      userId: p.dan.id, username: p.dan.username, firstName: 'Daniel', lastName: 'Dee', preferredCurrency: 'EUR', timezone: 'Europe/Berlin', profileVisibility: 'public',
    });
    expect(published[0].payload.actor).toMatchObject({ userId: p.dan.id });

    // Only unpublished fields: no event.
    expect((await dan.patch('/api/v1/users/me', { bio: 'Still me', avatar: null })).status).toBe(200);
    published = (await eventsOf(p.dan.id)).filter((e) => e.type === 'user.profile_updated');
    expect(published).toHaveLength(1);

    // Bad input: 400, the row and the outbox unchanged.
    const before = await query('SELECT * FROM users WHERE id = $1', [p.dan.id]);
    const outboxBefore = await outboxCount();
    const bad: [Record<string, unknown>, string][] = [
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ timezone: '+01:00' }, 'timezone'],
      [{ timezone: null }, 'timezone'],
      [{ preferredCurrency: 'eur' }, 'preferredCurrency'],
      [{ preferredCurrency: 'XYZ' }, 'preferredCurrency'],
      [{ phoneNumber: '0301234' }, 'phoneNumber'],
      [{ phoneNumber: '+1234567890123456789' }, 'phoneNumber'],
      [{ avatar: '../../etc/passwd' }, 'avatar'],
      [{ avatar: `avatars/${'x'.repeat(100)}.png` }, 'avatar'],
      [{ dateOfBirth: '2999-01-01' }, 'dateOfBirth'],
      [{ dateOfBirth: '1990-02-30' }, 'dateOfBirth'],
      [{ profileVisibility: 'everyone' }, 'profileVisibility'],
      [{ userNotificationPreferences: ['email'] }, 'userNotificationPreferences'],
      [{ userNotificationPreferences: { blob: 'x'.repeat(5000) } }, 'userNotificationPreferences'],
      [{ userNotificationPreferences: { a: { b: { c: { d: true } } } } }, 'userNotificationPreferences'],
      [{ firstName: 'x'.repeat(151) }, 'firstName'],
      [{ email: 'new@example.com' }, 'email'],
      [{ username: 'taken' }, 'username'],
      [{ role: 'admin' }, 'role'],
      [{ isVerified: true, firstName: 'Ok' }, 'isVerified'],
    ];
    for (const [body, field] of bad) {
      const r = await dan.patch('/api/v1/users/me', body);
      expectProblem(r, 400, 'VALIDATION_FAILED');
      expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await query('SELECT * FROM users WHERE id = $1', [p.dan.id])).toEqual(before);
    expect(await outboxCount()).toBe(outboxBefore);
  });

  it('runs the friendship lifecycle: request, conflicts, accept by the recipient only, decline, unfriend', async () => {
    const [ann, bob, cat, dan] = [as(p.ann), as(p.bob), as(p.cat), as(p.dan)];

    expectProblem(await ann.post('/api/v1/friendships', { toUserId: p.ann.id }), 400, 'FRIENDSHIP_WITH_SELF');
    expectProblem(await ann.post('/api/v1/friendships', { toUserId: UNKNOWN_ID }), 404, 'USER_NOT_FOUND');
    expectProblem(await ann.post('/api/v1/friendships', { toUserId: 'not-a-uuid' }), 400, 'VALIDATION_FAILED');
    expectProblem(await ann.post('/api/v1/friendships', { toUserId: p.bob.id, message: 'x'.repeat(501) }), 400, 'VALIDATION_FAILED');
    expectProblem(await ann.post('/api/v1/friendships', { toUserId: p.bob.id, status: 'accepted' }), 400, 'VALIDATION_FAILED');
    expect((await query('SELECT count(*)::int AS n FROM user_friendships WHERE $1 IN (from_user_id, to_user_id)', [p.ann.id]))[0].n).toBe(0);

    const req = await ann.post('/api/v1/friendships', { toUserId: p.bob.id, message: 'Hi Bob!' });
    expect(req.status).toBe(201);
    expect(req.body).toMatchObject({ status: 'pending', direction: 'outgoing', message: 'Hi Bob!', user: { id: p.bob.id, username: p.bob.username } });
    const fid: string = req.body.id;

    expectProblem(await ann.post('/api/v1/friendships', { toUserId: p.bob.id }), 409, 'FRIENDSHIP_EXISTS');
    expectProblem(await bob.post('/api/v1/friendships', { toUserId: p.ann.id }), 409, 'FRIENDSHIP_EXISTS');

    // Lists: bob sees it incoming, ann outgoing; filters work; cat sees nothing.
    const incoming = await bob.get('/api/v1/friendships?status=pending&direction=incoming');
    expect(incoming.status).toBe(200);
    expect(incoming.body).toMatchObject({ total: 1, limit: 20, offset: 0 });
    expect(incoming.body.items[0]).toMatchObject({ id: fid, direction: 'incoming', user: { id: p.ann.id } });
    expect((await bob.get('/api/v1/friendships?direction=outgoing')).body.total).toBe(0);
    expect((await ann.get('/api/v1/friendships?direction=outgoing')).body.items.map((f: { id: string }) => f.id)).toEqual([fid]);
    expect((await cat.get('/api/v1/friendships')).body.total).toBe(0);
    expectProblem(await bob.get('/api/v1/friendships?status=friends'), 400, 'VALIDATION_FAILED');
    expectProblem(await bob.get('/api/v1/friendships?limit=1000'), 400, 'VALIDATION_FAILED');

    // Only the recipient accepts; a third user cannot see it at all.
    expectProblem(await ann.post(`/api/v1/friendships/${fid}/accept`), 403, 'NOT_FRIENDSHIP_RECIPIENT');
    expectProblem(await cat.post(`/api/v1/friendships/${fid}/accept`), 404, 'FRIENDSHIP_NOT_FOUND');
    expectProblem(await cat.post(`/api/v1/friendships/${fid}/block`), 404, 'FRIENDSHIP_NOT_FOUND');
    expectProblem(await cat.del(`/api/v1/friendships/${fid}`), 404, 'FRIENDSHIP_NOT_FOUND');
    expectProblem(await cat.post('/api/v1/friendships/not-a-uuid/accept'), 400, 'INVALID_ID');

    const accepted = await bob.post(`/api/v1/friendships/${fid}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ id: fid, status: 'accepted', direction: 'incoming', user: { id: p.ann.id } });
    expectProblem(await bob.post(`/api/v1/friendships/${fid}/accept`), 409, 'FRIENDSHIP_NOT_PENDING');
    expectProblem(await bob.post(`/api/v1/friendships/${fid}/decline`), 409, 'FRIENDSHIP_NOT_PENDING');
    expect((await ann.get('/api/v1/friendships?status=accepted')).body.items.map((f: { id: string }) => f.id)).toEqual([fid]);

    // Decline: cat asks dan, dan declines; cat may ask again (the same row, reopened).
    const catReq = await cat.post('/api/v1/friendships', { toUserId: p.dan.id });
    expect(catReq.status).toBe(201);
    const declined = await dan.post(`/api/v1/friendships/${catReq.body.id}/decline`);
    expect(declined.body).toMatchObject({ status: 'declined' });
    expect((await dan.get('/api/v1/friendships?status=declined')).body.total).toBe(1);
    const reopened = await cat.post('/api/v1/friendships', { toUserId: p.dan.id, message: 'Sure?' });
    expect(reopened.status).toBe(201);
    expect(reopened.body).toMatchObject({ id: catReq.body.id, status: 'pending' });
    // Cancel by the sender.
    expect((await cat.del(`/api/v1/friendships/${catReq.body.id}`)).status).toBe(204);
    expectProblem(await dan.post(`/api/v1/friendships/${catReq.body.id}/accept`), 404, 'FRIENDSHIP_NOT_FOUND');

    // Every change is an event on auth.friendship.v1, subject = friendship id, in order.
    const ev = await eventsOf(catReq.body.id);
    expect(ev.map((e) => [e.type, e.payload.data.status, e.payload.data.byUserId])).toEqual([
      ['friendship.requested', 'pending', p.cat.id],
      ['friendship.declined', 'declined', p.dan.id],
      ['friendship.requested', 'pending', p.cat.id],
      ['friendship.removed', 'removed', p.cat.id],
    ]);
    expect(new Set(ev.map((e) => e.topic))).toEqual(new Set(['auth.friendship.v1']));
    expect((await eventsOf(fid)).map((e) => e.type)).toEqual(['friendship.requested', 'friendship.accepted']);
    expect((await eventsOf(fid))[0].payload.data).toMatchObject({ friendshipId: fid, fromUserId: p.ann.id, toUserId: p.bob.id, message: 'Hi Bob!' });

    // Unfriend (either party), then they are strangers again and may start over.
    expect((await ann.del(`/api/v1/friendships/${fid}`)).status).toBe(204);
    expect((await bob.get('/api/v1/friendships')).body.total).toBe(0);
    expect((await eventsOf(fid)).map((e) => e.type)).toEqual(['friendship.requested', 'friendship.accepted', 'friendship.removed']);
    expectProblem(await ann.del(`/api/v1/friendships/${fid}`), 404, 'FRIENDSHIP_NOT_FOUND');
  });

  it('enforces profile_visibility of the target, as seen by self, a friend and a third user', async () => {
    const [vic, fay, gus] = [as(p.vic), as(p.fay), as(p.gus)];
    // vic and fay are friends; gus is a third user to both.
    const req = await vic.post('/api/v1/friendships', { toUserId: p.fay.id });
    expect((await fay.post(`/api/v1/friendships/${req.body.id}/accept`)).status).toBe(200);
    expect((await vic.patch('/api/v1/users/me', { firstName: 'Victoria', lastName: 'V', bio: 'About vic', phoneNumber: '+14155550123', dateOfBirth: '1985-01-02' })).status).toBe(200);
    expect((await vic.patch('/api/v1/users/me/profile', { occupation: 'Pilot', country: 'JP' })).status).toBe(200);

    const full = { id: p.vic.id, username: p.vic.username, firstName: 'Victoria', lastName: 'V', bio: 'About vic', detailsVisible: true };
    const card = { id: p.vic.id, username: p.vic.username, firstName: 'Victoria', detailsVisible: false };

    // Default visibility is friends.
    const asFriend = await fay.get(`/api/v1/users/${p.vic.id}`);
    expect(asFriend.status).toBe(200);
    expect(asFriend.body).toMatchObject({ ...full, profileVisibility: 'friends' });
    expectNoPrivateFields(asFriend.body);
    const friendProfile = await fay.get(`/api/v1/users/${p.vic.id}/profile`);
    expect(friendProfile.status).toBe(200);
    expect(friendProfile.body).toEqual({
      userId: p.vic.id, occupation: 'Pilot', company: null, website: null, country: 'JP', countryName: 'Japan', city: null, socialLinks: {},
    });
    const asThird = await gus.get(`/api/v1/users/${p.vic.id}`);
    expect(asThird.status).toBe(200);
    expect(asThird.body).toEqual(card);
    expectProblem(await gus.get(`/api/v1/users/${p.vic.id}/profile`), 403, 'PROFILE_NOT_VISIBLE');

    // public: the third user sees the details too, still without private fields or totals.
    expect((await vic.patch('/api/v1/users/me', { profileVisibility: 'public' })).status).toBe(200);
    const publicThird = await gus.get(`/api/v1/users/${p.vic.id}`);
    expect(publicThird.body).toMatchObject({ ...full, profileVisibility: 'public' });
    expectNoPrivateFields(publicThird.body);
    const publicProfile = await gus.get(`/api/v1/users/${p.vic.id}/profile`);
    expect(publicProfile.status).toBe(200);
    expect(publicProfile.body).toMatchObject({ occupation: 'Pilot', country: 'JP' });
    expect(publicProfile.body).not.toHaveProperty('totalExpenses');

    // private: only vic; the friend and the third user get the card.
    expect((await vic.patch('/api/v1/users/me', { profileVisibility: 'private' })).status).toBe(200);
    expect((await fay.get(`/api/v1/users/${p.vic.id}`)).body).toEqual(card);
    expect((await gus.get(`/api/v1/users/${p.vic.id}`)).body).toEqual(card);
    expectProblem(await fay.get(`/api/v1/users/${p.vic.id}/profile`), 403, 'PROFILE_NOT_VISIBLE');
    expectProblem(await gus.get(`/api/v1/users/${p.vic.id}/profile`), 403, 'PROFILE_NOT_VISIBLE');
    const self = await vic.get(`/api/v1/users/${p.vic.id}/profile`);
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ occupation: 'Pilot', totalExpenses: '0.00' });
    expect((await vic.get(`/api/v1/users/${p.vic.id}`)).body).toMatchObject({ ...full, profileVisibility: 'private' });

    // Each visibility change was published.
    const vis = (await eventsOf(p.vic.id)).filter((e) => e.type === 'user.profile_updated').map((e) => e.payload.data.profileVisibility);
    expect(vis).toEqual(['friends', 'public', 'private']);

    // Unknown and malformed ids.
    expectProblem(await gus.get(`/api/v1/users/${UNKNOWN_ID}`), 404, 'USER_NOT_FOUND');
    expectProblem(await gus.get(`/api/v1/users/${UNKNOWN_ID}/profile`), 404, 'USER_NOT_FOUND');
    expectProblem(await gus.get('/api/v1/users/12345'), 400, 'INVALID_ID');
    // /users/me is still the users module's route, not an id.
    const me = await gus.get('/api/v1/users/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: p.gus.id, email: p.gus.email });
  });

  it('hides both sides of a block from each other, keeps the blocker, and leaves third users unaffected', async () => {
    const [eve, cat, dan] = [as(p.eve), as(p.cat), as(p.dan)];
    expect((await eve.patch('/api/v1/users/me', { profileVisibility: 'public' })).status).toBe(200);
    expect((await cat.patch('/api/v1/users/me', { profileVisibility: 'public' })).status).toBe(200);

    const req = await cat.post('/api/v1/friendships', { toUserId: p.eve.id, message: 'add me' });
    expect(req.status).toBe(201);
    const fid: string = req.body.id;
    const blocked = await eve.post(`/api/v1/friendships/${fid}/block`);
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({ id: fid, status: 'blocked', user: { id: p.cat.id } });
    const [row] = await query('SELECT status, blocked_by_id FROM user_friendships WHERE id = $1', [fid]);
    expect(row).toEqual({ status: 'blocked', blocked_by_id: p.eve.id });
    // Blocking again is a no-op (one event).
    expect((await eve.post(`/api/v1/friendships/${fid}/block`)).status).toBe(200);

    // Either direction: 404 as if the other did not exist.
    expectProblem(await cat.get(`/api/v1/users/${p.eve.id}`), 404, 'USER_NOT_FOUND');
    expectProblem(await cat.get(`/api/v1/users/${p.eve.id}/profile`), 404, 'USER_NOT_FOUND');
    expectProblem(await eve.get(`/api/v1/users/${p.cat.id}`), 404, 'USER_NOT_FOUND');
    // The blocked user cannot see, lift, accept or re-request; a new request looks like an unknown user.
    expect((await cat.get('/api/v1/friendships')).body.items.map((f: { id: string }) => f.id)).not.toContain(fid);
    expect((await cat.get('/api/v1/friendships?status=blocked')).body.total).toBe(0);
    expectProblem(await cat.del(`/api/v1/friendships/${fid}`), 404, 'FRIENDSHIP_NOT_FOUND');
    expectProblem(await cat.post(`/api/v1/friendships/${fid}/block`), 404, 'FRIENDSHIP_NOT_FOUND');
    expectProblem(await cat.post('/api/v1/friendships', { toUserId: p.eve.id }), 404, 'USER_NOT_FOUND');
    // The blocker sees the block and cannot send a request over it.
    const eveBlocks = await eve.get('/api/v1/friendships?status=blocked');
    expect(eveBlocks.body.items).toEqual([expect.objectContaining({ id: fid, status: 'blocked', user: expect.objectContaining({ id: p.cat.id }) })]);
    expectProblem(await eve.post('/api/v1/friendships', { toUserId: p.cat.id }), 409, 'FRIENDSHIP_EXISTS');
    expectProblem(await eve.post(`/api/v1/friendships/${fid}/accept`), 409, 'FRIENDSHIP_NOT_PENDING');

    // A third user still sees both (public) and cannot touch their friendship.
    expect((await dan.get(`/api/v1/users/${p.eve.id}`)).body).toMatchObject({ id: p.eve.id, detailsVisible: true });
    expect((await dan.get(`/api/v1/users/${p.cat.id}`)).body).toMatchObject({ id: p.cat.id, detailsVisible: true });
    expectProblem(await dan.del(`/api/v1/friendships/${fid}`), 404, 'FRIENDSHIP_NOT_FOUND');
    expectProblem(await dan.post(`/api/v1/friendships/${fid}/block`), 404, 'FRIENDSHIP_NOT_FOUND');

    // Only the blocker lifts it; then both see each other again.
    expect((await eve.del(`/api/v1/friendships/${fid}`)).status).toBe(204);
    expect((await cat.get(`/api/v1/users/${p.eve.id}`)).status).toBe(200);
    expect((await eve.get(`/api/v1/users/${p.cat.id}`)).status).toBe(200);

    const ev = await eventsOf(fid);
    expect(ev.map((e) => [e.type, e.payload.data.byUserId])).toEqual([
      ['friendship.requested', p.cat.id],
      ['friendship.blocked', p.eve.id],
      ['friendship.removed', p.eve.id],
    ]);
  });

  it('registers devices per install, moves a token to its new user, and keeps each user to their own devices', async () => {
    const [ann, bob] = [as(p.ann), as(p.bob)];
    const token = `fcm-${system.runId}-${'a'.repeat(40)}`;

    const first = await ann.post('/api/v1/devices', { deviceToken: token, deviceType: 'android', deviceName: 'Pixel' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ deviceType: 'android', deviceName: 'Pixel', isActive: true });
    expect(first.body.lastUsed).toBeTruthy();
    expect(JSON.stringify(first.body)).not.toContain(token);
    const id: string = first.body.id;

    // The same install again: same device, 200, last_used refreshed, no new event.
    await new Promise((r) => setTimeout(r, 20));
    const again = await ann.post('/api/v1/devices', { deviceToken: token, deviceType: 'android' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id, deviceName: 'Pixel' });
    expect(new Date(again.body.lastUsed).getTime()).toBeGreaterThan(new Date(first.body.lastUsed).getTime());
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(['device.registered']);

    const seen = await ann.post(`/api/v1/devices/${id}/seen`);
    expect(seen.status).toBe(200);
    expect(new Date(seen.body.lastUsed).getTime()).toBeGreaterThanOrEqual(new Date(again.body.lastUsed).getTime());

    const list = await ann.get('/api/v1/devices');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 1, limit: 20, offset: 0 });
    expect(list.body.items[0]).toMatchObject({ id, tokenPreview: expect.stringMatching(/^fcm-.{2}…a{4}$/) });
    expect(JSON.stringify(list.body)).not.toContain(token);

    // bob can neither see nor touch ann's device.
    expect((await bob.get('/api/v1/devices')).body.total).toBe(0);
    expectProblem(await bob.del(`/api/v1/devices/${id}`), 404, 'DEVICE_NOT_FOUND');
    expectProblem(await bob.post(`/api/v1/devices/${id}/seen`), 404, 'DEVICE_NOT_FOUND');

    // bob logs into the same phone: the token moves to bob as a new device; ann's device is gone.
    const moved = await bob.post('/api/v1/devices', { deviceToken: token, deviceType: 'android', deviceName: 'Shared phone' });
    expect(moved.status).toBe(201);
    expect(moved.body.id).not.toBe(id);
    expect((await ann.get('/api/v1/devices')).body.total).toBe(0);
    expect((await bob.get('/api/v1/devices')).body.items.map((d: { id: string }) => d.id)).toEqual([moved.body.id]);
    expect(await query('SELECT user_id FROM user_devices WHERE device_token = $1', [token])).toEqual([{ user_id: p.bob.id }]);
    const removedForAnn = await eventsOf(id);
    expect(removedForAnn.map((e) => [e.type, e.topic, e.payload.data.userId])).toEqual([
      ['device.registered', 'auth.device.v1', p.ann.id],
      ['device.removed', 'auth.device.v1', p.ann.id],
    ]);
    expect((await eventsOf(moved.body.id)).map((e) => [e.type, e.payload.data.userId])).toEqual([['device.registered', p.bob.id]]);

    // Removal by the owner: 204, then gone (404 again); re-registering reactivates the same device.
    expect((await bob.del(`/api/v1/devices/${moved.body.id}`)).status).toBe(204);
    expectProblem(await bob.del(`/api/v1/devices/${moved.body.id}`), 404, 'DEVICE_NOT_FOUND');
    expect((await bob.get('/api/v1/devices')).body.total).toBe(0);
    const back = await bob.post('/api/v1/devices', { deviceToken: token, deviceType: 'android' });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ id: moved.body.id, isActive: true });
    expect((await eventsOf(moved.body.id)).map((e) => e.type)).toEqual(['device.registered', 'device.removed', 'device.registered']);

    // Bad input: 400, nothing stored.
    const devicesBefore = await query('SELECT * FROM user_devices ORDER BY id');
    const outboxBefore = await outboxCount();
    for (const body of [
      { deviceToken: 'tok-valid-123456', deviceType: 'blackberry' },
      { deviceToken: 'has spaces in it', deviceType: 'ios' },
      { deviceToken: 'x'.repeat(256), deviceType: 'ios' },
      { deviceType: 'ios' },
      { deviceToken: 'tok-valid-123456', deviceType: 'android', deviceName: 'n'.repeat(101) },
      { deviceToken: 'tok-valid-123456', deviceType: 'android', userId: p.ann.id },
    ]) {
      expectProblem(await ann.post('/api/v1/devices', body), 400, 'VALIDATION_FAILED');
    }
    expectProblem(await ann.del('/api/v1/devices/123'), 400, 'INVALID_ID');
    expect(await query('SELECT * FROM user_devices ORDER BY id')).toEqual(devicesBefore);
    expect(await outboxCount()).toBe(outboxBefore);
  });
});
