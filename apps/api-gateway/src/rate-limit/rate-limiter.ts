import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { GCRA_SCRIPT, gcraState, gcraStep } from './gcra';
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
}

class RedisTimeout extends Error {}

/**
 * Checks the quotas of a request in Redis with one atomic GCRA script (EVALSHA; loaded on
 * NOSCRIPT). Never waits on Redis longer than `timeoutMs`; then it fails open or falls back to
 * the in-process limiter, as the caller asks.
 */
export class RateLimiter {
  readonly local: LocalRateLimiter;
  private readonly script: string;
  private readonly sha: string;
  private skipRedisUntil = 0;
  private lastFailureLog = 0;

  constructor(private readonly opts: RateLimiterOptions) {
    this.local = opts.local ?? new LocalRateLimiter();
    this.script = opts.script ?? GCRA_SCRIPT;
    this.sha = createHash('sha1').update(this.script).digest('hex');
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

  private async decide(checks: LimitCheck[], failMode: FailMode): Promise<LimitDecision> {
    const redis = this.opts.redis;
    if (!redis) return this.local.check(checks);
    try {
      if (Date.now() < this.skipRedisUntil) throw new Error('redis recently failed; not asking it for a moment');
      if (redis.status !== 'ready') throw new Error(`redis is ${redis.status}`);
      return await this.withTimeout(this.evalInRedis(redis, checks));
    } catch (err) {
      if (err instanceof RedisTimeout || redis.status !== 'ready') this.skipRedisUntil = Date.now() + (this.opts.breakerMs ?? 1000);
      this.opts.metrics?.backendFailures.inc({ mode: failMode });
      if (Date.now() - this.lastFailureLog > 10_000) {
        this.lastFailureLog = Date.now();
        this.opts.logger.warn({ err: (err as Error).message, failMode }, 'rate limiter: Redis unavailable; deciding without it (open for general traffic, in-process limits for auth routes)');
      }
      return failMode === 'memory' ? this.local.check(checks) : { allowed: true, quotas: [], source: 'none' };
    }
  }

  private async evalInRedis(redis: Redis, checks: LimitCheck[]): Promise<LimitDecision> {
    const keys = checks.map((c) => this.redisKey(c));
    const args = checks.flatMap((c) => [c.policy.limit, c.policy.windowMs]);
    let raw: unknown;
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
