/**
 * `node -r @swc-node/register tools/bench/event-lag.ts [--events 3000] [--rate 500] [--no-burst]`
 *
 * Event lag from the COMMIT of an outbox row to the COMMIT of its consumer effect, through the
 * real pipeline: OutboxWriter (MikroORM transaction) -> OutboxRelay (LISTEN/NOTIFY + polling, pg
 * Pool, idempotent Kafka producer) -> Kafka -> EventConsumer (inbox + effect in one MikroORM
 * transaction). By default the writers and the relay run in a child process (a publishing service)
 * and the consumer in this one (a consuming service), so each has a core as when deployed; both ends
 * are timed on the machine's clock (epoch ms at sub-ms resolution): "committed" is when the producing
 * transaction's COMMIT returned, "applied" is when the handler's transaction committed (its
 * after-commit hook). `--processes 1` runs everything in one process. A second, independent measure uses the
 * database clock: outbox.created_at -> effect row clock_timestamp(), and outbox.sent_at splits the
 * lag into relay (outbox -> Kafka ack) and consumer parts.
 *
 * Phases: a short warm-up (not counted), a steady run at --rate events/s, then a burst of
 * --events appended as fast as the writers can, then a backlog of 2 x --events published while the
 * consumer is stopped and drained once it starts (the consumer's own throughput). Fresh database, unique topic prefix and consumer
 * group; all removed at the end.
 *
 * Targets (issue 6), printed at the end beside the broker's own limits measured in the same run by
 * tools/bench/kafka-perf.sh (Kafka's ProducerPerformance/ConsumerPerformance): the steady run at
 * 1,000 events/s with commit -> effect p99 <= 100 ms, and a burst drained at >= 3,000 events/s.
 *
 * Options: --events N (3000)  --rate R events/s (500)  --writers N concurrent producing transactions (16)
 *          --subjects N aggregates (100)  --partitions N (3)  --poll ms relay poll interval (1000, the default)
 *          --batch N relay batch size (200, the default)  --consumer-batch N events per consumer transaction (200)
          --processes 1|2 (2: the writers and relay in a child process, as a publishing service; 1: all in this one)
          --no-burst  --no-broker (skip the broker's own figures)
 * Profile both processes: node --cpu-prof --cpu-prof-dir=tmp/prof -r @swc-node/register tools/bench/event-lag.ts ...
 * Env: KAFKA_BROKERS (127.0.0.1:9092), DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres, a server URL),
 *      LOG_LEVEL (silent)
 */
