import net from 'node:net';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import { Registry } from 'prom-client';
import { GCRA_SCRIPT } from './gcra';
import { RatePolicy } from './policies';
import { LimitCheck, LocalRateLimiter, RateLimitMetrics, RateLimiter } from './rate-limiter';

const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const policy = (name: string, limit: number, windowMs: number): RatePolicy => ({ name, limit, windowMs });

/** The limiter's own client settings, as main.ts has them. */
function client(url = process.env.REDIS_URL!): Redis {
  return new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 500, commandTimeout: 2000, retryStrategy: () => 200, lazyConnect: false });
}

async function ready(r: Redis) {
  if (r.status !== 'ready') await new Promise((resolve) => r.once('ready', resolve));
}

describe('RateLimiter against real Redis', () => {
  let redis: Redis;
  let prefix: string;
  let limiter: RateLimiter;
  const ip = policy('login-ip', 10, 60_000);
  const account = policy('login-account', 3, 60_000);

  beforeAll(async () => {
    redis = client();
    await ready(redis);
  });

  beforeEach(() => {
    prefix = `test-${randomBytes(4).toString('hex')}:rl:`;
    limiter = new RateLimiter({ redis, prefix, timeoutMs: 500, logger });
  });

  afterEach(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  });

  afterAll(async () => {
    await redis.quit();
  });

  it('lets a burst of `limit` through, then refuses with the time to wait', async () => {
    const check: LimitCheck[] = [{ policy: account, key: 'acct:a' }];
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(await limiter.check(check, 'memory'));
    expect(seen.map((d) => [d.allowed, d.source, d.quotas[0].remaining])).toEqual([[true, 'redis', 2], [true, 'redis', 1], [true, 'redis', 0]]);
    const refused = await limiter.check(check, 'memory');
    expect(refused.allowed).toBe(false);
    expect(refused.quotas[0].remaining).toBe(0);
    // one unit comes back every 60s / 3 = 20 s
    expect(refused.quotas[0].retryMs).toBeGreaterThan(19_000);
    expect(refused.quotas[0].retryMs).toBeLessThanOrEqual(20_000);
    expect(refused.quotas[0].resetMs).toBeGreaterThan(59_000);
    expect(refused.quotas[0].resetMs).toBeLessThanOrEqual(60_000);
    // the key expires when the quota is full again: nothing stays behind
    const ttl = await redis.pttl(`${prefix}login-account:acct:a`);
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('refills gradually: a sliding window, not a fixed one', async () => {
    const p = policy('tiny', 4, 2000); // one unit per 500 ms
    const check = [{ policy: p, key: 'k' }];
    for (let i = 0; i < 4; i++) expect((await limiter.check(check, 'open')).allowed).toBe(true);
    const refused = await limiter.check(check, 'open');
    expect(refused.allowed).toBe(false);
    expect(refused.quotas[0].retryMs).toBeGreaterThan(300);
    expect(refused.quotas[0].retryMs).toBeLessThanOrEqual(500);
    await sleep(550);
    expect((await limiter.check(check, 'open')).allowed).toBe(true);
    expect((await limiter.check(check, 'open')).allowed).toBe(false);
    await sleep(2100);
    const full = await limiter.check(check, 'open');
    expect(full.allowed).toBe(true);
    expect(full.quotas[0].remaining).toBe(3);
  });

  it('is all or nothing: a request refused by one quota uses none of the others', async () => {
    const a = (acct: string): LimitCheck[] => [{ policy: ip, key: 'ip:203.0.113.1' }, { policy: account, key: acct }];
    for (let i = 0; i < 3; i++) expect((await limiter.check(a('acct:victim'), 'memory')).allowed).toBe(true);
    for (let i = 0; i < 5; i++) {
      const d = await limiter.check(a('acct:victim'), 'memory');
      expect(d.allowed).toBe(false);
      expect(d.quotas.map((q) => [q.policy.name, q.remaining])).toEqual([['login-ip', 7], ['login-account', 0]]);
    }
    // another account from the same address still gets in, and the IP has 7 - 1 left
    const other = await limiter.check(a('acct:other'), 'memory');
    expect(other.allowed).toBe(true);
    expect(other.quotas[0].remaining).toBe(6);
  });

  it('refuses per IP across many accounts', async () => {
    const results = [];
    for (let i = 0; i < 12; i++) results.push((await limiter.check([{ policy: ip, key: 'ip:198.51.100.9' }, { policy: account, key: `acct:${i}` }], 'memory')).allowed);
    expect(results).toEqual([...Array(10).fill(true), false, false]);
  });

  it('is atomic under concurrency: exactly `limit` of 60 simultaneous requests get through', async () => {
    const p = policy('burst', 10, 60_000);
    const limiters = Array.from({ length: 3 }, () => new RateLimiter({ redis, prefix, timeoutMs: 2000, logger }));
    const decisions = await Promise.all(Array.from({ length: 60 }, (_, i) => limiters[i % 3].check([{ policy: p, key: 'k' }], 'open')));
    expect(decisions.every((d) => d.source === 'redis')).toBe(true);
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
  });

  it('keeps prefixes apart: another run or tenant has its own quotas', async () => {
    const other = new RateLimiter({ redis, prefix: `${prefix}other:`, timeoutMs: 500, logger });
    const check = [{ policy: policy('one', 1, 60_000), key: 'k' }];
    expect((await limiter.check(check, 'open')).allowed).toBe(true);
    expect((await limiter.check(check, 'open')).allowed).toBe(false);
    expect((await other.check(check, 'open')).allowed).toBe(true);
    expect(await redis.exists(`${prefix}one:k`, `${prefix}other:one:k`)).toBe(2);
  });

  it('loads the script when Redis does not have it (NOSCRIPT) and goes on with EVALSHA', async () => {
    // A variant of the script no Redis has seen yet (another SHA), so the first call meets NOSCRIPT.
    const script = `${GCRA_SCRIPT}\n-- ${randomBytes(8).toString('hex')}`;
    const fresh = new RateLimiter({ redis, prefix, timeoutMs: 2000, logger, script });
    const first = await fresh.check([{ policy: policy('ns', 2, 60_000), key: 'k' }], 'open');
    expect(first).toMatchObject({ allowed: true, source: 'redis' });
    expect((await fresh.check([{ policy: policy('ns', 2, 60_000), key: 'k' }], 'open')).source).toBe('redis');
  });

  it('agrees with the in-process limiter on the same sequence', async () => {
    const p = policy('same', 5, 1000);
    const local = new LocalRateLimiter();
    const fromRedis: boolean[] = [];
    const fromMemory: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      fromRedis.push((await limiter.check([{ policy: p, key: 'k' }], 'open')).allowed);
      fromMemory.push(local.check([{ policy: p, key: 'k' }]).allowed);
    }
    expect(fromRedis).toEqual([true, true, true, true, true, false, false, false]);
    expect(fromMemory).toEqual(fromRedis);
  });
});

