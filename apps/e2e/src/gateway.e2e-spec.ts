import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import Redis from 'ioredis';
import { REPO_ROOT, SmtpCatcher, TallySystem, expectEventually, freePort, infraFromEnv } from '@tally/testing';
import { ApiResponse, call, newUser, startSystem, verificationToken } from './support';

/** Small limits so the tests reach them quickly; each test uses its own client address (X-Forwarded-For from loopback is trusted). */
const GATEWAY_ENV = {
  RATE_LIMIT_LOGIN_IP: '6/1m',
  RATE_LIMIT_LOGIN_ACCOUNT: '3/1m',
  RATE_LIMIT_REGISTER_IP: '3/1m',
  RATE_LIMIT_RECOVERY_IP: '4/1m',
  RATE_LIMIT_RECOVERY_ACCOUNT: '2/1m',
  RATE_LIMIT_USER: '30/1m',
  RATE_LIMIT_ANONYMOUS_IP: '10/1m',
};

const from = (ip: string) => ({ 'x-forwarded-for': ip });
const SERVICES = ['auth-service', 'group-service', 'expense-service', 'payment-service', 'analytics-service', 'notification-service'] as const;

/** An upstream of our own: echoes what it receives, except /openapi.json and /api/v1/notifications, where it never answers. */
class FakeUpstream {
  private readonly sockets = new Set<net.Socket>();
  private server?: http.Server;
  port = 0;

  async start(): Promise<number> {
    this.server = http.createServer((req, res) => {
      if (req.url === '/openapi.json' || (req.url ?? '').startsWith('/api/v1/notifications')) return; // hang: accept, read, never answer
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('base64') }));
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server?.close(r));
  }
}

/** Another gateway process from dist/, beside the run's own, with env of its own. */
class ExtraGateway {
  private child?: ChildProcess;
  port = 0;

  constructor(private readonly name: string, private readonly system: TallySystem, private readonly env: Record<string, string>) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port = await freePort();
    const svc = (a: (typeof SERVICES)[number]) => `http://127.0.0.1:${this.system.ports[a]}`;
    const env = {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: String(this.port),
      REDIS_URL: infraFromEnv().redisUrl, QUEUE_PREFIX: `t-${this.system.runId}`,
      AUTH_SERVICE_URL: svc('auth-service'), GROUP_SERVICE_URL: svc('group-service'), EXPENSE_SERVICE_URL: svc('expense-service'),
      PAYMENT_SERVICE_URL: svc('payment-service'), ANALYTICS_SERVICE_URL: svc('analytics-service'), NOTIFICATION_SERVICE_URL: svc('notification-service'),
      ...this.env,
    };
    const out = fs.openSync(path.join(this.system.logDir, `${this.name}.log`), 'a');
    this.child = spawn(process.execPath, ['--enable-source-maps', path.join(REPO_ROOT, 'dist/apps/api-gateway/src/main.js')], { cwd: REPO_ROOT, env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    await expectEventually(async () => {
      if (this.child!.exitCode !== null) throw new Error(`${this.name} exited with ${this.child!.exitCode}`);
      expect((await fetch(`${this.url}/health/live`)).status).toBe(200);
    }, { timeoutMs: 30000, intervalMs: 200, what: `${this.name} to start` });
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  }
}

function expectRateLimitHeaders(res: ApiResponse, limit: number, remaining: number) {
  expect(res.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(res.headers.get('ratelimit-remaining')).toBe(String(remaining));
  expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(0);
  expect(res.headers.get('ratelimit-policy')).toBeTruthy();
}

function expectLimited(res: ApiResponse, policy: string) {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status: 429, code: 'RATE_LIMITED', policy });
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(res.headers.get('ratelimit-remaining')).toBe('0');
  expect(res.headers.get('ratelimit-policy')).toMatch(new RegExp(`^\\d+;w=\\d+;comment="${policy}"`));
}