import { fork, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
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
  'consumer-batch': number;
  processes: number;
  burst: boolean;
  broker: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { events: 3000, rate: 500, writers: 16, subjects: 100, partitions: 3, poll: 1000, batch: 200, 'consumer-batch': 200, processes: 2, burst: true, broker: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-burst' || a === '--no-broker') {
      o[a === '--no-burst' ? 'burst' : 'broker'] = false;
      continue;
    }
    const key = a.replace(/^--/, '') as keyof Options;
    if (!a.startsWith('--') || !(key in o) || key === 'burst' || key === 'broker') throw new Error(`unknown argument ${a}`);
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

/** The broker's own throughput on this machine, from Kafka's perf tools (tools/bench/kafka-perf.sh --json). */
function brokerLimits(brokers: string[]): { produceMsgPerSec: number; consumeMsgPerSec: number } | undefined {
  const run = spawnSync('bash', [path.join(__dirname, 'kafka-perf.sh'), '--json'], { env: { ...process.env, KAFKA_BROKERS: brokers.join(',') }, encoding: 'utf8', timeout: 300_000 });
  const line = run.stdout?.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (run.status !== 0 || !line) {
    console.log(`broker figures unavailable: kafka-perf.sh exited ${run.status}: ${(run.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
    return undefined;
  }
  return JSON.parse(line) as { produceMsgPerSec: number; consumeMsgPerSec: number };
}

/** Epoch milliseconds with sub-millisecond resolution: comparable across the processes of one machine. */
const now = () => performance.timeOrigin + performance.now();

interface WriterConfig {
  dbUrl: string;
  brokers: string[];
  prefix: string;
  runId: string;
  opts: Options;
}

interface WriterSide {
  /** Appends `n` events, one per transaction, at `rate`/s (0: as fast as the writers go); their ids and commit times. */
  produce(n: number, rate: number): Promise<[string, number][]>;
  stop(): Promise<void>;
}

/** The publishing service: transactions appending to the outbox, and the relay publishing them to Kafka. */
async function startWriterSide(cfg: WriterConfig, logger: ReturnType<typeof createLogger>): Promise<WriterSide> {
  const { opts } = cfg;
  const pool = new Pool({ connectionString: cfg.dbUrl, max: 4 });
  pool.on('error', (err) => logger.warn({ err: err.message }, 'pg pool error'));
  const orm: MikroORM = await initOrm({ databaseUrl: cfg.dbUrl, entities: [BenchEffect], migrations: [], poolMax: opts.writers + 4 });
  const bus = new KafkaBus({ clientId: `bench-writer-${cfg.runId}`, brokers: cfg.brokers, topicPrefix: cfg.prefix, logger });
  const relay = new OutboxRelay({ pool, databaseUrl: cfg.dbUrl, producer: bus.producer(), logger, pollIntervalMs: opts.poll, batchSize: opts.batch });
  relay.start();

  const writer = new OutboxWriter('bench');
  const subjects = Array.from({ length: opts.subjects }, () => randomUUID());
  let seq = 0;
  const appendOne = async (): Promise<[string, number]> => {
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
    return [id, now()];
  };

  return {
    async produce(n, rate) {
      const out: [string, number][] = [];
      const inflight = new Set<Promise<void>>();
      const start = performance.now();
      for (let i = 0; i < n; i++) {
        if (rate > 0) {
          const wait = start + (i * 1000) / rate - performance.now();
          if (wait >= 1) await sleep(wait);
        }
        while (inflight.size >= opts.writers) await Promise.race(inflight);
        const tracked: Promise<void> = appendOne()
          .then((r) => void out.push(r))
          .finally(() => inflight.delete(tracked));
        inflight.add(tracked);
      }
      await Promise.all(inflight);
      return out;
    },
    async stop() {
      await relay.stop();
      await bus.close();
      await orm.close(true);
      await pool.end();
    },
  };
}

/** The writer side in a child process (`--processes 2`, the default): a publishing and a consuming service, as deployed. */
async function forkWriterSide(cfg: WriterConfig): Promise<WriterSide> {
  const child = fork(__filename, [], { env: { ...process.env, BENCH_WRITER: JSON.stringify(cfg) }, execArgv: ['-r', '@swc-node/register', ...process.execArgv.filter((a) => a.startsWith('--cpu-prof'))] });
  const replies: ((msg: { produced?: [string, number][]; ready?: boolean; error?: string }) => void)[] = [];
  child.on('message', (msg: { produced?: [string, number][]; ready?: boolean; error?: string }) => replies.shift()?.(msg));
  const next = () =>
    new Promise<{ produced?: [string, number][]; ready?: boolean; error?: string }>((resolve, reject) => {
      replies.push((m) => (m.error ? reject(new Error(`writer process: ${m.error}`)) : resolve(m)));
      child.once('exit', (code) => reject(new Error(`writer process exited ${code}`)));
    });
  await next();
  return {
    async produce(n, rate) {
      const reply = next();
      child.send({ cmd: 'produce', n, rate });
      return (await reply).produced!;
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ cmd: 'stop' });
      await exited;
    },
  };
}

async function writerProcess(cfg: WriterConfig): Promise<void> {
  const side = await startWriterSide(cfg, createLogger('bench-writer', process.env.LOG_LEVEL ?? 'silent'));
  process.on('message', (msg: { cmd: string; n: number; rate: number }) => {
    if (msg.cmd === 'produce') {
      side.produce(msg.n, msg.rate).then(
        (produced) => process.send!({ produced }),
        (err: Error) => process.send!({ error: err.message }),
      );
    } else if (msg.cmd === 'stop') {
      void side.stop().finally(() => process.exit(0));
    }
  });
  process.send!({ ready: true });
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

    const consumer = new EventConsumer({ groupId, orm, bus, producer: bus.producer(), logger, batchSize: opts['consumer-batch'] });
    consumer.on('user.email_verified', async (env, ctx) => {
      await ctx.em
        .getConnection()
        .execute('INSERT INTO bench_effects (event_id, subject) VALUES (?, ?)', [env.id, env.subject], 'run', ctx.em.getTransactionContext());
      ctx.afterCommit(async () => void applied.set(env.id, now()));
    });
    const writerConfig: WriterConfig = { dbUrl, brokers, prefix, runId, opts };
    const writers = opts.processes === 2 ? await forkWriterSide(writerConfig) : await startWriterSide(writerConfig, logger);
    cleanup.push(() => consumer.stop());
    cleanup.push(() => writers.stop());
    await consumer.start();

    const produce = async (n: number, rate: number): Promise<string[]> => {
      const produced = await writers.produce(n, rate);
      for (const [id, at] of produced) committed.set(id, at);
      return produced.map(([id]) => id);
    };

    const waitApplied = async (ids: string[], timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (ids.some((id) => !applied.has(id))) {
        if (Date.now() > deadline) throw new Error(`only ${ids.filter((id) => applied.has(id)).length} of ${ids.length} events applied within ${timeoutMs} ms`);
        await sleep(50);
      }
    };

    const results: { name: string; p99: number; throughput: number; produced: number }[] = [];
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
      results.push({ name, p99: pct(lags, 99), throughput: ids.length / ((lastApplied - firstCommit) / 1000), produced: ids.length / ((lastCommit - firstCommit) / 1000) });
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

    let drainRate: number | undefined;
    if (opts.burst) {
      await sleep(500);
      const burst = await produce(opts.events, 0);
      await waitApplied(burst, 180000);
      await report(`burst: ${opts.events} events as fast as ${opts.writers} writers commit them`, burst);

      // A backlog, as after a consumer outage: the consumer is stopped while the events are committed and
      // relayed to Kafka, then started; how fast it drains the backlog is the consumer's own throughput.
      await consumer.stop();
      const backlog = await produce(opts.events * 2, 0);
      for (const deadline = Date.now() + 120000; ; await sleep(100)) {
        const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL');
        if (Number(rows[0].n) === 0) break;
        if (Date.now() > deadline) throw new Error('the relay did not publish the backlog within 120 s');
      }
      const restarted = now();
      await consumer.start();
      await waitApplied(backlog, 180000);
      const drained = Math.max(...backlog.map((id) => applied.get(id)!));
      drainRate = backlog.length / ((drained - restarted) / 1000);
      console.log(`\n== backlog: ${backlog.length} events waiting in Kafka, consumer started`);
      console.log(`drained in ${f((drained - restarted) / 1000, 2)} s (including the group join): ${f(drainRate, 0)} events/s`);
    }

    const broker = opts.broker ? brokerLimits(brokers) : undefined;
    console.log('\n== targets (issue 6)');
    const [steadyResult, burstResult] = results;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(
      `steady ${opts.rate}/s asked (target 1000/s), produced at ${f(steadyResult.produced, 0)}/s: p99 ${f(steadyResult.p99)} ms (target <= 100 ms) -> ${verdict(steadyResult.produced >= 950 && steadyResult.p99 <= 100)}; applied at ${f(steadyResult.throughput, 0)} events/s`,
    );
    if (burstResult) console.log(`burst (writers and consumer together) applied at ${f(burstResult.throughput, 0)} events/s, produced at ${f(burstResult.produced, 0)} events/s`);
    if (drainRate !== undefined) console.log(`backlog drained at ${f(drainRate, 0)} events/s (target >= 3000/s) -> ${verdict(drainRate >= 3000)}`);
    if (broker) console.log(`broker's own limits, same run (kafka-perf.sh): produce ${f(broker.produceMsgPerSec, 0)} msg/s, consume ${f(broker.consumeMsgPerSec, 0)} msg/s`);
  } finally {
    for (const fn of cleanup.reverse()) await fn().catch((err) => console.error(`cleanup: ${(err as Error).message}`));
  }
}

if (process.env.BENCH_WRITER) {
  writerProcess(JSON.parse(process.env.BENCH_WRITER) as WriterConfig).catch((err) => {
    console.error(`writer process failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  });
} else main().then(
  () => process.exit(0),
  (err) => {
    console.error(`benchmark failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