describe('RateLimiter reserving blocks (leases) in real Redis', () => {
  let redis: Redis;
  let prefix: string;
  const LEASE_MS = 300;
  const leasing = (over: Partial<ConstructorParameters<typeof RateLimiter>[0]> = {}) =>
    new RateLimiter({ redis, prefix, timeoutMs: 2000, logger, batchMax: 16, leaseMs: LEASE_MS, ...over });
  const allowedOf = (ds: { allowed: boolean }[]) => ds.filter((d) => d.allowed).length;

  beforeAll(async () => {
    redis = client();
    await ready(redis);
  });

  beforeEach(() => {
    prefix = `test-${randomBytes(4).toString('hex')}:rl:`;
  });

  afterEach(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  });

  afterAll(async () => {
    await redis.quit();
  });

  it('asks Redis once per block, not once per request, for a busy quota', async () => {
    const limiter = leasing();
    const check = [{ policy: policy('user', 10_000, 60_000), key: 'user:a' }];
    const decisions = [];
    for (let i = 0; i < 200; i++) decisions.push(await limiter.check(check, 'open'));
    expect(allowedOf(decisions)).toBe(200);
    // blocks of 1, 2, 4, 8, then 16: 15 + 12 * 16 > 200
    expect(limiter.redisCalls).toBeLessThanOrEqual(5 + Math.ceil((200 - 15) / 16));
    // The headers still count down one by one within a block (GCRA refills one every 6 ms meanwhile).
    const [x, y, z] = decisions.slice(-3).map((d) => d.quotas[0].remaining);
    expect([y, z]).toEqual([x - 1, x - 2]);
    expect(x).toBeLessThan(10_000 - 150);
  });

  it('never lets more than the limit through across two replicas sharing Redis: the N+1th request is refused', async () => {
    const p = policy('user', 40, 60_000); // a block is at most 4 (a tenth of the limit)
    const replicas = [leasing(), leasing()];
    const check = [{ policy: p, key: 'user:b' }];
    // 120 concurrent requests, alternating between the replicas.
    const burst = await Promise.all(Array.from({ length: 120 }, (_, i) => replicas[i % 2].check(check, 'open')));
    expect(allowedOf(burst)).toBeLessThanOrEqual(40);
    // Tokens one replica holds while the other is refused come back when its lease expires: in all, exactly 40.
    await sleep(LEASE_MS + 50);
    const rest = [];
    for (let i = 0; i < 40; i++) rest.push(await replicas[i % 2].check(check, 'open'));
    await sleep(LEASE_MS + 50);
    for (let i = 0; i < 10; i++) rest.push(await replicas[i % 2].check(check, 'open'));
    expect(allowedOf(burst) + allowedOf(rest)).toBe(40);
    const last = rest[rest.length - 1];
    expect(last.allowed).toBe(false);
    expect(last.quotas[0].retryMs).toBeGreaterThan(0);
  });

  it('counts sequential requests exactly at the edge: limit allowed, then refused, through either replica', async () => {
    const p = policy('anonymous-ip', 20, 60_000);
    const [a, b] = [leasing(), leasing()];
    const check = [{ policy: p, key: 'ip:198.51.100.1' }];
    const seen: boolean[] = [];
    for (let i = 0; i < 20; i++) {
      seen.push((await a.check(check, 'open')).allowed);
    }
    expect(seen).toEqual(Array(20).fill(true));
    // Replica a holds nothing more; b finds the quota spent, and so does a.
    expect((await b.check(check, 'open')).allowed).toBe(false);
    expect((await a.check(check, 'open')).allowed).toBe(false);
  });

  it('gives back the unspent rest of a lease, so a slow client is charged only for what it sent', async () => {
    const p = policy('user', 20, 60_000); // blocks of at most 2
    const limiter = leasing();
    const other = leasing();
    const check = [{ policy: p, key: 'user:c' }];
    // Two quick requests: the second reserves a block of 2 and spends one; one is left over.
    expect((await limiter.check(check, 'open')).allowed).toBe(true);
    expect((await limiter.check(check, 'open')).allowed).toBe(true);
    await sleep(LEASE_MS + 50);
    // The leftover goes back with the next reservation: 20 - 3 = 17 left for anyone after this request.
    const d = await limiter.check(check, 'open');
    expect(d.allowed).toBe(true);
    const tat = Number(await redis.get(`${prefix}user:user:c`));
    const [sec, micro] = await redis.time();
    const reservedUs = tat - (Number(sec) * 1e6 + Number(micro));
    // 3 or 4 intervals of 3 s reserved (the third request's block is 1 or 2), never the 4 or 5 without the refund.
    expect(Math.ceil(reservedUs / 3e6)).toBeLessThanOrEqual(4);
    // In all, never more than 20: what the other replica gets, plus the 3 sent, plus what is left in this lease.
    let more = 0;
    while ((await other.check(check, 'open')).allowed) more++;
    let mine = 0;
    while ((await limiter.check(check, 'open')).allowed) mine++;
    expect(3 + more + mine).toBeLessThanOrEqual(20);
    expect(more).toBeGreaterThanOrEqual(15);
  });

  it('leaves small quotas (login, recovery) and multi-quota checks to one atomic call per request', async () => {
    const limiter = leasing();
    const small = [{ policy: policy('login-account', 5, 60_000), key: 'acct:x' }];
    for (let i = 0; i < 5; i++) expect((await limiter.check(small, 'memory')).allowed).toBe(true);
    expect((await limiter.check(small, 'memory')).allowed).toBe(false);
    expect(limiter.redisCalls).toBe(6);
    const pair = [{ policy: policy('login-ip', 100, 60_000), key: 'ip:x' }, { policy: policy('big', 100, 60_000), key: 'k' }];
    for (let i = 0; i < 4; i++) await limiter.check(pair, 'memory');
    expect(limiter.redisCalls).toBe(10);
  });

  it('checkNow answers from the lease in hand without a promise, the same decisions as check, never past the limit', async () => {
    const p = policy('user', 40, 60_000); // blocks of at most 4
    const limiter = leasing();
    const other = leasing();
    const c = { policy: p, key: 'user:e' };
    expect(limiter.checkNow(c)).toBeUndefined(); // no lease yet: only check() can decide
    let allowed = 0;
    let now = 0;
    let refusedNow: ReturnType<RateLimiter['checkNow']>;
    for (let i = 0; i < 60; i++) {
      const quick = limiter.checkNow(c);
      if (quick) {
        now++;
        if (quick.allowed) allowed++;
        else refusedNow = quick;
        continue;
      }
      if ((await limiter.check([c], 'open')).allowed) allowed++;
    }
    // Most were answered at once, and the two paths together let exactly the limit through.
    expect(now).toBeGreaterThan(25);
    expect(allowed).toBe(40);
    // A refusal is remembered for the lease's time and answered at once, with the time to wait.
    expect(refusedNow!.allowed).toBe(false);
    expect(refusedNow!.quotas[0].retryMs).toBeGreaterThan(0);
    expect((await other.check([c], 'open')).allowed).toBe(false);
    // Quotas that are never leased are left to check().
    expect(limiter.checkNow({ policy: policy('login-account', 5, 60_000), key: 'acct:e' })).toBeUndefined();
    expect(new RateLimiter({ prefix, timeoutMs: 100, logger, batchMax: 16 }).checkNow(c)).toBeUndefined();
  });

  it('with batchMax 1 asks Redis for every request, as before', async () => {
    const limiter = leasing({ batchMax: 1 });
    const check = [{ policy: policy('user', 10_000, 60_000), key: 'user:d' }];
    for (let i = 0; i < 30; i++) await limiter.check(check, 'open');
    expect(limiter.redisCalls).toBe(30);
  });
});

