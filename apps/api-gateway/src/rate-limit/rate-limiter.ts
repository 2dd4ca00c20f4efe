import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { GCRA_SCRIPT, LEASE_SCRIPT, gcraState, gcraStep } from './gcra';
import { RatePolicy } from './policies';

/** One quota to check for a request: a policy and whose quota it is (e.g. `ip:203.0.113.7`). */
export interface LimitCheck {
  policy: RatePolicy;
  key: string;
}

export interface QuotaState {
  policy: RatePolicy;
  /** Requests still allowed right now. */
  remaining: number;
  /** Until the quota is full again. */
  resetMs: number;
  /** Until this quota lets a request through again (0 when it does now). */
  retryMs: number;
}

export interface LimitDecision {
  allowed: boolean;
  quotas: QuotaState[];
  /** Who decided: Redis, the in-process fallback, or nobody (failed open). */
  source: 'redis' | 'memory' | 'none';
}

/** What to do when Redis cannot answer in time: let the request through, or decide with the in-process limiter. */
export type FailMode = 'open' | 'memory';

export class RateLimitMetrics {
  readonly decisions: Counter<'policy' | 'result'>;
  readonly backendFailures: Counter<'mode'>;

  constructor(registry: Registry) {
    this.decisions = new Counter({
      name: 'gateway_rate_limit_decisions_total', help: 'Rate-limit checks by binding policy and result',
      labelNames: ['policy', 'result'], registers: [registry],
    });
    this.backendFailures = new Counter({
      name: 'gateway_rate_limit_backend_failures_total', help: 'Checks Redis could not answer in time, by what was done instead (open: let through; memory: in-process limiter)',
      labelNames: ['mode'], registers: [registry],
    });
  }
}

/**
 * The same GCRA as the Redis script, in this process's memory: the fallback for the auth routes
 * when Redis is unavailable, and the only limiter when the gateway runs without Redis. Each
 * replica counts for itself, so with N replicas a client gets up to N times the quota: still a
 * real brake on brute force. Bounded: past `maxKeys` the expired entries, then the oldest, go.
 */
export class LocalRateLimiter {
  private readonly tats = new Map<string, number>();

  constructor(private readonly maxKeys = 100_000, private readonly nowUs: () => number = () => Date.now() * 1000) {}

  check(checks: LimitCheck[]): LimitDecision {
    const now = this.nowUs();
    const steps = checks.map((c) => {
      const k = `${c.policy.name}:${c.key}`;
      return { c, k, step: gcraStep(this.tats.get(k), now, c.policy.limit, c.policy.windowMs * 1000) };
    });
    const allowed = steps.every((s) => s.step.retryUs === 0);
    const quotas = steps.map(({ c, k, step }) => {
      const tat = allowed ? step.newTat : step.tat;
      if (allowed) {
        this.tats.delete(k); // re-insert: Map order is then least recently used first
        this.tats.set(k, tat);
      }
      const st = gcraState(tat, now, c.policy.windowMs * 1000, step.interval);
      return { policy: c.policy, remaining: st.remaining, resetMs: Math.ceil(st.resetUs / 1000), retryMs: Math.ceil(step.retryUs / 1000) };
    });
    if (this.tats.size > this.maxKeys) this.evict(now);
    return { allowed, quotas, source: 'memory' };
  }

  get size(): number {
    return this.tats.size;
  }

  private evict(now: number): void {
    for (const [k, tat] of this.tats) if (tat <= now) this.tats.delete(k);
    for (const k of this.tats.keys()) {
      if (this.tats.size <= this.maxKeys) break;
      this.tats.delete(k);
    }
  }
}

export interface RateLimiterOptions {
  /** Without Redis, every check is decided in memory. */
  redis?: Redis;
  /** Prefix of every key, e.g. `tally:rl:`; test runs use their own. */
  prefix: string;
  /** Longest wait for Redis per check. */
  timeoutMs: number;
  logger: Logger;
  metrics?: RateLimitMetrics;
  /** After Redis failed, how long to decide without asking it (so a hung Redis costs one timeout, not one per request). */
  breakerMs?: number;
  local?: LocalRateLimiter;
  /** The script to run; tests pass a variant (same logic, another SHA) to exercise NOSCRIPT. */
  script?: string;
  /**
   * Largest block of requests reserved from Redis at once for one quota (a lease, see `TokenLease`);
   * 1 (the default here) reserves one per request. Only single-quota checks of a policy of at least
   * LEASE_MIN_LIMIT requests are leased, and a block never exceeds a tenth of the policy's limit.
   */
  batchMax?: number;
  /** How long a lease's unspent requests may be spent; then they go back to Redis with the next reservation. */
  leaseMs?: number;
}

