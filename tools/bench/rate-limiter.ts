/**
 * `node -r @swc-node/register tools/bench/rate-limiter.ts [--checks 20000] [--rounds 2]`
 *
 * The gateway's rate limiter alone against real Redis (REDIS_URL, default redis://127.0.0.1:6379):
 * `--checks` checks of one busy quota (a user far under its limit) at 1, 8 and 32 concurrent callers,
 * with RATE_LIMIT_BATCH_MAX=1 (one Redis call per request) and 16 (blocks reserved from Redis, the
 * default), alternating, `--rounds` times. Prints checks per second and how many Redis calls they took.
 * Keys under `bench-rl-<time>:`, expiring with their quota (1 s).
 */
import Redis from 'ioredis';
import pino from 'pino';
import { RateLimiter } from '../../apps/api-gateway/src/rate-limit/rate-limiter';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function run(redis: Redis, batchMax: number, concurrency: number, checks: number): Promise<void> {
  const limiter = new RateLimiter({ redis, prefix: `bench-rl-${Date.now()}:`, timeoutMs: 1000, logger: pino({ level: 'silent' }), batchMax, leaseMs: 1000 });
  const check = [{ policy: { name: 'user', limit: 1_000_000, windowMs: 1000 }, key: 'user:bench' }];
  let started = 0;
  let allowed = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (started < checks) {
      started++;
      if ((await limiter.check(check, 'open')).allowed) allowed++;
    }
  }));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`batchMax=${String(batchMax).padStart(2)}  concurrency ${String(concurrency).padStart(2)}  ${String(Math.round((checks / ms) * 1000)).padStart(7)} checks/s  (${checks} in ${ms.toFixed(0)} ms, ${allowed} allowed, ${limiter.redisCalls} Redis calls)`);
}

async function main(): Promise<void> {
  const checks = arg('--checks', 20_000);
  const rounds = arg('--rounds', 2);
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  await new Promise((r) => redis.once('ready', r));
  try {
    for (let r = 1; r <= rounds; r++) {
      console.log(`== round ${r}`);
      for (const c of [1, 8, 32]) {
        await run(redis, 1, c, checks);
        await run(redis, 16, c, checks);
      }
    }
  } finally {
    redis.disconnect();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
