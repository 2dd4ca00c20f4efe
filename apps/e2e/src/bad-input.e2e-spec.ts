/**
 * Bad input against every operation of the merged /openapi.json (issue 7), through the gateway, as
 * a client would send it: NUL characters and lone UTF-16 surrogates in every string of the request
 * schema and in path and query parameters, empty strings for optional formatted fields, `null` and
 * non-object bodies, wrong types, over-long path parameters and BOM-prefixed bodies. Whatever the
 * route, the answer is never a 5xx, every error is application/problem+json whose `status` is the
 * HTTP status, and a refused request changes nothing (the nearest GET of the route reads the same
 * before and after).
 *
 * The walk reads the operations from the document, so routes added later are walked too; only the
 * sample values of known field names are written here (unknown fields get values from their schema).
 */
import * as argon2 from 'argon2';
import { ServiceName, service } from '@tally/contracts';
import { SmtpCatcher, TallySystem, expectEventually } from '@tally/testing';
import { ApiResponse, call, createAdmin, newUser, query, signUpVerified, startSystem, verificationToken } from './support';

const PROBLEM = 'application/problem+json';
const NUL = '\u0000';
const LONE = '\ud800';
const BOM = '\ufeff';
/** Per-account login and recovery quota of this run (the harness's are far higher). */
const ACCOUNT_LIMIT = 10;
const UNKNOWN_ID = '00000000-0000-4000-8000-00000000beef';
const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

type Schema = Record<string, any>;
interface Operation {
  method: string;
  template: string;
  op: Schema;
}
/** `400`: must be refused as bad input; `4xx`: must be refused; `any`: may succeed, must not fail. */
type Expectation = '400' | '4xx' | 'any';
interface Probe {
  what: string;
  method: string;
  url: string;
  raw?: string;
  token?: string;
  expect: Expectation;
  /** A 400 must name this field in `errors`. */
  field?: string;
}
interface Who {
  id: string;
  username: string;
  email: string;
  password: string;
  token: string;
}