/** A compact structural schema of OpenAPI 3.1 documents: what this gateway's document must satisfy. */
const OAS31_SHAPE = {
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.\\d+$' },
    info: { type: 'object', required: ['title', 'version'], properties: { title: { type: 'string' }, version: { type: 'string' }, description: { type: 'string' } } },
    servers: { type: 'array', items: { type: 'object', required: ['url'], properties: { url: { type: 'string' } } } },
    security: { $ref: '#/$defs/security' },
    tags: { type: 'array', items: { type: 'object', required: ['name'] } },
    paths: { type: 'object', propertyNames: { pattern: '^/' }, additionalProperties: { $ref: '#/$defs/pathItem' } },
    components: {
      type: 'object',
      properties: {
        schemas: { type: 'object', propertyNames: { pattern: '^[a-zA-Z0-9._-]+$' } },
        responses: { type: 'object', additionalProperties: { $ref: '#/$defs/response' } },
        securitySchemes: { type: 'object', additionalProperties: { type: 'object', required: ['type'], properties: { type: { enum: ['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'] } } } },
      },
    },
  },
  patternProperties: { '^x-': {} },
  additionalProperties: false,
  $defs: {
    security: { type: 'array', items: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
    ref: { type: 'object', required: ['$ref'], properties: { $ref: { type: 'string', pattern: '^#/components/' } } },
    pathItem: {
      type: 'object',
      properties: Object.fromEntries(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'].map((m) => [m, { $ref: '#/$defs/operation' }])),
    },
    operation: {
      type: 'object',
      required: ['responses'],
      properties: {
        operationId: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' } },
        security: { $ref: '#/$defs/security' },
        parameters: {
          type: 'array',
          items: {
            oneOf: [
              { $ref: '#/$defs/ref' },
              { type: 'object', required: ['name', 'in'], properties: { name: { type: 'string' }, in: { enum: ['query', 'header', 'path', 'cookie'] }, required: { type: 'boolean' } } },
            ],
          },
        },
        requestBody: { type: 'object', anyOf: [{ required: ['$ref'] }, { required: ['content'] }] },
        responses: {
          type: 'object',
          minProperties: 1,
          propertyNames: { pattern: '^([1-5](\\d\\d|XX)|default)$' },
          additionalProperties: { anyOf: [{ $ref: '#/$defs/ref' }, { $ref: '#/$defs/response' }] },
        },
      },
    },
    response: { type: 'object', anyOf: [{ required: ['$ref'] }, { required: ['description'] }] },
  },
};

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

function resolvePointer(doc: any, ref: string): unknown {
  return ref.slice(2).split('/').reduce((n: any, part) => (n == null ? undefined : n[part.replace(/~1/g, '/').replace(/~0/g, '~')]), doc);
}

/** What Nest mapped in a service, from its log: `Mapped {/api/v1/groups/:id, GET} route`. */
function mappedRoutes(system: TallySystem, service: string): { method: string; path: string }[] {
  const log = fs.readFileSync(path.join(system.logDir, `${service}.log`), 'utf8');
  const routes = new Map<string, { method: string; path: string }>();
  for (const m of log.matchAll(/"msg":"Mapped \{([^,]+), ([A-Z]+)\} route"/g)) {
    const p = m[1].replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    routes.set(`${m[2]} ${p}`, { method: m[2].toLowerCase(), path: p });
  }
  return [...routes.values()];
}

describe('api-gateway: rate limits, edge behaviour and API documentation', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;
  let fake: FakeUpstream;
  let otherPrefix: ExtraGateway;
  let degraded: ExtraGateway;
  let deadRedisPort: number;
  const extras: ExtraGateway[] = [];

  async function verifiedUser(tag: string, ip: string) {
    const u = newUser(tag, system.runId);
    const reg = await call(gw, 'POST', '/api/v1/auth/register', { body: u, headers: from(ip) });
    expect(reg.status).toBe(202);
    const token = verificationToken((await smtp.waitFor(u.email, 60000)).text);
    expect((await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token }, headers: from(ip) })).status).toBe(200);
    const login = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.email, password: u.password }, headers: from(ip) });
    expect(login.status).toBe(200);
    return { ...u, id: login.body.user.id as string, accessToken: login.body.accessToken as string, login };
  }

  beforeAll(async () => {
    fake = new FakeUpstream();
    await fake.start();
    deadRedisPort = await freePort();
    ({ system, smtp } = await startSystem({ 'api-gateway': GATEWAY_ENV }));
    gw = system.gatewayUrl;
    // Same services and Redis, another key prefix: another run or tenant.
    otherPrefix = await new ExtraGateway('api-gateway-other-prefix', system, { ...GATEWAY_ENV, RATE_LIMIT_PREFIX: `t-${system.runId}-other:rl:` }).start();
    extras.push(otherPrefix);
    // Redis unreachable, auth and notification answered by the fake upstream (notification hangs).
    const fakeUrl = `http://127.0.0.1:${fake.port}`;
    degraded = await new ExtraGateway('api-gateway-degraded', system, {
      ...GATEWAY_ENV,
      RATE_LIMIT_LOGIN_ACCOUNT: '2/1m',
      RATE_LIMIT_LOGIN_IP: '50/1m',
      REDIS_URL: `redis://127.0.0.1:${deadRedisPort}`,
      AUTH_SERVICE_URL: fakeUrl,
      AUTH_JWKS_URL: `http://127.0.0.1:${system.ports['auth-service']}/.well-known/jwks.json`,
      NOTIFICATION_SERVICE_URL: fakeUrl,
      UPSTREAM_TIMEOUT_MS: '1000',
      OPENAPI_FETCH_TIMEOUT_MS: '500',
    }).start();
    extras.push(degraded);
  });

  afterAll(async () => {
    await Promise.all(extras.map((g) => g.stop()));
    await system?.stop();
    await smtp?.stop();
    await fake?.stop();
  });

  describe('rate limits', () => {
    it('lets a normal flow through, with request ids, security headers and RateLimit headers on every answer', async () => {
      const ip = '203.0.113.60';
      const u = await verifiedUser('gwflow', ip);
      expect(u.login.headers.get('ratelimit-policy')).toMatch(/comment="login-account"/);
      expect(u.login.headers.get('ratelimit-policy')).toMatch(/comment="login-ip"/);

      const me = await call(gw, 'GET', '/api/v1/users/me', { token: u.accessToken, headers: { ...from(ip), 'x-request-id': 'e2e-gw-req-1' } });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: u.id, email: u.email });
      expect(me.headers.get('x-request-id')).toBe('e2e-gw-req-1');
      expectRateLimitHeaders(me, 30, 29);
      expect(me.headers.get('ratelimit-policy')).toBe('30;w=60;comment="user"');
      // security headers on a proxied answer
      expect(me.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(me.headers.get('x-content-type-options')).toBe('nosniff');
      expect(me.headers.get('x-frame-options')).toBe('DENY');
      expect(me.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");

      const anonymous = await call(gw, 'GET', '/api/v1/groups', { headers: from(ip) });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(anonymous.headers.get('x-frame-options')).toBe('DENY');
      expect(anonymous.headers.get('ratelimit-policy')).toBe('10;w=60;comment="anonymous-ip"');

      for (const p of ['/api/v1/groups', '/api/v1/accounts', '/api/v1/payment-methods', '/api/v1/activity', '/api/v1/notifications']) {
        await expectEventually(async () => expect((await call(gw, 'GET', p, { token: u.accessToken, headers: from(ip) })).status).toBe(200), { timeoutMs: 30000, what: p });
      }
    });

    it('stops brute force on one account with 429 and the RateLimit headers, while other accounts still get in', async () => {
      const ip = '203.0.113.10';
      const victim = `victim-${system.runId}@example.com`;
      const attempt = (login: string, password = 'wrong-password') => call(gw, 'POST', '/api/v1/auth/login', { body: { login, password }, headers: from(ip) });
      for (let i = 0; i < 3; i++) {
        const res = await attempt(victim);
        expect(res.status).toBe(401);
        expectRateLimitHeaders(res, 3, 2 - i);
        expect(res.headers.get('ratelimit-policy')).toBe('3;w=60;comment="login-account", 6;w=60;comment="login-ip"');
      }
      const limited = await attempt(victim);
      expectLimited(limited, 'login-account');
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(20); // one attempt back every 60 s / 3
      // the same account however it is written
      expectLimited(await attempt(`  ${victim.toUpperCase()} `), 'login-account');
      // another account from the same address is not affected...
      expect((await attempt(`bystander-${system.runId}@example.com`)).status).toBe(401);
      // ...and a real user logs in
      const ann = await verifiedUser('gwann', '203.0.113.11');
      const ok = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: ann.username, password: ann.password }, headers: from(ip) });
      expect(ok.status).toBe(200);
    });

    it('stops one address trying many accounts', async () => {
      const ip = '203.0.113.20';
      for (let i = 0; i < 6; i++) {
        const res = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: `spray${i}-${system.runId}@example.com`, password: 'x' }, headers: from(ip) });
        expect(res.status).toBe(401);
      }
      expectLimited(await call(gw, 'POST', '/api/v1/auth/login', { body: { login: `spray6-${system.runId}@example.com`, password: 'x' }, headers: from(ip) }), 'login-ip');
      // a request without a readable account still counts against the address
      expectLimited(await call(gw, 'POST', '/api/v1/auth/login', { raw: '{"login": ', headers: from(ip) }), 'login-ip');
      // another address is not affected
      expect((await call(gw, 'POST', '/api/v1/auth/login', { body: { login: `spray6-${system.runId}@example.com`, password: 'x' }, headers: from('203.0.113.21') })).status).toBe(401);
    });

    it('limits registration per address', async () => {
      const ip = '203.0.113.30';
      for (let i = 0; i < 3; i++) {
        const res = await call(gw, 'POST', '/api/v1/auth/register', { body: { ...newUser(`gwreg${i}`, system.runId), email: 'not-an-email' }, headers: from(ip) });
        expect(res.status).toBe(400);
        expectRateLimitHeaders(res, 3, 2 - i);
      }
      expectLimited(await call(gw, 'POST', '/api/v1/auth/register', { body: newUser('gwreg3', system.runId), headers: from(ip) }), 'register-ip');
    });

    it('limits password recovery and verification mails per account and per address', async () => {
      const ip = '203.0.113.40';
      const post = (p: string, body: unknown) => call(gw, 'POST', `/api/v1/auth/${p}`, { body, headers: from(ip) });
      const a = `recover-a-${system.runId}@example.com`;
      for (let i = 0; i < 2; i++) expect((await post('password/forgot', { email: a })).status).not.toBe(429);
      expectLimited(await post('password/forgot', { email: a.toUpperCase() }), 'recovery-account');
      expect((await post('password/forgot', { email: `recover-b-${system.runId}@example.com` })).status).not.toBe(429); // 3rd for the address
      expect((await post('password/reset', { token: 'x'.repeat(40), password: 'Another-long-password-1' })).status).not.toBe(429); // 4th
      expectLimited(await post('verify-email/resend', { email: `recover-c-${system.runId}@example.com` }), 'recovery-ip');
    });

    it('limits callers without a token per address, and users per user id', async () => {
      const ip = '203.0.113.70';
      for (let i = 0; i < 10; i++) expect((await call(gw, 'GET', '/api/v1/groups', { headers: from(ip) })).status).toBe(401);
      // guessing tokens costs the address's quota too
      expectLimited(await call(gw, 'GET', '/api/v1/groups', { headers: from(ip), token: 'a.b.c' }), 'anonymous-ip');

      const u = await verifiedUser('gwbusy', '203.0.113.71');
      // a user's own quota, whichever address the calls come from
      // (GCRA gives one call back every 60 s / 30 = 2 s, so a slow run may get one or two more)
      let allowed = 0;
      let last: ApiResponse | undefined;
      for (let i = 0; i < 40; i++) {
        last = await call(gw, 'GET', '/api/v1/users/me', { token: u.accessToken, headers: from(`198.51.100.${i + 1}`) });
        if (last.status !== 200) break;
        allowed++;
      }
      expect(allowed).toBeGreaterThanOrEqual(30);
      expect(allowed).toBeLessThanOrEqual(33);
      expectLimited(last!, 'user');
    });

    it('keeps limits per key prefix (per run): another prefix has its own, and keys hold no addresses', async () => {
      const ip = '203.0.113.80';
      const account = `prefixed-${system.runId}@example.com`;
      for (let i = 0; i < 3; i++) await call(gw, 'POST', '/api/v1/auth/login', { body: { login: account, password: 'x' }, headers: from(ip) });
      expectLimited(await call(gw, 'POST', '/api/v1/auth/login', { body: { login: account, password: 'x' }, headers: from(ip) }), 'login-account');
      // the gateway on another prefix, same Redis, same services: its own quotas
      const elsewhere = await call(otherPrefix.url, 'POST', '/api/v1/auth/login', { body: { login: account, password: 'x' }, headers: from(ip) });
      expect(elsewhere.status).toBe(401);
      expectRateLimitHeaders(elsewhere, 3, 2);

      const redis = new Redis(infraFromEnv().redisUrl);
      try {
        const mine = await redis.keys(`t-${system.runId}:rl:*`);
        expect(mine).toEqual(expect.arrayContaining([`t-${system.runId}:rl:login-ip:ip:${ip}`, expect.stringMatching(new RegExp(`^t-${system.runId}:rl:login-account:acct:[A-Za-z0-9_-]{32}$`))]));
        expect(mine.join(' ')).not.toContain('example.com');
        expect(await redis.keys(`t-${system.runId}-other:rl:*`)).toHaveLength(2);
        for (const k of mine) expect(await redis.pttl(k)).toBeGreaterThan(0); // nothing stays forever
      } finally {
        redis.disconnect();
      }
    });
  });

  describe('when things behind the gateway fail', () => {
    it('answers 504 problem+json within UPSTREAM_TIMEOUT_MS when an upstream accepts and never answers', async () => {
      const u = await verifiedUser('gwhang', '203.0.113.90');
      const started = Date.now();
      const res = await call(degraded.url, 'GET', '/api/v1/notifications', { token: u.accessToken });
      const took = Date.now() - started;
      expect(res.status).toBe(504);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.detail).toMatch(/notification-service did not answer in time/);
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(1000 + 400);
    });

    it('forwards bodies byte for byte, with the client address it trusts and without spoofable headers', async () => {
      const raw = '{ "login" : "Body@Test.io",\n  "password": "p\\u00e9ss \u00e9",  "extra": [1, 2.50, {"a": null}] }';
      const res = await call(degraded.url, 'POST', '/api/v1/auth/login', {
        raw,
        headers: { 'content-type': 'application/json; charset=utf-8', 'x-forwarded-for': '203.0.113.50', 'x-user-id': 'forged', 'x-request-id': 'e2e-body-1' },
      });
      expect(res.status).toBe(200);
      expect(Buffer.from(res.body.body, 'base64').equals(Buffer.from(raw))).toBe(true);
      expect(res.body.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body.headers['content-length']).toBe(String(Buffer.byteLength(raw)));
      expect(res.body.headers['x-forwarded-for']).toBe('203.0.113.50'); // from loopback: a trusted proxy
      expect(res.body.headers['x-request-id']).toBe('e2e-body-1');
      expect(res.body.headers['x-user-id']).toBeUndefined();
      const form = await call(degraded.url, 'POST', '/api/v1/auth/login', { raw: 'login=form%40test.io&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(Buffer.from(form.body.body, 'base64').toString()).toBe('login=form%40test.io&password=x');

      // From an address that is not a trusted proxy, X-Forwarded-For is ignored.
      const external = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
      if (external) {
        const direct = await call(`http://${external.address}:${degraded.port}`, 'POST', '/api/v1/auth/login', { body: { login: 'x', password: 'y' }, headers: from('203.0.113.50') });
        expect(direct.body.headers['x-forwarded-for']).toBe(external.address);
      }
    });

    it('refuses bodies over BODY_LIMIT_BYTES with 413 problem+json before they reach a service', async () => {
      const huge = JSON.stringify({ login: 'x', password: 'y'.repeat(300 * 1024) });
      for (const p of ['/api/v1/auth/login', '/api/v1/groups']) {
        const res = await call(gw, 'POST', p, { raw: huge, headers: from('203.0.113.95') });
        expect(res.status).toBe(413);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
    });

    it('serves /metrics to the cluster network only, never to a client behind the ingress', async () => {
      const local = await fetch(`${gw}/metrics`);
      expect(local.status).toBe(200);
      expect(await local.text()).toContain('http_request_duration_seconds');
      // Through a trusted proxy the client address is the forwarded one: a public client gets nothing.
      const outside = await call(gw, 'GET', '/metrics', { headers: from('203.0.113.96') });
      expect(outside.status).toBe(404);
      expect(JSON.stringify(outside.body)).not.toContain('http_request_duration_seconds');
      expect((await call(gw, 'GET', '/metrics', { headers: from('10.1.2.3') })).status).toBe(200);
    });

    it('with Redis down: keeps the auth limits in memory, lets other traffic through, and never hangs', async () => {
      const ip = '203.0.113.100';
      const started = Date.now();
      const login = (n: number) => call(degraded.url, 'POST', '/api/v1/auth/login', { body: { login: `down-${n}@example.com`, password: 'x' }, headers: from(ip) });
      expect((await login(1)).status).toBe(200); // the fake auth echoes
      const second = await login(1);
      expect(second.status).toBe(200);
      expectRateLimitHeaders(second, 2, 0);
      expectLimited(await login(1), 'login-account');
      expect((await login(2)).status).toBe(200);
      // general traffic fails open: no decision, so no RateLimit headers
      const open = await call(degraded.url, 'GET', '/api/v1/users/me', { headers: from(ip), token: (await verifiedUser('gwopen', '203.0.113.101')).accessToken });
      expect(open.status).toBe(200);
      expect(open.headers.get('ratelimit-limit')).toBeNull();
      expect(Date.now() - started).toBeLessThan(15000);
      const ready = await call(degraded.url, 'GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.checks.redis.status).toBe('down');
    });
  });

  describe('API documentation', () => {
    it('serves Swagger UI at /docs, with its assets', async () => {
      const res = await fetch(`${gw}/docs`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await res.text();
      expect(html).toContain('<div id="swagger-ui">');
      const assets = [...html.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)].map((m) => m[1]);
      expect(assets).toEqual(expect.arrayContaining(['/docs/swagger-ui-bundle.js', '/docs/swagger-ui-standalone-preset.js', '/docs/swagger-ui.css', '/docs/swagger-initializer.js']));
      for (const a of assets) {
        const r = await fetch(gw + a);
        expect(r.status).toBe(200);
        if (a.endsWith('.js')) expect(r.headers.get('content-type')).toContain('javascript');
        const body = Buffer.from(await r.arrayBuffer());
        if (a.endsWith('bundle.js')) expect(body.length).toBeGreaterThan(500_000);
        if (a.endsWith('initializer.js')) expect(body.toString()).toContain("url: '/openapi.json'");
      }
      expect((await fetch(`${gw}/docs/..%2f..%2fpackage.json`)).status).toBe(404);
    });

    it('serves the merged OpenAPI 3.1 document of every service at /openapi.json', async () => {
      const res = await call(gw, 'GET', '/openapi.json');
      expect(res.status).toBe(200);
      const doc = res.body;
      fs.writeFileSync(path.join(system.logDir, 'openapi.json'), JSON.stringify(doc, null, 2)); // for people and external validators
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      const valid = ajv.validate(OAS31_SHAPE, doc);
      expect(ajv.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.servers).toEqual([{ url: '/' }]);
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
      expect(doc['x-tally-warnings']).toEqual([]);
      for (const s of SERVICES) expect(doc['x-tally-services'][s]).toMatchObject({ status: 'ok' });
      // every $ref resolves; no 3.0-only keywords
      for (const ref of new Set(collectRefs(doc))) expect({ ref, target: resolvePointer(doc, ref) !== undefined }).toEqual({ ref, target: true });
      expect(JSON.stringify(doc)).not.toContain('"nullable"');
      const ids = Object.values(doc.paths).flatMap((item: any) => Object.values(item).map((op: any) => op.operationId)).filter(Boolean);
      expect(new Set(ids).size).toBe(ids.length);

      const expected: [string, string][] = [
        ['post', '/api/v1/auth/register'], ['post', '/api/v1/auth/login'], ['post', '/api/v1/auth/verify-email'], ['get', '/api/v1/users/me'],
        ['get', '/.well-known/jwks.json'], ['get', '/api/v1/groups'], ['get', '/api/v1/accounts'], ['get', '/api/v1/payment-methods'],
        ['get', '/api/v1/activity'], ['get', '/api/v1/notifications'],
      ];
      for (const [m, p] of expected) expect({ route: `${m} ${p}`, documented: Boolean(doc.paths[p]?.[m]) }).toEqual({ route: `${m} ${p}`, documented: true });

      const login = doc.paths['/api/v1/auth/login'].post;
      expect(login.security).toEqual([]);
      expect(login.responses['429']).toEqual({ $ref: '#/components/responses/TooManyRequests' });
      expect(login.requestBody.content['application/json'].schema.$ref).toMatch(/LoginDto$/);
      const me = doc.paths['/api/v1/users/me'].get;
      expect(me.security).toEqual([{ bearer: [] }]);
      expect(me.responses['401']).toBeDefined();
      expect(doc.components.responses.TooManyRequests.headers).toHaveProperty('Retry-After');
      expect(doc.components.responses.TooManyRequests.content['application/problem+json'].schema.$ref).toBe('#/components/schemas/ProblemDetails');
      // schemas come from the DTOs' validation rules even without @ApiProperty
      const loginDto = resolvePointer(doc, login.requestBody.content['application/json'].schema.$ref) as any;
      expect(loginDto.required).toEqual(expect.arrayContaining(['login', 'password']));
      expect(loginDto.properties.login).toMatchObject({ type: 'string', maxLength: 254 });
      // GET /api/v1/groups pages by cursor (limit, cursor), not by offset.
      const page = doc.paths['/api/v1/groups'].get.parameters.map((p: any) => [p.in, p.name]);
      expect(page).toEqual(expect.arrayContaining([['query', 'limit'], ['query', 'cursor']]));
      expect(page).not.toContainEqual(['query', 'offset']);
    });

    it('serves the AsyncAPI 3 document of every topic at /asyncapi.json, without a token', async () => {
      const res = await call(gw, 'GET', '/asyncapi.json', { headers: from('203.0.113.97') });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.body.asyncapi).toBe('3.0.0');
      expect(res.body.channels['auth.user.v1']).toMatchObject({ address: 'auth.user.v1', messages: { 'user.registered': expect.anything() } });
      expect(res.body.channels['auth.user.v1.dlq']).toMatchObject({ address: 'auth.user.v1.dlq' });
    });

    it('documents every route each service maps (a route missing from the document fails here)', async () => {
      const doc = (await call(gw, 'GET', '/openapi.json')).body;
      for (const service of SERVICES) {
        const routes = mappedRoutes(system, service);
        expect(routes.length).toBeGreaterThan(0);
        const missing = routes.filter((r) => !doc.paths[r.path]?.[r.method]).map((r) => `${r.method.toUpperCase()} ${r.path}`);
        expect({ service, missing }).toEqual({ service, missing: [] });
      }
    });

    it('lets through without a token every route a service marks @Public()', async () => {
      const doc = (await call(gw, 'GET', '/openapi.json')).body;
      let n = 0;
      for (const [p, item] of Object.entries<any>(doc.paths)) {
        for (const [method, op] of Object.entries<any>(item)) {
          if (!Array.isArray(op.security) || op.security.length > 0 || p.includes('{')) continue;
          const res = await call(gw, method.toUpperCase(), p, { body: method === 'get' ? undefined : {}, headers: from(`192.0.2.${++n}`) });
          expect({ route: `${method.toUpperCase()} ${p}`, status: res.status, detail: res.body?.detail }).not.toMatchObject({ status: 401, detail: 'A bearer access token is required.' });
        }
      }
      expect(n).toBeGreaterThanOrEqual(4);
    });

    it('leaves a service it cannot read out of the document, with a warning, instead of failing', async () => {
      const started = Date.now();
      const res = await call(degraded.url, 'GET', '/openapi.json');
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(3000);
      const doc = res.body;
      for (const s of ['notification-service', 'auth-service']) expect(doc['x-tally-services'][s]).toEqual({ status: 'unavailable', error: 'no answer within 500 ms' });
      expect(doc['x-tally-services']['group-service']).toMatchObject({ status: 'ok' });
      expect(doc.info.description).toMatch(/notification-service: left out/);
      expect(Object.keys(doc.paths).some((p) => p.startsWith('/api/v1/notifications') || p.startsWith('/api/v1/auth'))).toBe(false);
      expect(doc.paths['/api/v1/groups']).toBeDefined();
    });
  });
});
