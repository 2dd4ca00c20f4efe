import Fastify from 'fastify';
import pino from 'pino';
import { loadConfig } from '@tally/config';
import { GatewayConfig, rateLimitPrefix, trustProxyOption } from '../config/gateway.config';
import { canonicalPath, isPublicRoute, sensitiveRoute } from '../proxy/routes';
import { accountFromBody, accountKey, clientIpKey } from './client-keys';
import { gcraState, gcraStep } from './gcra';
import { DEFAULT_POLICIES, RatePolicy, parsePolicy, resolvePolicies } from './policies';
import { LimitDecision, LocalRateLimiter, RateLimiter, bindingQuota, rateLimitHeaders } from './rate-limiter';

const policy = (name: string, limit: number, windowMs: number): RatePolicy => ({ name, limit, windowMs });

describe('rate-limit policies', () => {
  it('parses <limit>/<window>', () => {
    expect(parsePolicy('p', '10/1m')).toEqual({ name: 'p', limit: 10, windowMs: 60_000 });
    expect(parsePolicy('p', '5/15m')).toEqual({ name: 'p', limit: 5, windowMs: 900_000 });
    expect(parsePolicy('p', '300/60s')).toEqual({ name: 'p', limit: 300, windowMs: 60_000 });
    expect(parsePolicy('p', '3/500ms')).toEqual({ name: 'p', limit: 3, windowMs: 500 });
    expect(parsePolicy('p', '1/24h').windowMs).toBe(86_400_000);
    for (const bad of ['10', '10/', '/1m', '0/1m', '10/1d', '10/50ms', '10/25h', '-1/1m', '1.5/1m', '10 / 1m']) expect(() => parsePolicy('p', bad)).toThrow();
  });

  it('has the production defaults, and a setting replaces only its own policy', () => {
    const prod = resolvePolicies({});
    expect(prod.loginIp).toEqual({ name: 'login-ip', limit: 10, windowMs: 60_000 });
    expect(prod.loginAccount).toEqual({ name: 'login-account', limit: 5, windowMs: 60_000 });
    expect(prod.registerIp).toEqual({ name: 'register-ip', limit: 5, windowMs: 600_000 });
    expect(prod.recoveryIp).toEqual({ name: 'recovery-ip', limit: 5, windowMs: 900_000 });
    expect(prod.recoveryAccount).toEqual({ name: 'recovery-account', limit: 3, windowMs: 900_000 });
    expect(prod.user).toEqual({ name: 'user', limit: 300, windowMs: 60_000 });
    expect(prod.anonymousIp).toEqual({ name: 'anonymous-ip', limit: 120, windowMs: 60_000 });

    const set = resolvePolicies({ RATE_LIMIT_LOGIN_ACCOUNT: '2/10s' });
    expect(set.loginAccount).toEqual({ name: 'login-account', limit: 2, windowMs: 10_000 });
    expect(set.loginIp).toEqual(prod.loginIp);
    expect(Object.keys(DEFAULT_POLICIES)).toHaveLength(7);
  });

  it('validates the settings in GatewayConfig', () => {
    const ok = loadConfig(GatewayConfig, { RATE_LIMIT_LOGIN_IP: '20/1m', TRUST_PROXY: '10.0.0.0/8, 127.0.0.1', QUEUE_PREFIX: 't-abc' });
    expect(ok.RATE_LIMIT_LOGIN_IP).toBe('20/1m');
    expect(rateLimitPrefix(ok)).toBe('t-abc:rl:');
    expect(rateLimitPrefix(loadConfig(GatewayConfig, {}))).toBe('tally:rl:');
    expect(rateLimitPrefix(loadConfig(GatewayConfig, { RATE_LIMIT_PREFIX: 'x:', QUEUE_PREFIX: 'q' }))).toBe('x:');
    expect(() => loadConfig(GatewayConfig, { RATE_LIMIT_LOGIN_IP: 'lots' })).toThrow(/RATE_LIMIT_LOGIN_IP must be <limit>\/<window>/);
    expect(() => loadConfig(GatewayConfig, { RATE_LIMIT_REDIS_TIMEOUT_MS: '0' })).toThrow(/RATE_LIMIT_REDIS_TIMEOUT_MS/);
    expect(() => loadConfig(GatewayConfig, { TRUST_PROXY: 'everyone; drop table' })).toThrow(/TRUST_PROXY/);
    expect(loadConfig(GatewayConfig, { RATE_LIMIT_ENABLED: 'false' }).RATE_LIMIT_ENABLED).toBe(false);
  });

  it('reads TRUST_PROXY as Fastify trustProxy', () => {
    expect(trustProxyOption('loopback')).toBe('loopback');
    expect(trustProxyOption('false')).toBe(false);
    expect(trustProxyOption('true')).toBe(true);
    expect(trustProxyOption('2')).toBe(2);
    expect(trustProxyOption('10.0.0.0/8 , loopback')).toBe('10.0.0.0/8,loopback');
  });
});