class RedisTimeout extends Error {}

/** Policies smaller than this (the login and recovery quotas) are never leased: every request asks Redis. */
export const LEASE_MIN_LIMIT = 20;

/**
 * What this replica holds of one quota: requests reserved in Redis and not spent yet. A block grows
 * (doubling, up to the cap) while leases run out before they expire, shrinks when one expires unspent.
 */
interface TokenLease {
  /** Reserved, not yet spent. */
  tokens: number;
  /** Local clock (ms): the tokens may be spent until then. */
  expiresAt: number;
  /** Size of the last reservation asked for. */
  block: number;
  /** What Redis said was left after the reservation (not counting `tokens`). */
  remaining: number;
  resetAt: number;
  /** A refusal, remembered until then (at most leaseMs): no Redis call per refused request. */
  refusedUntil: number;
  retryAt: number;
  inflight?: Promise<void>;
}

/**
 * Checks the quotas of a request in Redis with one atomic GCRA script (EVALSHA; loaded on
 * NOSCRIPT). Never waits on Redis longer than `timeoutMs`; then it fails open or falls back to
 * the in-process limiter, as the caller asks.
 */
export class RateLimiter {
  readonly local: LocalRateLimiter;
  /** Calls made to Redis (each one EVALSHA round trip; a NOSCRIPT reload counts once more). */
  redisCalls = 0;
  private readonly script: string;
  private readonly sha: string;
  private readonly leaseSha = createHash('sha1').update(LEASE_SCRIPT).digest('hex');
  private readonly leases = new Map<string, TokenLease>();
  private readonly batchMax: number;
  private readonly leaseMs: number;
  private skipRedisUntil = 0;
  private lastFailureLog = 0;

  constructor(private readonly opts: RateLimiterOptions, private readonly maxLeases = 100_000) {
    this.local = opts.local ?? new LocalRateLimiter();
    this.script = opts.script ?? GCRA_SCRIPT;
    this.sha = createHash('sha1').update(this.script).digest('hex');
    this.batchMax = Math.max(1, Math.floor(opts.batchMax ?? 1));
    this.leaseMs = Math.max(1, opts.leaseMs ?? 1000);
  }

  /** Key of a quota in Redis. */
  redisKey(c: LimitCheck): string {
    return `${this.opts.prefix}${c.policy.name}:${c.key}`;
  }

  async check(checks: LimitCheck[], failMode: FailMode): Promise<LimitDecision> {
    if (!checks.length) return { allowed: true, quotas: [], source: 'none' };
    const decision = await this.decide(checks, failMode);
    const binding = bindingQuota(decision);
    if (binding) this.opts.metrics?.decisions.inc({ policy: binding.policy.name, result: decision.allowed ? 'allowed' : 'limited' });
    return decision;
  }

  /**
   * The decision for one leased quota when this replica's lease answers it at once (a reserved token
   * or a remembered refusal), counted like `check`'s; undefined when only `check` can decide (no lease
   * in hand or none left in it, a quota that is not leased, no Redis). The same decisions as `check`,
   * without a promise: most requests of a busy client are answered here.
   */
  checkNow(c: LimitCheck): LimitDecision | undefined {
    if (!this.opts.redis || this.leaseCap(c.policy) <= 1) return undefined;
    const lease = this.leases.get(this.redisKey(c));
    if (!lease) return undefined;
    const decision = this.fromLease(lease, c, Date.now());
    if (decision) this.opts.metrics?.decisions.inc({ policy: c.policy.name, result: decision.allowed ? 'allowed' : 'limited' });
    return decision;
  }

  private async decide(checks: LimitCheck[], failMode: FailMode): Promise<LimitDecision> {
    const redis = this.opts.redis;
    if (!redis) return this.local.check(checks);
    if (checks.length === 1 && this.leaseCap(checks[0].policy) > 1) return this.decideLeased(redis, checks[0], failMode);
    try {
      this.assertAskable(redis);
      return await this.withTimeout(this.evalInRedis(redis, checks));
    } catch (err) {
      return this.withoutRedis(redis, err as Error, checks, failMode);
    }
  }