describe('bad input, against every operation of /openapi.json', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;
  let doc: Schema;
  const ops: Operation[] = [];
  let walker: Who;
  let other: Who;
  let victim: Who;
  let root: Who;
  const ids: Record<string, string> = {};
  let n = 0;
  const uniq = () => `${system.runId}${(n++).toString(36)}`;

  beforeAll(async () => {
    ({ system, smtp } = await startSystem({
      'api-gateway': { RATE_LIMIT_LOGIN_ACCOUNT: `${ACCOUNT_LIMIT}/1m`, RATE_LIMIT_RECOVERY_ACCOUNT: `${ACCOUNT_LIMIT}/1m` },
    }));
    gw = system.gatewayUrl;
    [walker, other, victim, root] = await Promise.all(['walker', 'other', 'victim', 'root'].map((tag) => signUpVerified(system, smtp, tag)));
    expect((await createAdmin(system, ['--email', root.email, '--superuser'])).code).toBe(0);
    // a fresh token carries the admin role the services read from it
    const rootLogin = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: root.username, password: root.password } });
    expect(rootLogin.status).toBe(200);
    root = { ...root, token: rootLogin.body.accessToken };

    const device = await call(gw, 'POST', '/api/v1/devices', { token: walker.token, body: { deviceToken: `walker-device-${uniq()}`, deviceType: 'android' } });
    expect(device.status).toBe(201);
    ids.device = device.body.id;
    const friendship = await call(gw, 'POST', '/api/v1/friendships', { token: other.token, body: { toUserId: walker.id } });
    expect(friendship.status).toBe(201);
    ids.friendship = friendship.body.id;
    // A group the walker administers, with a pending invitation: the group routes' probes hit real objects.
    // group-service knows the walker once its users projection has seen the registration (a moment after login).
    await expectEventually(async () => {
      const group = await call(gw, 'POST', '/api/v1/groups', { token: walker.token, body: { name: 'Walked group', currency: 'EUR' } });
      expect(group.status).toBe(201);
      ids.group = group.body.id;
    }, { timeoutMs: 30_000 });
    const invitation = await call(gw, 'POST', `/api/v1/groups/${ids.group}/invitations`, { token: walker.token, body: { email: `invitee-${uniq()}@example.com` } });
    expect(invitation.status).toBe(201);
    ids.invitation = invitation.body.id;
    // An expense of the walker's in that group (once expense-service has seen the group's events), and a real category.
    const categories = await call(gw, 'GET', '/api/v1/categories', { token: walker.token });
    expect(categories.status).toBe(200);
    ids.category = categories.body.items[0].id;
    await expectEventually(async () => {
      const expense = await call(gw, 'POST', '/api/v1/expenses', {
        token: walker.token, body: { title: 'Walked expense', amount: '12.00', groupId: ids.group, split: { type: 'equal', userIds: [walker.id] } },
      });
      expect(expense.status).toBe(201);
      ids.expense = expense.body.id;
    }, { timeoutMs: 30_000 });
    const comment = await call(gw, 'POST', `/api/v1/expenses/${ids.expense}/comments`, { token: walker.token, body: { comment: 'Walked comment' } });
    expect(comment.status).toBe(201);
    ids.comment = comment.body.id;
    const recurring = await call(gw, 'POST', '/api/v1/recurring-expenses', {
      token: walker.token,
      body: { title: 'Walked recurring', amount: '12.00', groupId: ids.group, frequency: 'monthly', startDate: new Date().toISOString().slice(0, 10), split: { type: 'equal', userIds: [walker.id] } },
    });
    expect(recurring.status).toBe(201);
    ids.recurringExpense = recurring.body.id;
    // A budget of the walker's (its routes' probes hit a real one)
    const budget = await call(gw, 'POST', '/api/v1/budgets', { token: walker.token, body: { amount: '100.00', currency: 'EUR', categoryId: ids.category } });
    expect(budget.status).toBe(201);
    ids.budget = budget.body.id;
    const method = await call(gw, 'POST', '/api/v1/payment-methods', { token: walker.token, body: { methodType: 'cash', name: 'Walked cash' } });
    expect(method.status).toBe(201);
    ids.paymentMethod = method.body.id;

    const res = await call(gw, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
    for (const [template, item] of Object.entries<Schema>(doc.paths)) {
      for (const method of HTTP_METHODS) if (item[method]) ops.push({ method: method.toUpperCase(), template, op: item[method] });
    }
    expect(ops.length).toBeGreaterThanOrEqual(40);
  });

  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
  });

  // ---- the document ------------------------------------------------------------------------------

  const resolve = (s: Schema | undefined): Schema => {
    let out = s ?? {};
    while (out.$ref) out = out.$ref.split('/').slice(1).reduce((o: Schema, k: string) => o[k], doc);
    return out;
  };
  const typesOf = (s: Schema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : s.enum ? [typeof s.enum[0]] : []);
  const bodySchemaOf = (op: Schema): Schema | undefined => {
    const s = op.requestBody?.content?.['application/json']?.schema;
    return s ? resolve(s) : undefined;
  };
  const paramsOf = (op: Schema, where: 'path' | 'query'): Schema[] => (op.parameters ?? []).map(resolve).filter((p: Schema) => p.in === where);
  const isAdmin = (template: string) => template.startsWith('/api/v1/admin') || template.startsWith('/api/v1/notification-templates') || template.startsWith('/api/v1/notification-deliveries');
  const tokenFor = (o: Operation): string | undefined => (o.op.security?.length ? (isAdmin(o.template) ? root.token : walker.token) : undefined);

  /** A value of a path parameter that names something real where the walk has one. */
  function pathValue(template: string, name: string): string {
    if (template.startsWith('/api/v1/groups/{id}')) {
      const real = ({ id: ids.group, userId: walker.id, invitationId: ids.invitation } as Record<string, string>)[name];
      if (real) return real;
    }
    if (name === 'groupId') return ids.group;
    if (name === 'commentId') return ids.comment;
    if (template.startsWith('/api/v1/currencies/') && name === 'code') return 'EUR';
    if (name === 'type' && template.startsWith('/api/v1/notification-preferences')) return 'expense_added';
    // a seeded template (recurring_expense_generated_sms_en): a probe may switch it off; the built-in fallback reads the same
    if (name === 'id' && template.startsWith('/api/v1/notification-templates/')) return 'e534606e-b218-5cc7-a4ef-54379892accb';
    if (name === 'id') {
      if (template.includes('/recurring-expenses/')) return ids.recurringExpense;
      if (template.includes('/expenses/')) return ids.expense;
      if (template.includes('/categories/')) return ids.category;
      if (template.includes('/devices/')) return ids.device;
      if (template.includes('/payment-methods/')) return ids.paymentMethod;
      if (template.includes('/budgets/')) return ids.budget;
      if (template.includes('/friendships/')) return ids.friendship;
      if (template.includes('/admin/users/')) return victim.id;
      if (template.includes('/users/')) return other.id;
      return UNKNOWN_ID;
    }
    return ({ key: 'bad.input.probe', code: 'DE' } as Record<string, string>)[name] ?? 'sample';
  }

  const fill = (template: string, override: Record<string, string> = {}) =>
    template.replace(/\{([^}]+)\}/g, (_m, name: string) => override[name] ?? encodeURIComponent(pathValue(template, name)));

  /** Sample values of known fields: valid, so a probe is refused for the one thing it breaks. */
  const FIELD_SAMPLES: Record<string, () => unknown> = {
    username: () => `bi_${uniq()}`,
    email: () => `bi_${uniq()}@example.com`,
    password: () => `Pw-${uniq()}-long-enough`,
    newPassword: () => `Pw-${uniq()}-long-enough`,
    currentPassword: () => 'Not-the-current-password-1', // never changes the walker's password
    login: () => walker.username,
    token: () => 'x'.repeat(32),
    refreshToken: () => 'x'.repeat(40),
    firstName: () => 'Ann',
    lastName: () => 'Probe',
    phoneNumber: () => '+14155550123',
    timezone: () => 'Europe/Berlin',
    preferredCurrency: () => 'EUR',
    avatar: () => 'avatars/me.png',
    bio: () => 'Hello',
    dateOfBirth: () => '1990-05-01',
    occupation: () => 'Engineer',
    company: () => 'Acme',
    website: () => 'https://example.com/me',
    country: () => 'DE',
    city: () => 'Berlin',
    deviceToken: () => `device-${uniq()}`,
    deviceName: () => 'Laptop',
    toUserId: () => victim.id,
    message: () => 'Hello there',
    value: () => 'v',
    description: () => 'probe',
    currency: () => 'EUR',
    image: () => 'groups/probe.png',
    amount: () => '12.00',
    split: () => ({ type: 'equal', userIds: [walker.id] }),
    payers: () => [{ userId: walker.id }],
    tags: () => ['probe'],
    groupId: () => ids.group,
    categoryId: () => ids.category,
    expenseDate: () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
    title: () => 'Probe',
    frequency: () => 'monthly',
    interval: () => 1,
    paidById: () => walker.id,
    startDate: () => new Date().toISOString().slice(0, 10),
    endDate: () => '2099-12-31',
    until: () => new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10),
    rate: () => '1.0845',
    quietHours: () => ({ start: '22:00', end: '07:00' }),
  };

  function sample(name: string, s: Schema): unknown {
    // a known field's sample, unless this operation's schema enumerates other values (two DTOs may share a field name)
    const known = FIELD_SAMPLES[name]?.();
    if (known !== undefined && (!s.enum || s.enum.includes(known))) return known;
    if (s.enum) return s.enum[0];
    if (s.example !== undefined) return s.example;
    switch (s.format) {
      case 'email': return `bi_${uniq()}@example.com`;
      case 'uuid': return UNKNOWN_ID;
      case 'uri': return 'https://example.com/';
      case 'date': return '1990-05-01';
      case 'date-time': return new Date().toISOString();
    }
    const type = typesOf(s).find((t) => t !== 'null');
    if (type === 'integer' || type === 'number') return s.minimum ?? 1;
    if (type === 'boolean') return false;
    if (type === 'object') return {};
    if (type === 'array') return [];
    return 'sample'.padEnd(s.minLength ?? 0, 'x');
  }

  const baseBody = (schema: Schema): Record<string, unknown> =>
    Object.fromEntries(Object.entries<Schema>(schema.properties ?? {}).map(([k, s]) => [k, sample(k, resolve(s))]));

  /** A value of the wrong JSON type for the schema. */
  function wrongType(s: Schema): unknown {
    const types = typesOf(s);
    if (types.includes('string')) return 12345;
    if (types.includes('integer') || types.includes('number')) return 'not-a-number';
    if (types.includes('boolean')) return 'yes';
    if (types.includes('object')) return 'not-an-object';
    if (types.includes('array')) return 'not-an-array';
    return [[]];
  }

  /** Formatted: an empty string breaks what the schema says of it. */
  const isFormatted = (s: Schema) => Boolean(s.format || s.pattern || s.enum || (s.minLength ?? 0) >= 1);

  // ---- probes ------------------------------------------------------------------------------------

  function probesOf(o: Operation): { refused: Probe[]; bom?: Probe } {
    const token = tokenFor(o);
    const refused: Probe[] = [];
    const schema = bodySchemaOf(o.op);
    const base = schema ? baseBody(schema) : undefined;
    const body = (b: unknown) => (base !== undefined ? { raw: JSON.stringify(b) } : {});
    const url = fill(o.template);
    const add = (what: string, p: Partial<Probe> & { expect: Expectation }) => refused.push({ what, method: o.method, url, token, ...p });

    for (const p of paramsOf(o.op, 'path')) {
      const ok = encodeURIComponent(pathValue(o.template, p.name));
      add(`path ${p.name}: NUL`, { url: fill(o.template, { [p.name]: `${ok}%00` }), expect: '400', ...body(base) });
      add(`path ${p.name}: lone surrogate`, { url: fill(o.template, { [p.name]: `${ok}%ED%A0%80` }), expect: '400', ...body(base) });
      add(`path ${p.name}: 101 characters`, { url: fill(o.template, { [p.name]: 'a'.repeat(101) }), expect: '4xx', ...body(base) });
    }
    for (const p of paramsOf(o.op, 'query')) {
      const s = resolve(p.schema);
      add(`query ${p.name}: NUL`, { url: `${url}?${p.name}=a%00b`, expect: '400', ...body(base) });
      add(`query ${p.name}: lone surrogate`, { url: `${url}?${p.name}=a%ED%A0%80b`, expect: typesOf(s).includes('string') && !isFormatted(s) ? 'any' : '400', ...body(base) });
      if (!typesOf(s).includes('string') || s.enum) add(`query ${p.name}: wrong type`, { url: `${url}?${p.name}=zz-not-valid`, expect: '400', ...body(base) });
    }
    if (schema && base) {
      const required: string[] = schema.required ?? [];
      for (const [name, raw] of Object.entries<Schema>(schema.properties ?? {})) {
        const s = resolve(raw);
        const types = typesOf(s);
        const withField = (v: unknown) => ({ raw: JSON.stringify({ ...base, [name]: v }) });
        if (types.includes('string')) {
          add(`${name}: NUL`, { ...withField(`a${NUL}b`), expect: '400' });
          add(`${name}: lone surrogate`, { ...withField(`a${LONE}b`), expect: '400' });
          if (!required.includes(name) && isFormatted(s)) add(`${name}: empty string`, { ...withField(''), expect: '400', field: name });
          // maxLength counts code points (JSON Schema, PostgreSQL): a variation selector after each letter doubles them.
          if (s.maxLength && s.maxLength <= 5000) add(`${name}: over maxLength in code points`, { ...withField('a\ufe0f'.repeat(s.maxLength)), expect: '400' });
        }
        if (types.includes('object')) {
          add(`${name}: NUL inside`, { ...withField({ github: `https://github.com/a${NUL}b`, note: `a${NUL}b` }), expect: '400' });
          add(`${name}: lone surrogate inside`, { ...withField({ github: `https://github.com/a${LONE}`, note: `a${LONE}` }), expect: '400' });
          add(`${name}: NUL in a key`, { ...withField({ [`gi${NUL}thub`]: 'https://github.com/a' }), expect: '400' });
        }
        add(`${name}: wrong type`, { ...withField(wrongType(s)), expect: '400' });
      }
      for (const raw of ['null', '[]', '"text"', '42', 'true']) add(`body ${raw}`, { raw, expect: '400' });
      return { refused, bom: { what: 'BOM-prefixed body', method: o.method, url, token, raw: BOM + JSON.stringify(base), expect: 'any' } };
    }
    return { refused };
  }

  /** What a refused request must not change: the nearest GET at or above the route, as the same caller. */
  function stateUrlOf(o: Operation): string | undefined {
    const segments = o.template.split('/');
    for (let i = segments.length; i > 3; i--) {
      const t = segments.slice(0, i).join('/');
      if (doc.paths[t]?.get && doc.paths[t].get.security?.length && !isStream(t)) return fill(t);
    }
    return undefined;
  }

  /** An event stream never ends: its answer is judged on the status and headers (and an error's body), then the stream is closed. */
  const isStream = (url: string) => url.split('?')[0].endsWith('/notifications/stream');
  async function sendToStream(p: Probe): Promise<ApiResponse> {
    const abort = new AbortController();
    const res = await fetch(gw + p.url, { method: p.method, headers: p.token ? { authorization: `Bearer ${p.token}` } : {}, signal: abort.signal });
    const body = res.status >= 400 ? await res.json().catch(() => null) : null;
    abort.abort();
    return { status: res.status, headers: res.headers, body };
  }
  const send = (p: Probe): Promise<ApiResponse> => (isStream(p.url)
    ? sendToStream(p)
    : call(gw, p.method, p.url, { raw: p.raw, token: p.token, headers: p.raw !== undefined ? { 'content-type': 'application/json' } : {} }));

  function judge(p: Probe, res: ApiResponse, findings: string[]): void {
    const where = `${p.method} ${p.url.length > 90 ? `${p.url.slice(0, 90)}…` : p.url} [${p.what}]`;
    if (res.status >= 500) findings.push(`${where}: ${res.status} ${JSON.stringify(res.body)?.slice(0, 120)}`);
    if (res.status >= 400) {
      const type = res.headers.get('content-type') ?? '';
      if (!type.startsWith(PROBLEM)) findings.push(`${where}: ${res.status} as ${type || 'no content type'}`);
      else if (res.body?.status !== res.status) findings.push(`${where}: HTTP ${res.status} but status ${res.body?.status} in the body`);
    }
    if (p.expect === '400' && res.status !== 400 && res.status < 500) findings.push(`${where}: expected 400, got ${res.status}`);
    if (p.expect === '4xx' && res.status < 400) findings.push(`${where}: expected a 4xx, got ${res.status}`);
    if (p.field && res.status === 400 && !(res.body?.errors ?? []).some((e: { field: string }) => e.field === p.field)) {
      findings.push(`${where}: the 400 does not name ${p.field}: ${JSON.stringify(res.body?.errors)}`);
    }
  }

  it('finds no 5xx, no error that is not problem+json and no silent change on any operation', async () => {
    const findings: string[] = [];
    let requests = 0;
    // PATCH routes first get every field set, so a probe that clears one silently shows in their GET.
    for (const o of ops.filter((x) => x.method === 'PATCH' && !isAdmin(x.template))) {
      const schema = bodySchemaOf(o.op);
      if (!schema) continue;
      const res = await call(gw, 'PATCH', fill(o.template), { token: tokenFor(o), body: baseBody(schema) });
      expect({ route: o.template, status: res.status }).toEqual({ route: o.template, status: 200 });
    }
    for (const o of ops) {
      const { refused, bom } = probesOf(o);
      const stateUrl = stateUrlOf(o);
      const state = async () => (stateUrl ? call(gw, 'GET', stateUrl, { token: tokenFor(o) }).then((r) => JSON.stringify([r.status, r.body])) : undefined);
      const before = await state();
      for (const p of refused) {
        judge(p, await send(p), findings);
        requests++;
      }
      const after = await state();
      if (before !== after) findings.push(`${o.method} ${o.template}: refused requests changed GET ${stateUrl}:\n  before ${before}\n  after  ${after}`);
      if (bom) {
        judge(bom, await send(bom), findings);
        requests++;
      }
    }
    console.log(`bad input: ${ops.length} operations, ${requests} requests, ${findings.length} findings`);
    expect(findings).toEqual([]);
  });

  it('answers the framework\'s own errors with problem+json, at the gateway and at every service', async () => {
    const findings: string[] = [];
    const check = async (base: string, what: string, method: string, p: string, init: { raw?: string; headers?: Record<string, string> } = {}) => {
      const res = await call(base, method, p, init);
      judge({ what, method, url: `${base}${p}`, expect: '4xx' }, res, findings);
    };
    const long = 'a'.repeat(150);
    await check(gw, 'unknown route', 'GET', '/no/such/route');
    await check(gw, 'malformed percent-encoding', 'GET', '/api/v1/users/%ED%A0%80');
    await check(gw, 'malformed percent-encoding', 'GET', '/openapi.json/%E0%A4%A');
    await check(gw, 'over-long path parameter', 'GET', `/api/v1/users/${long}`, { headers: { authorization: `Bearer ${walker.token}` } });
    await check(gw, 'unsupported media type', 'POST', '/api/v1/auth/login', { raw: '<login/>', headers: { 'content-type': 'application/xml' } });
    await check(gw, 'bad JSON', 'POST', '/api/v1/auth/login', { raw: '{"login":', headers: { 'content-type': 'application/json' } });
    await check(gw, 'empty JSON body', 'POST', '/api/v1/auth/login', { raw: '', headers: { 'content-type': 'application/json' } });
    await check(gw, 'body too large', 'POST', '/api/v1/auth/login', { raw: JSON.stringify({ login: 'x'.repeat(300 * 1024) }), headers: { 'content-type': 'application/json' } });
    for (const [name, port] of Object.entries(system.ports)) {
      // Workers (notification-worker, group-worker) serve only health and metrics, no API.
      if (name === 'api-gateway' || service(name as ServiceName).kind === 'worker') continue;
      const base = `http://127.0.0.1:${port}`;
      await check(base, `${name}: unknown route`, 'GET', '/no/such/route');
      await check(base, `${name}: unknown method`, 'DELETE', '/health/live');
      await check(base, `${name}: malformed percent-encoding`, 'GET', '/api/v1/users/%ED%A0%80');
      await check(base, `${name}: bad JSON`, 'POST', '/no/such/route', { raw: '{', headers: { 'content-type': 'application/json' } });
    }
    const auth = `http://127.0.0.1:${system.ports['auth-service']}`;
    await check(auth, 'over-long path parameter', 'GET', `/api/v1/users/${long}`);
    await check(auth, 'unsupported media type', 'POST', '/api/v1/auth/login', { raw: 'a,b', headers: { 'content-type': 'text/csv' } });
    await check(auth, 'bad JSON', 'POST', '/api/v1/auth/login', { raw: '{"login":', headers: { 'content-type': 'application/json' } });
    await check(auth, 'body too large', 'POST', '/api/v1/auth/login', { raw: JSON.stringify({ login: 'x'.repeat(300_000) }), headers: { 'content-type': 'application/json' } });
    expect(findings).toEqual([]);
  });

  // ---- defect 2: a BOM must not skip the per-account limits ------------------------------------

  it('counts BOM-prefixed logins and recovery requests against the per-account limits (defect 2)', async () => {
    const account = `bom_${uniq()}`;
    const statuses: number[] = [];
    for (let i = 0; i < ACCOUNT_LIMIT + 2; i++) {
      const res = await call(gw, 'POST', '/api/v1/auth/login', {
        raw: BOM + JSON.stringify({ login: account, password: 'Wrong-password-123' }),
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i + 1}` },
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(ACCOUNT_LIMIT)).toEqual([429, 429]);
    expect(statuses.slice(0, ACCOUNT_LIMIT).every((s) => s !== 429)).toBe(true);

    const email = `bom_${uniq()}@example.com`;
    const recovery: number[] = [];
    for (let i = 0; i < ACCOUNT_LIMIT + 1; i++) {
      const res = await call(gw, 'POST', '/api/v1/auth/password/forgot', {
        raw: BOM + JSON.stringify({ email }),
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${100 + i}` },
      });
      recovery.push(res.status);
    }
    expect(recovery[ACCOUNT_LIMIT]).toBe(429);
  });

  it('reads a BOM-prefixed body at the service as the gateway does: the same answer as without it', async () => {
    const login = (raw: string) => call(gw, 'POST', '/api/v1/auth/login', { raw, headers: { 'content-type': 'application/json' } });
    const body = JSON.stringify({ login: other.username, password: other.password });
    const plain = await login(body);
    const bom = await login(BOM + body);
    expect([plain.status, bom.status]).toEqual([200, 200]);
  });

  // ---- defect 5: internationalized addresses --------------------------------------------------

  it('registers an internationalized domain in its ASCII form, and logs in with either form (defect 5)', async () => {
    const local = `idn_${uniq()}`;
    const password = `Pw-${uniq()}-long-enough`;
    const reg = await call(gw, 'POST', '/api/v1/auth/register', { body: { username: local, email: `${local}@bücher.de`, password } });
    expect(reg.status).toBeLessThan(300);
    const stored = () => query(system.databaseUrl('auth'), 'SELECT username, email FROM users WHERE lower(email) LIKE $1', [`${local}@%`]);
    expect(await stored()).toEqual([{ username: local, email: `${local}@xn--bcher-kva.de` }]);
    // Sent to the ASCII form; the catcher's parser may show the domain decoded again.
    const mail = await expectEventually(() => {
      const m = smtp.messages.find((x) => x.to.some((to) => [`${local}@xn--bcher-kva.de`, `${local}@bücher.de`].includes(to.toLowerCase())));
      if (!m) throw new Error(`no mail to ${local}@xn--bcher-kva.de yet`);
      return m;
    }, { timeoutMs: 60000, what: 'the verification mail' });
    expect((await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token: verificationToken(mail.text) } })).status).toBe(200);
    for (const login of [`${local}@bücher.de`, `${local}@xn--bcher-kva.de`, `${local}@BÜCHER.de`]) {
      expect({ login, status: (await call(gw, 'POST', '/api/v1/auth/login', { body: { login, password } })).status }).toEqual({ login, status: 200 });
    }
    // One mailbox, one account, whichever form a second registration uses.
    const again = await call(gw, 'POST', '/api/v1/auth/register', { body: { username: `${local}x`, email: `${local}@xn--bcher-kva.de`, password } });
    expect(again.status).toBeLessThan(500);
    expect(await stored()).toEqual([{ username: local, email: `${local}@xn--bcher-kva.de` }]);
  });

  it('refuses with 400 what the event schema of an address would refuse (non-ASCII local parts, quoted names)', async () => {
    for (const email of [`bü_${uniq()}@example.com`, `"a b ${uniq()}"@example.com`, `x${uniq()}@[127.0.0.1]`]) {
      const res = await call(gw, 'POST', '/api/v1/auth/register', { body: { username: `q_${uniq()}`, email, password: `Pw-${uniq()}-long-enough` } });
      expect({ email, status: res.status, field: res.body?.errors?.[0]?.field }).toEqual({ email, status: 400, field: 'email' });
      expect(res.headers.get('content-type')).toContain(PROBLEM);
    }
  });

  // ---- passwords: well-formed, NFKC ------------------------------------------------------------

  it('normalizes passwords with NFKC before hashing and before checking', async () => {
    const u = newUser(`nfkc${uniq()}`, '');
    // U+FB01 (the "fi" ligature) and full-width letters: NFKC reads them as "fi" and "Pass".
    const typed = `ﬁne-Ｐａｓｓ-${uniq()}-phrase`;
    const nfkc = typed.normalize('NFKC');
    expect(nfkc).not.toBe(typed);
    const reg = await call(gw, 'POST', '/api/v1/auth/register', { body: { ...u, password: typed } });
    expect(reg.status).toBeLessThan(300);
    const token = verificationToken((await smtp.waitFor(u.email, 60000)).text);
    expect((await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token } })).status).toBe(200);
    for (const password of [typed, nfkc]) {
      expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password } })).status).toBe(200);
    }
    expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: `${nfkc}x` } })).status).toBe(401);
  });

  it('still accepts the exact password of a hash made before normalization, and stores it normalized from then on', async () => {
    const u = await signUpVerified(system, smtp, `legacy${uniq()}`);
    const typed = `ﬁne-Ｐａｓｓ-${uniq()}-legacy`;
    const auth = system.databaseUrl('auth');
    // What the service stored before passwords were normalized: the hash of the raw text.
    const legacy = await argon2.hash(typed, { type: argon2.argon2id });
    await query(auth, 'UPDATE users SET password = $1 WHERE id = $2', [legacy, u.id]);
    // Before the first login the NFKC form is not that password...
    expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: typed.normalize('NFKC') } })).status).toBe(401);
    // ...the exact typed text is, and logging in with it rehashes it in the current (normalized) form,
    expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: typed } })).status).toBe(200);
    const [row] = await query<{ password: string }>(auth, 'SELECT password FROM users WHERE id = $1', [u.id]);
    expect(row.password).not.toBe(legacy);
    expect(await argon2.verify(row.password, typed.normalize('NFKC'))).toBe(true);
    // so from then on both spellings of the same password log in, and a wrong one still does not.
    expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: typed.normalize('NFKC') } })).status).toBe(200);
    expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: typed } })).status).toBe(200);
    expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: `${typed}x` } })).status).toBe(401);
  });

  it('refuses passwords with NUL or a lone surrogate everywhere they are set or checked', async () => {
    const u = newUser(`pwbad${uniq()}`, '');
    for (const password of [`long-enough${NUL}password`, `long-enough${LONE}password`]) {
      const reg = await call(gw, 'POST', '/api/v1/auth/register', { body: { ...u, password } });
      expect(reg.status).toBe(400);
      const login = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: walker.username, password } });
      expect(login.status).toBe(400);
      const change = await call(gw, 'POST', '/api/v1/auth/password/change', { token: walker.token, body: { currentPassword: walker.password, newPassword: password } });
      expect(change.status).toBe(400);
    }
    expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: walker.username, password: walker.password } })).status).toBe(200);
  });
});