describe('RateLimiter when Redis is not there', () => {
  const p = policy('login-account', 2, 60_000);
  const check = [{ policy: p, key: 'acct:x' }];

  it('fails open for general traffic and uses in-process limits for auth routes, without waiting', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = s.address() as net.AddressInfo;
        s.close(() => resolve(free));
      });
    });
    const dead = client(`redis://127.0.0.1:${port}`);
    dead.on('error', () => undefined);
    const registry = new Registry();
    const metrics = new RateLimitMetrics(registry);
    const limiter = new RateLimiter({ redis: dead, prefix: 'x:', timeoutMs: 100, logger, metrics });
    try {
      const started = Date.now();
      const open = await limiter.check(check, 'open');
      expect(open).toEqual({ allowed: true, quotas: [], source: 'none' });
      const decisions = [];
      for (let i = 0; i < 3; i++) decisions.push(await limiter.check(check, 'memory'));
      expect(decisions.map((d) => [d.allowed, d.source])).toEqual([[true, 'memory'], [true, 'memory'], [false, 'memory']]);
      expect(Date.now() - started).toBeLessThan(500);
      const text = await registry.metrics();
      expect(text).toMatch(/gateway_rate_limit_backend_failures_total\{mode="open"\} 1/);
      expect(text).toMatch(/gateway_rate_limit_backend_failures_total\{mode="memory"\} 3/);
    } finally {
      dead.disconnect();
    }
  });

  it('never waits longer than its timeout on a Redis that accepts and never answers', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => void sockets.push(s)); // accepts, reads, never replies
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as net.AddressInfo;
    // A connected-looking client: ioredis considers it ready without a handshake reply.
    const hung = new Redis(`redis://127.0.0.1:${port}`, { enableOfflineQueue: false, enableReadyCheck: false, maxRetriesPerRequest: 0, commandTimeout: 1000, lazyConnect: false });
    hung.on('error', () => undefined);
    await ready(hung);
    const limiter = new RateLimiter({ redis: hung, prefix: 'x:', timeoutMs: 80, logger, breakerMs: 1000 });
    try {
      let started = Date.now();
      const first = await limiter.check(check, 'memory');
      expect(first).toMatchObject({ allowed: true, source: 'memory' });
      expect(Date.now() - started).toBeLessThan(300);
      // after a timeout it stops asking for a moment: the next checks cost nothing
      started = Date.now();
      for (let i = 0; i < 5; i++) await limiter.check(check, 'open');
      expect(Date.now() - started).toBeLessThan(50);
    } finally {
      hung.disconnect();
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