  private assertAskable(redis: Redis): void {
    if (Date.now() < this.skipRedisUntil) throw new Error('redis recently failed; not asking it for a moment');
    if (redis.status !== 'ready') throw new Error(`redis is ${redis.status}`);
  }

  private withoutRedis(redis: Redis, err: Error, checks: LimitCheck[], failMode: FailMode): LimitDecision {
    if (err instanceof RedisTimeout || redis.status !== 'ready') this.skipRedisUntil = Date.now() + (this.opts.breakerMs ?? 1000);
    this.opts.metrics?.backendFailures.inc({ mode: failMode });
    if (Date.now() - this.lastFailureLog > 10_000) {
      this.lastFailureLog = Date.now();
      this.opts.logger.warn({ err: err.message, failMode }, 'rate limiter: Redis unavailable; deciding without it (open for general traffic, in-process limits for auth routes)');
    }
    return failMode === 'memory' ? this.local.check(checks) : { allowed: true, quotas: [], source: 'none' };
  }

  /** The largest block leased for this policy: 1 (no lease) below LEASE_MIN_LIMIT, never more than a tenth of the limit. */
  private leaseCap(policy: RatePolicy): number {
    if (this.batchMax <= 1 || policy.limit < LEASE_MIN_LIMIT) return 1;
    return Math.max(1, Math.min(this.batchMax, Math.floor(policy.limit / 10)));
  }

  /**
   * One quota, spent from this replica's lease: a request takes a reserved token from memory; when
   * there is none, one call reserves the next block (and gives back an expired lease's unspent
   * tokens). Requests arriving while that call runs wait for it (one call per quota at a time).
   *
   * Never more than the limit, across any number of replicas: every request let through spent a
   * token reserved in Redis. The costs, per replica and quota: up to cap - 1 reserved tokens sit
   * unspent for at most leaseMs (another replica may refuse meanwhile), a token may be spent up to
   * leaseMs after it was reserved (so a window may see up to cap - 1 more per replica at its start,
   * reserved just before it), and a refusal is remembered up to leaseMs.
   */
  private async decideLeased(redis: Redis, c: LimitCheck, failMode: FailMode): Promise<LimitDecision> {
    const key = this.redisKey(c);
    for (;;) {
      const now = Date.now();
      const lease = this.leases.get(key);
      if (lease) {
        const held = this.fromLease(lease, c, now);
        if (held) return held;
        if (lease.inflight) {
          await lease.inflight;
          continue;
        }
      }
      try {
        this.assertAskable(redis);
      } catch (err) {
        return this.withoutRedis(redis, err as Error, [c], failMode);
      }
      const l = lease ?? this.newLease(key);
      const failure = await this.reserve(redis, c, key, l, now);
      if (failure) return this.withoutRedis(redis, failure, [c], failMode);
    }
  }

  /** What a lease in hand answers without Redis: a reserved token, or a remembered refusal; else undefined. */
  private fromLease(lease: TokenLease, c: LimitCheck, now: number): LimitDecision | undefined {
    if (lease.tokens > 0 && now < lease.expiresAt) {
      lease.tokens--;
      return { allowed: true, quotas: [{ policy: c.policy, remaining: lease.remaining + lease.tokens, resetMs: Math.max(0, lease.resetAt - now), retryMs: 0 }], source: 'redis' };
    }
    if (now < lease.refusedUntil) {
      return { allowed: false, quotas: [{ policy: c.policy, remaining: 0, resetMs: Math.max(0, lease.resetAt - now), retryMs: Math.max(1, lease.retryAt - now) }], source: 'redis' };
    }
    return undefined;
  }

  private newLease(key: string): TokenLease {
    if (this.leases.size >= this.maxLeases) this.evictLeases();
    const lease: TokenLease = { tokens: 0, expiresAt: 0, block: 0, remaining: 0, resetAt: 0, refusedUntil: 0, retryAt: 0 };
    this.leases.set(key, lease);
    return lease;
  }