describe('client keys', () => {
  it('keys IPv4 as is, mapped IPv6 as IPv4, IPv6 by /64', () => {
    expect(clientIpKey('203.0.113.7')).toBe('ip:203.0.113.7');
    expect(clientIpKey('::ffff:203.0.113.7')).toBe('ip:203.0.113.7');
    expect(clientIpKey('2001:db8:1:2:aaaa::1')).toBe('ip6:2001:db8:1:2::/64');
    expect(clientIpKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('ip6:2001:db8:1:2::/64');
    expect(clientIpKey('2001:0DB8:0001:0002::')).toBe('ip6:2001:db8:1:2::/64');
    expect(clientIpKey('::1')).toBe('ip6:0:0:0:0::/64');
    expect(clientIpKey(undefined)).toBe('ip:unknown');
  });

  it('finds the account in JSON and form bodies, normalized', () => {
    const json = (v: unknown) => Buffer.from(JSON.stringify(v));
    expect(accountFromBody(json({ login: '  Ann@Example.COM ', password: 'x' }), 'application/json')).toBe('ann@example.com');
    expect(accountFromBody(json({ email: 'B@x.io' }), 'application/json; charset=utf-8')).toBe('b@x.io');
    expect(accountFromBody(json({ username: 'Carol' }), 'application/json')).toBe('carol');
    expect(accountFromBody(json({ login: 'ｄａｖｅ' }), 'application/json')).toBe('dave'); // NFKC: full-width is the same account
    expect(accountFromBody(json({ login: 'first', email: 'second' }), 'application/json')).toBe('first');
    expect(accountFromBody(Buffer.from('login=Eve%40X.com&password=p'), 'application/x-www-form-urlencoded')).toBe('eve@x.com');
    expect(accountFromBody(json({ login: 42 }), 'application/json')).toBeUndefined();
    expect(accountFromBody(json({ login: '   ' }), 'application/json')).toBeUndefined();
    expect(accountFromBody(json([1]), 'application/json')).toBeUndefined();
    expect(accountFromBody(Buffer.from('{"login": '), 'application/json')).toBeUndefined();
    expect(accountFromBody(undefined, 'application/json')).toBeUndefined();
    expect(accountFromBody(Buffer.from('login=x'), 'text/plain')).toBeUndefined();
  });

  it('reads a JSON body exactly as the services\' Fastify does: a leading BOM hides no account (defect 2)', async () => {
    // The parser every service's Fastify uses for application/json (secure-json-parse, one leading BOM skipped).
    const fastify = Fastify();
    const serviceParser = fastify.getDefaultJsonParser('error', 'error');
    const serviceReads = (text: string) =>
      new Promise<unknown>((resolve) => serviceParser(undefined as never, text, (err, body) => resolve(err ? undefined : body)));
    const login = JSON.stringify({ login: 'Ann', password: 'x' });
    for (const text of [login, `\ufeff${login}`, `\ufeff\ufeff${login}`, ` \ufeff${login}`, `\ufeff ${login}`, `\ufeff{"login": "Ann"`, `\ufeff`]) {
      const parsed = (await serviceReads(text)) as { login?: string } | undefined;
      const expected = typeof parsed?.login === 'string' ? parsed.login.toLowerCase() : undefined;
      expect({ text, account: accountFromBody(Buffer.from(text), 'application/json') }).toEqual({ text, account: expected });
    }
    expect(accountFromBody(Buffer.from(`\ufeff${login}`), 'application/json')).toBe('ann');
    await fastify.close();
  });

  it('keys an internationalized email domain as auth-service reads it, in its ASCII form', () => {
    const json = (v: unknown) => Buffer.from(JSON.stringify(v));
    expect(accountFromBody(json({ login: 'Ann@Bücher.de' }), 'application/json')).toBe('ann@xn--bcher-kva.de');
    expect(accountFromBody(json({ email: 'ann@xn--bcher-kva.de' }), 'application/json')).toBe('ann@xn--bcher-kva.de');
  });

  it('hashes account keys so no address reaches Redis', () => {
    const k = accountKey('ann@example.com');
    expect(k).toMatch(/^acct:[A-Za-z0-9_-]{32}$/);
    expect(k).not.toContain('ann');
    expect(accountKey('ann@example.com')).toBe(k);
    expect(accountKey('bob@example.com')).not.toBe(k);
  });
});

describe('routes', () => {
  it('matches the sensitive auth routes however the path is spelled', () => {
    expect(sensitiveRoute('POST', '/api/v1/auth/login')).toBe('login');
    expect(sensitiveRoute('POST', '/api/v1/auth/login?x=1')).toBe('login');
    expect(sensitiveRoute('POST', '/api/v1/auth/%6Cogin')).toBe('login');
    expect(sensitiveRoute('POST', '/API/v1//auth/login/')).toBe('login');
    expect(sensitiveRoute('POST', '/api/v1/auth/register')).toBe('register');
    expect(sensitiveRoute('POST', '/api/v1/auth/password/forgot')).toBe('recovery');
    expect(sensitiveRoute('POST', '/api/v1/auth/password/reset')).toBe('recovery');
    expect(sensitiveRoute('POST', '/api/v1/auth/verify-email/resend')).toBe('recovery');
    expect(sensitiveRoute('GET', '/api/v1/auth/login')).toBeUndefined();
    expect(sensitiveRoute('POST', '/api/v1/auth/verify-email')).toBeUndefined();
    expect(canonicalPath('/a/%zz')).toBe('/a/%zz');
  });

  it('knows the public routes', () => {
    for (const p of ['register', 'login', 'refresh', 'logout', 'verify-email', 'verify-email/resend', 'password/forgot', 'password/reset']) expect(isPublicRoute('POST', `/api/v1/auth/${p}`)).toBe(true);
    expect(isPublicRoute('GET', '/.well-known/jwks.json')).toBe(true);
    expect(isPublicRoute('POST', '/api/v1/auth/password/change')).toBe(false);
    expect(isPublicRoute('GET', '/api/v1/users/me')).toBe(false);
    expect(isPublicRoute('GET', '/api/v1/auth/login')).toBe(false);
  });
});

describe('GCRA', () => {
  const W = 60_000_000; // 1 min in µs

  it('allows a burst of `limit`, then one per window/limit', () => {
    let tat: number | undefined;
    const now = 1_000_000_000;
    for (let i = 0; i < 5; i++) {
      const s = gcraStep(tat, now, 5, W);
      expect(s.retryUs).toBe(0);
      tat = s.newTat;
      expect(gcraState(tat, now, W, s.interval).remaining).toBe(4 - i);
    }
    const refused = gcraStep(tat, now, 5, W);
    expect(refused.retryUs).toBe(12_000_000);
    expect(gcraStep(tat, now + 11_999_999, 5, W).retryUs).toBe(1);
    expect(gcraStep(tat, now + 12_000_000, 5, W).retryUs).toBe(0);
    expect(gcraState(tat!, now + W, W, refused.interval)).toEqual({ remaining: 5, resetUs: 0 });
  });
});

describe('LocalRateLimiter', () => {
  it('is all or nothing across the quotas of a request', () => {
    let now = 0;
    const local = new LocalRateLimiter(1000, () => now);
    const ip = policy('ip', 3, 60_000);
    const acct = policy('acct', 1, 60_000);
    expect(local.check([{ policy: ip, key: 'a' }, { policy: acct, key: 'x' }]).allowed).toBe(true);
    const refused = local.check([{ policy: ip, key: 'a' }, { policy: acct, key: 'x' }]);
    expect(refused.allowed).toBe(false);
    expect(refused.quotas.map((q) => [q.policy.name, q.remaining])).toEqual([['ip', 2], ['acct', 0]]);
    // the refused attempt did not use the IP's quota
    expect(local.check([{ policy: ip, key: 'a' }]).quotas[0].remaining).toBe(1);
    now += 60_000_000;
    expect(local.check([{ policy: ip, key: 'a' }, { policy: acct, key: 'x' }]).allowed).toBe(true);
  });

  it('stays bounded', () => {
    const now = 0;
    const local = new LocalRateLimiter(100, () => now);
    for (let i = 0; i < 1000; i++) local.check([{ policy: policy('p', 5, 60_000), key: `k${i}` }]);
    expect(local.size).toBeLessThanOrEqual(100);
  });

  it('decides everything when there is no Redis', async () => {
    const limiter = new RateLimiter({ prefix: 'x:', timeoutMs: 10, logger: pino({ level: 'silent' }) });
    const p = policy('p', 1, 60_000);
    expect((await limiter.check([{ policy: p, key: 'k' }], 'open')).allowed).toBe(true);
    const d = await limiter.check([{ policy: p, key: 'k' }], 'open');
    expect(d).toMatchObject({ allowed: false, source: 'memory' });
  });
});

describe('RateLimit headers', () => {
  const login = policy('login-ip', 10, 60_000);
  const account = policy('login-account', 5, 60_000);

  it('reports the quota closest to running out, and every policy', () => {
    const d: LimitDecision = {
      allowed: true,
      source: 'redis',
      quotas: [
        { policy: login, remaining: 7, resetMs: 18_000, retryMs: 0 },
        { policy: account, remaining: 2, resetMs: 36_500, retryMs: 0 },
      ],
    };
    expect(bindingQuota(d)?.policy).toBe(account);
    expect(rateLimitHeaders(d)).toEqual({
      'ratelimit-limit': '5',
      'ratelimit-remaining': '2',
      'ratelimit-reset': '37',
      'ratelimit-policy': '5;w=60;comment="login-account", 10;w=60;comment="login-ip"',
    });
  });

  it('adds Retry-After when refused, from the quota that frees up last', () => {
    const d: LimitDecision = {
      allowed: false,
      source: 'redis',
      quotas: [
        { policy: login, remaining: 0, resetMs: 60_000, retryMs: 5_200 },
        { policy: account, remaining: 0, resetMs: 60_000, retryMs: 11_100 },
      ],
    };
    expect(rateLimitHeaders(d)).toMatchObject({ 'retry-after': '12', 'ratelimit-limit': '5', 'ratelimit-remaining': '0' });
    expect(rateLimitHeaders({ allowed: true, source: 'none', quotas: [] })).toEqual({});
  });
});
