/**
 * `node -r @swc-node/register tools/bench/event-lag.ts [--events 3000] [--rate 500] [--no-burst]`
 *
 * Event lag from the COMMIT of an outbox row to the COMMIT of its consumer effect, through the
 * real pipeline: OutboxWriter (MikroORM transaction) -> OutboxRelay (LISTEN/NOTIFY + polling, pg
 * Pool, idempotent Kafka producer) -> Kafka -> EventConsumer (inbox + effect in one MikroORM
 * transaction). Everything runs in this one process, so both ends are timed on the same monotonic
 * clock: "committed" is when the producing transaction's COMMIT returned, "applied" is when the
 * handler's transaction committed (its after-commit hook). A second, independent measure uses the
 * database clock: outbox.created_at -> effect row clock_timestamp(), and outbox.sent_at splits the
 * lag into relay (outbox -> Kafka ack) and consumer parts.
 *
 * Phases: a short warm-up (not counted), a steady run at --rate events/s, then a burst of
 * --events appended as fast as the writers can. Fresh database, unique topic prefix and consumer
 * group; all removed at the end.
 *
 * Options: --events N (3000)  --rate R events/s (500)  --writers N concurrent producing transactions (16)
 *          --subjects N aggregates (100)  --partitions N (3)  --poll ms relay poll interval (1000, the default)
 *          --batch N relay batch size (200, the default)  --no-burst
 * Env: KAFKA_BROKERS (127.0.0.1:9092), DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres, a server URL),
 *      LOG_LEVEL (silent)
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { Entity, MikroORM, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Topics } from '@tally/contracts';
import { createLogger } from '@tally/observability';
import { initOrm } from '@tally/persistence';
import { EventConsumer, KafkaBus, MESSAGING_SCHEMA_SQL, OutboxRelay, OutboxWriter } from '@tally/messaging';

@Entity({ tableName: 'bench_effects' })
class BenchEffect {
  @PrimaryKey({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'string' })
  subject!: string;

  @Property({ type: 'datetime' })
  appliedAt!: Date;
}

interface Options {
  events: number;
  rate: number;
  writers: number;
  subjects: number;
  partitions: number;
  poll: number;
  batch: number;
  burst: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { events: 3000, rate: 500, writers: 16, subjects: 100, partitions: 3, poll: 1000, batch: 200, burst: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-burst') {
      o.burst = false;
      continue;
    }
    const key = a.replace(/^--/, '') as keyof Options;
    if (!a.startsWith('--') || !(key in o) || key === 'burst') throw new Error(`unknown argument ${a}`);
    const v = Number(argv[++i]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
    (o as unknown as Record<string, number>)[key] = v;
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const logger = createLogger('bench-event-lag', process.env.LOG_LEVEL ?? 'silent');
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const dbName = `bench_lag_${runId}`;
  const prefix = `bench-${runId}.`;
  const groupId = `bench-${runId}`;
  const dbUrl = (() => {
    const u = new URL(serverUrl);
    u.pathname = `/${dbName}`;
    return u.toString();
  })();

  const cpus = os.cpus();
  console.log(`event-lag benchmark  run ${runId}`);
  console.log(`machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.platform()} ${os.release()}, node ${process.version}`);
  console.log(`kafka ${brokers.join(',')}  postgres ${serverUrl.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@')}  (broker, database and this process share the machine)`);
  console.log(
    `options: events=${opts.events} rate=${opts.rate}/s writers=${opts.writers} subjects=${opts.subjects} partitions=${opts.partitions} relayPoll=${opts.poll}ms relayBatch=${opts.batch}`,
  );

  const cleanup: (() => Promise<unknown>)[] = [];
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  cleanup.push(async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });

  try {
    const pool = new Pool({ connectionString: dbUrl, max: 4 });
    pool.on('error', (err) => logger.warn({ err: err.message }, 'pg pool error'));
    cleanup.push(() => pool.end());
    for (const sql of MESSAGING_SCHEMA_SQL) await pool.query(sql);
    await pool.query('CREATE TABLE bench_effects (event_id UUID PRIMARY KEY, subject TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())');

    const orm: MikroORM = await initOrm({ databaseUrl: dbUrl, entities: [BenchEffect], migrations: [], poolMax: opts.writers + 8 });
    cleanup.push(() => orm.close(true));

    const bus = new KafkaBus({ clientId: `bench-${runId}`, brokers, topicPrefix: prefix, logger });
    const kafka = new Kafka({ clientId: `bench-admin-${runId}`, brokers, logLevel: logLevel.NOTHING });
    cleanup.push(async () => {
      await bus.deleteTopicsWithPrefix().catch(() => undefined);
      await bus.close();
      const ka = kafka.admin();
      await ka.connect();
      await ka.deleteGroups([groupId]).catch(() => undefined);
      await ka.disconnect();
    });
    await bus.ensureTopics([{ name: Topics.authUser, partitions: opts.partitions }]);

    const committed = new Map<string, number>();
    const applied = new Map<string, number>();

    const consumer = new EventConsumer({ groupId, orm, bus, producer: bus.producer(), logger });
    consumer.on('user.email_verified', async (env, ctx) => {
      await ctx.em
        .getConnection()
        .execute('INSERT INTO bench_effects (event_id, subject) VALUES (?, ?)', [env.id, env.subject], 'run', ctx.em.getTransactionContext());
      ctx.afterCommit(async () => void applied.set(env.id, performance.now()));
    });
    const relay = new OutboxRelay({ pool, databaseUrl: dbUrl, producer: bus.producer(), logger, pollIntervalMs: opts.poll, batchSize: opts.batch });
    cleanup.push(() => consumer.stop());
    cleanup.push(() => relay.stop());
    await consumer.start();
    relay.start();

    const writer = new OutboxWriter('bench');
    const subjects = Array.from({ length: opts.subjects }, () => randomUUID());
    let seq = 0;
    const appendOne = async (): Promise<string> => {
      const subject = subjects[seq++ % subjects.length];
      let id = '';
      await orm.em.fork().transactional(async (em) => {
        id = (
          await writer.append(em, {
            type: 'user.email_verified',
            subject,
            data: { userId: subject, email: `u${seq}@bench.example`, verifiedAt: new Date().toISOString() },
          })
        ).id;
      });
      committed.set(id, performance.now());
      return id;
    };

    /** Appends `n` events, one per transaction, at `rate`/s (0: as fast as `writers` concurrent transactions go). */
    const produce = async (n: number, rate: number): Promise<string[]> => {
      const ids: string[] = [];
      const inflight = new Set<Promise<void>>();
      const start = performance.now();
      for (let i = 0; i < n; i++) {
        if (rate > 0) {
          const wait = start + (i * 1000) / rate - performance.now();
          if (wait >= 1) await sleep(wait);
        }
        while (inflight.size >= opts.writers) await Promise.race(inflight);
        const tracked: Promise<void> = appendOne()
          .then((id) => void ids.push(id))
          .finally(() => inflight.delete(tracked));
        inflight.add(tracked);
      }
      await Promise.all(inflight);
      return ids;
    };

    const waitApplied = async (ids: string[], timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (ids.some((id) => !applied.has(id))) {
        if (Date.now() > deadline) throw new Error(`only ${ids.filter((id) => applied.has(id)).length} of ${ids.length} events applied within ${timeoutMs} ms`);
        await sleep(50);
      }
    };

    const report = async (name: string, ids: string[]) => {
      const lags = ids.map((id) => applied.get(id)! - committed.get(id)!).sort((a, b) => a - b);
      const firstCommit = Math.min(...ids.map((id) => committed.get(id)!));
      const lastCommit = Math.max(...ids.map((id) => committed.get(id)!));
      const lastApplied = Math.max(...ids.map((id) => applied.get(id)!));
      const mean = lags.reduce((a, b) => a + b, 0) / lags.length;
      const { rows } = await pool.query<{ relay: number[]; consumer: number[]; total: number[]; relay_max: number; total_max: number }>(
        `SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM o.sent_at - o.created_at) * 1000) AS relay,
                percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM e.applied_at - o.sent_at) * 1000) AS consumer,
                percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM e.applied_at - o.created_at) * 1000) AS total,
                max(extract(epoch FROM o.sent_at - o.created_at) * 1000) AS relay_max,
                max(extract(epoch FROM e.applied_at - o.created_at) * 1000) AS total_max
           FROM outbox o JOIN bench_effects e ON e.event_id = o.id WHERE o.id = ANY($1::uuid[])`,
        [ids],
      );
      const db = rows[0];
      console.log(`\n== ${name}`);
      console.log(`count ${lags.length}   produced at ${f(ids.length / ((lastCommit - firstCommit) / 1000), 0)} events/s   throughput ${f(ids.length / ((lastApplied - firstCommit) / 1000), 0)} events/s (first commit -> last effect, ${f((lastApplied - firstCommit) / 1000, 2)} s)`);
      console.log(`lag commit -> effect commit (ms):  p50 ${f(pct(lags, 50))}   p95 ${f(pct(lags, 95))}   p99 ${f(pct(lags, 99))}   max ${f(lags[lags.length - 1])}   mean ${f(mean)}   min ${f(lags[0])}`);
      console.log(
        `database clock (ms, p50/p95/p99): outbox insert -> Kafka ack ${db.relay.map((v) => f(Number(v))).join('/')} (max ${f(Number(db.relay_max))}); ` +
          `Kafka ack -> effect ${db.consumer.map((v) => f(Number(v))).join('/')}; insert -> effect ${db.total.map((v) => f(Number(v))).join('/')} (max ${f(Number(db.total_max))})`,
      );
    };

    // warm-up: connections, metadata, the consumer's first fetches
    const warm = await produce(100, 200);
    await waitApplied(warm, 60000);

    const steady = await produce(opts.events, opts.rate);
    await waitApplied(steady, 120000);
    await report(`steady: ${opts.events} events at ${opts.rate}/s, one event per transaction, ${opts.writers} writers`, steady);

    if (opts.burst) {
      await sleep(500);
      const burst = await produce(opts.events, 0);
      await waitApplied(burst, 180000);
      await report(`burst: ${opts.events} events as fast as ${opts.writers} writers commit them`, burst);
    }
  } finally {
    for (const fn of cleanup.reverse()) await fn().catch((err) => console.error(`cleanup: ${(err as Error).message}`));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`benchmark failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