  /** Reserves the next block for `lease` (giving back an expired lease's leftovers); the error when Redis could not answer. */
  private async reserve(redis: Redis, c: LimitCheck, key: string, lease: TokenLease, now: number): Promise<Error | undefined> {
    const cap = this.leaseCap(c.policy);
    const expired = now >= lease.expiresAt;
    const refund = expired ? lease.tokens : 0;
    // Ran out before it expired: demand is high, double. Expired unspent: halve. New: one.
    const want = lease.block === 0 ? 1 : !expired ? Math.min(cap, lease.block * 2) : refund > 0 ? Math.max(1, Math.floor(lease.block / 2)) : Math.min(cap, lease.block);
    lease.tokens = 0; // given back (or, if Redis fails now, lost: a client gets less, never more)
    let failure: Error | undefined;
    const call = this.withTimeout(this.evalLease(redis, key, c.policy, want, refund))
      .then(([granted, remaining, resetMs, retryMs]) => {
        const at = Date.now();
        lease.tokens = granted;
        lease.block = granted > 0 ? want : 1;
        lease.remaining = remaining;
        lease.resetAt = at + resetMs;
        lease.expiresAt = granted > 0 ? at + this.leaseMs : 0;
        lease.refusedUntil = granted > 0 ? 0 : at + Math.min(retryMs, this.leaseMs);
        lease.retryAt = at + retryMs;
      })
      .catch((err: Error) => {
        failure = err;
      })
      .finally(() => {
        lease.inflight = undefined;
      });
    lease.inflight = call;
    await call;
    return failure;
  }

  private async evalLease(redis: Redis, key: string, policy: RatePolicy, want: number, refund: number): Promise<number[]> {
    const args = [policy.limit, policy.windowMs, want, refund];
    this.redisCalls++;
    try {
      return (await redis.evalsha(this.leaseSha, 1, key, ...args)) as number[];
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
      await redis.script('LOAD', LEASE_SCRIPT);
      this.redisCalls++;
      return (await redis.evalsha(this.leaseSha, 1, key, ...args)) as number[];
    }
  }

  /** Over `maxLeases`: leases with nothing to spend and nothing remembered go first, then the oldest (their tokens are lost: less, never more). */
  private evictLeases(): void {
    const now = Date.now();
    for (const [k, l] of this.leases) if (!l.inflight && (l.tokens === 0 || now >= l.expiresAt) && now >= l.refusedUntil) this.leases.delete(k);
    for (const [k, l] of this.leases) {
      if (this.leases.size < this.maxLeases) break;
      if (!l.inflight) this.leases.delete(k);
    }
  }

  private async evalInRedis(redis: Redis, checks: LimitCheck[]): Promise<LimitDecision> {
    const keys = checks.map((c) => this.redisKey(c));
    const args = checks.flatMap((c) => [c.policy.limit, c.policy.windowMs]);
    let raw: unknown;
    this.redisCalls++;
    try {
      raw = await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
      await redis.script('LOAD', this.script);
      raw = await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    }
    const r = raw as number[];
    return {
      allowed: r[0] === 1,
      quotas: checks.map((c, i) => ({ policy: c.policy, remaining: r[1 + 3 * i], resetMs: r[2 + 3 * i], retryMs: r[3 + 3 * i] })),
      source: 'redis',
    };
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisTimeout(`redis did not answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
    });
    p.catch(() => undefined); // a late failure after the timeout is not an unhandled rejection
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }
}

/**
 * The quota that governs the response: when refused, the one that frees up last; when allowed,
 * the one closest to running out.
 */
export function bindingQuota(d: LimitDecision): QuotaState | undefined {
  if (!d.quotas.length) return undefined;
  if (!d.allowed) return d.quotas.reduce((a, b) => (b.retryMs > a.retryMs ? b : a));
  return d.quotas.reduce((a, b) => (b.remaining < a.remaining || (b.remaining === a.remaining && b.policy.limit < a.policy.limit) ? b : a));
}

/**
 * RateLimit header fields (draft-ietf-httpapi-ratelimit-headers, the RateLimit-Limit/-Remaining/
 * -Reset/-Policy form) for the binding quota, every checked policy in RateLimit-Policy (binding
 * first), and Retry-After when refused. Nothing when nothing was decided (failed open).
 */
export function rateLimitHeaders(d: LimitDecision): Record<string, string> {
  const b = bindingQuota(d);
  if (!b) return {};
  const policy = (q: QuotaState) => `${q.policy.limit};w=${Math.max(1, Math.ceil(q.policy.windowMs / 1000))};comment="${q.policy.name}"`;
  const headers: Record<string, string> = {
    'ratelimit-limit': String(b.policy.limit),
    'ratelimit-remaining': String(b.remaining),
    'ratelimit-reset': String(Math.ceil(b.resetMs / 1000)),
    'ratelimit-policy': [b, ...d.quotas.filter((q) => q !== b)].map(policy).join(', '),
  };
  if (!d.allowed) headers['retry-after'] = String(Math.max(1, Math.ceil(b.retryMs / 1000)));
  return headers;
}
