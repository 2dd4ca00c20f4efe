import 'reflect-metadata';
import Fastify from 'fastify';
import Redis from 'ioredis';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { Counter, Histogram } from 'prom-client';
import type { Logger } from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';
import { DatabaseConfig, loadConfig } from '@tally/config';
import { JobName, JobOf, JobQueues, QueueName, WorkerServiceName, service } from '@tally/contracts';
import { HealthCheck, Metrics, createLogger, newTraceparent, runWithContext, sanitizeCorrelationId } from '@tally/observability';
import { MigrationEntry, initOrm, runMigrations } from '@tally/persistence';
import { installOperationalRoutes } from './bootstrap';
import { registerQueueMetrics } from './queue-metrics';

/** The parts of a BullMQ job a job class reads (a real `Job` fits; tests pass plain objects). */
export interface JobLike<D = unknown, N extends string = string> {
  id?: string;
  name: N;
  data: D;
  /** Attempts already made before this one. */
  attemptsMade: number;
  opts: { attempts?: number };
}

/** A job of name N whose data has been validated. */
export type TypedJob<N extends JobName> = JobLike<JobOf<N>, N>;

function describeValidation(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}),
    ...describeValidation(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}

/**
 * One class per BullMQ job (`<name>.job.ts`): its name (and so its queue, from contracts'
 * `JobQueues`), the class-validator class its data must satisfy, what it does, and what happens
 * when it has failed for good. The worker validates the data before `process` sees it: data that
 * does not fit fails the job at once, without retries (it could never succeed).
 */
export abstract class JobProcessor<N extends JobName = JobName, R = unknown> {
  abstract readonly name: N;
  /** Job data arrives as JSON from Redis: an input like any other. Unknown fields are refused. */
  protected abstract readonly dataClass: new () => JobOf<N>;

  get queue(): QueueName {
    return JobQueues[this.name];
  }

  /** The job's data, validated; `UnrecoverableError` when it does not fit. */
  parse(data: unknown): JobOf<N> {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new UnrecoverableError(`invalid ${this.name} job: data is not an object`);
    const dto = plainToInstance(this.dataClass, data);
    const errors = validateSync(dto as object, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
    if (errors.length) throw new UnrecoverableError(`invalid ${this.name} job: ${describeValidation(errors).join('; ')}`);
    return Object.fromEntries(Object.entries(dto as object).filter(([, v]) => v !== undefined)) as JobOf<N>;
  }

  /** Runs the job; throwing fails this attempt (BullMQ retries with backoff, unless `UnrecoverableError`). Idempotent by job id. */
  abstract process(job: TypedJob<N>): Promise<R>;

  /** Called once the job will not run again (attempts exhausted, or unrecoverable): the dead-letter record. */
  onFailed?(job: TypedJob<N>, err: Error): Promise<unknown>;
}

/** Whether a failed attempt was the job's last. */
export function isFinalFailure(job: Pick<JobLike, 'attemptsMade' | 'opts'>, err: Error | undefined): boolean {
  return job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError || err?.name === 'UnrecoverableError';
}

/**
 * Routes the jobs of each queue to their class by job name, validating data and running each in
 * the correlation id its data carries. The BullMQ workers of `runWorker` call it; tests can too.
 */
export class JobDispatcher {
  private readonly byQueue = new Map<QueueName, Map<string, JobProcessor<JobName>>>();

  constructor(jobs: readonly JobProcessor<JobName>[], private readonly logger?: Logger) {
    for (const job of jobs) {
      const names = this.byQueue.get(job.queue) ?? new Map<string, JobProcessor<JobName>>();
      if (names.has(job.name)) throw new Error(`two job classes for ${job.queue}/${job.name}`);
      names.set(job.name, job);
      this.byQueue.set(job.queue, names);
    }
  }

  get queues(): QueueName[] {
    return [...this.byQueue.keys()];
  }

  jobsOf(queue: QueueName): string[] {
    return [...(this.byQueue.get(queue)?.keys() ?? [])];
  }

  private processor(queue: QueueName, name: string): JobProcessor<JobName> | undefined {
    return this.byQueue.get(queue)?.get(name);
  }

  /** Runs one job of `queue`. An unknown job name or malformed data: `UnrecoverableError`, no retries. */
  async run(queue: QueueName, job: JobLike): Promise<unknown> {
    const p = this.processor(queue, job.name);
    if (!p) throw new UnrecoverableError(`unknown job name ${job.name} on queue ${queue}`);
    const data = p.parse(job.data);
    const typed: TypedJob<JobName> = { id: job.id, name: p.name, data, attemptsMade: job.attemptsMade, opts: job.opts };
    const ctx = { correlationId: sanitizeCorrelationId(data.correlationId), traceparent: newTraceparent() };
    return runWithContext(ctx, () => p.process(typed));
  }

  /**
   * BullMQ's `failed` event. Once the job will not run again, its class's `onFailed` records it.
   * Returns whether `onFailed` ran. A job that never had valid data has nothing to record.
   */
  async failed(queue: QueueName, job: JobLike, err: Error): Promise<boolean> {
    if (!isFinalFailure(job, err)) return false;
    const p = this.processor(queue, job.name);
    if (!p?.onFailed) {
      this.logger?.error({ queue, job: job.name, jobId: job.id, err: err?.message }, 'job failed for good');
      return false;
    }
    let data: JobOf<JobName>;
    try {
      data = p.parse(job.data);
    } catch {
      this.logger?.error({ queue, job: job.name, jobId: job.id, err: err?.message }, 'malformed job failed');
      return false;
    }
    const typed: TypedJob<JobName> = { id: job.id, name: p.name, data, attemptsMade: job.attemptsMade, opts: job.opts };
    await runWithContext({ correlationId: sanitizeCorrelationId(data.correlationId) }, () => p.onFailed!(typed, err));
    return true;
  }
}

/** Caches a slow check's outcome (e.g. an SMTP handshake per probe would be wasteful). */
export function cachedCheck(check: () => Promise<void>, ttlMs: number): () => Promise<void> {
  let last: { at: number; error?: Error } | undefined;
  let inflight: Promise<void> | undefined;
  return async () => {
    if (!last || Date.now() - last.at > ttlMs) {
      inflight ??= check()
        .then(() => void (last = { at: Date.now() }))
        .catch((err: Error) => void (last = { at: Date.now(), error: err }))
        .finally(() => (inflight = undefined));
      await inflight;
    }
    if (last?.error) throw last.error;
  };
}

/** What a worker process reads besides the database settings. */
export interface WorkerConfig extends DatabaseConfig {
  REDIS_URL: string;
  /** Prefix of every BullMQ key; must match the producers'. */
  QUEUE_PREFIX: string;
  /** Jobs run at once per queue. */
  WORKER_CONCURRENCY: number;
  /**
   * BullMQ's job lock (ms), renewed every half of it while a job runs; a job whose worker died is
   * taken up again once its lock lapses (checked as often). Unset: BullMQ's 30 s.
   */
  WORKER_LOCK_MS?: number;
}

/** What job classes are built with. */
export interface WorkerContext<C extends WorkerConfig> {
  readonly name: string;
  readonly config: C;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly orm: MikroORM;
  /** Adds a check to /health/ready (the database and Redis are checked already). */
  addHealthCheck(check: HealthCheck): void;
  /** Work for shutdown: after the queues stopped and failure handlers finished, before the database closes. */
  onShutdown(name: string, run: () => unknown): void;
}

export interface WorkerOptions<C extends WorkerConfig> {
  /** The worker's entry in the service list (its name, port and queues). */
  service: WorkerServiceName;
  config: new () => C;
  entities: Function[];
  migrations: MigrationEntry[];
  /** The job classes, one per job name; together they must cover the service's queues. */
  jobs(ctx: WorkerContext<C>): readonly JobProcessor<JobName>[] | Promise<readonly JobProcessor<JobName>[]>;
}

export interface RunningWorker<C extends WorkerConfig = WorkerConfig> {
  readonly config: C;
  readonly logger: Logger;
  /** Stops taking jobs, waits for the running ones and their failure handlers, closes everything. */
  stop(): Promise<void>;
}

/**
 * Starts a worker process: config, logger, metrics, migrations (under the advisory lock, so it
 * may start before its API), `/health/live`, `/health/ready` and `/metrics` on PORT, and one
 * BullMQ `Worker` per queue of its service-list entry, dispatching by job name to the job classes.
 */
export async function startWorker<C extends WorkerConfig>(opts: WorkerOptions<C>, env: Record<string, string | undefined> = process.env): Promise<RunningWorker<C>> {
  const entry = service(opts.service);
  const name = entry.name;
  const queues: readonly QueueName[] = entry.queues;
  const config = loadConfig(opts.config, env);
  const logger = createLogger(name, config.LOG_LEVEL);

  // Each running job may hold a connection (e.g. a row locked while SMTP talks): one per job, and two spare.
  const poolMax = Math.max(config.DATABASE_POOL_MAX, config.WORKER_CONCURRENCY * queues.length + 2);
  const orm = (await initOrm({ databaseUrl: config.DATABASE_URL, entities: opts.entities, migrations: opts.migrations, poolMax })) as MikroORM;
  const steps: { name: string; run: () => unknown }[] = [];
  try {
    await runMigrations(orm, (m) => logger.info(m));
  } catch (err) {
    await orm.close(true).catch(() => undefined);
    throw err;
  }

  const metrics = new Metrics(name);
  const jobRuns = new Counter({ name: 'worker_jobs_total', help: 'Job runs by queue, job name and result', labelNames: ['queue', 'job', 'result'], registers: [metrics.registry] });
  const jobSeconds = new Histogram({
    name: 'worker_job_duration_seconds', help: 'Job run time', labelNames: ['queue', 'job'], registers: [metrics.registry],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });

  // For readiness only; the Workers open their own (blocking) connections.
  const redis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 3000 });
  redis.on('error', (err) => logger.debug({ err: err.message }, 'redis (health) error'));
  const healthChecks: HealthCheck[] = [
    { name: 'database', critical: true, check: async () => void (await orm.em.getConnection().execute('SELECT 1')) },
    { name: 'redis', critical: true, check: async () => void (await redis.ping()) },
  ];

  let shuttingDown = false;
  const ctx: WorkerContext<C> = {
    name, config, logger, metrics, orm,
    addHealthCheck: (check) => void healthChecks.push(check),
    onShutdown: (stepName, run) => void steps.push({ name: stepName, run }),
  };
  const dispatcher = new JobDispatcher(await opts.jobs(ctx), logger);
  for (const q of dispatcher.queues) if (!queues.includes(q)) throw new Error(`${name} has job classes for queue ${q}, which is not in its service-list entry`);
  for (const q of queues) if (!dispatcher.jobsOf(q).length) throw new Error(`${name} consumes queue ${q} but has no job class for it`);

  // queue_jobs{queue, state} on /metrics, read from Redis at scrape time; their own connections (the Workers' block).
  const countedQueues = queues.map((queue) => {
    const q = new Queue(queue, { connection: { url: config.REDIS_URL, maxRetriesPerRequest: 1, connectTimeout: 3000 }, prefix: config.QUEUE_PREFIX });
    q.on('error', (err) => logger.debug({ err: err.message, queue }, 'queue metrics redis error'));
    return q;
  });
  registerQueueMetrics(metrics.registry, countedQueues, { logger });

  const http = Fastify({ logger: false });
  installOperationalRoutes(http, { metrics, healthChecks, get isShuttingDown() { return shuttingDown; } });
  await http.listen({ port: config.PORT, host: '0.0.0.0' });

  // Failure handlers (dead-letter records) run after BullMQ's `failed` event; shutdown waits for them.
  const followUps = new Set<Promise<unknown>>();
  const workers = queues.map((queue) => {
    const worker = new Worker(queue, async (job) => {
      const end = jobSeconds.startTimer({ queue, job: job.name });
      try {
        const result = await dispatcher.run(queue, job);
        jobRuns.inc({ queue, job: job.name, result: 'completed' });
        return result;
      } catch (err) {
        jobRuns.inc({ queue, job: job.name, result: 'failed' });
        throw err;
      } finally {
        end();
      }
    }, {
      connection: { url: config.REDIS_URL },
      prefix: config.QUEUE_PREFIX,
      concurrency: config.WORKER_CONCURRENCY,
      ...(config.WORKER_LOCK_MS ? { lockDuration: config.WORKER_LOCK_MS, stalledInterval: config.WORKER_LOCK_MS } : {}),
      autorun: false,
    });
    worker.on('failed', (job, err) => {
      if (!job) return;
      const p = dispatcher
        .failed(queue, job, err)
        .catch((e: Error) => logger.error({ err: e.message, queue, job: job.name, jobId: job.id }, 'the job failure handler failed'))
        .finally(() => followUps.delete(p));
      followUps.add(p);
    });
    worker.on('error', (err) => logger.warn({ err: err.message, queue }, 'worker error'));
    void worker.run().catch((err: Error) => logger.error({ err: err.message, queue }, 'worker stopped'));
    return worker;
  });
  logger.info({ port: config.PORT, queues, concurrency: config.WORKER_CONCURRENCY }, `${name} started`);

  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= (async () => {
    shuttingDown = true;
    const step = async (stepName: string, fn: () => unknown) => {
      try {
        await fn();
      } catch (err) {
        logger.warn({ err: (err as Error).message, step: stepName }, 'shutdown step failed');
      }
    };
    // Stop taking jobs and wait for the ones in flight, then for their failure bookkeeping.
    await step('workers', () => Promise.all(workers.map((w) => w.close())));
    await step('failure handlers', () => Promise.allSettled([...followUps]));
    await step('http', () => http.close());
    await step('queue metrics', () => Promise.all(countedQueues.map((q) => q.close())));
    for (const s of steps) await step(s.name, s.run);
    await step('redis', () => redis.disconnect());
    await step('orm', () => orm.close(true));
    logger.info('shutdown complete');
  })());
  return { config, logger, stop };
}

/**
 * A worker's entry file (`worker.ts`), like `runHttpService` for an API: starts the worker and
 * stops it gracefully on SIGTERM/SIGINT, exiting 1 if that takes longer than SHUTDOWN_TIMEOUT_MS.
 */
export function runWorker<C extends WorkerConfig>(opts: WorkerOptions<C>): void {
  (async () => {
    const worker = await startWorker(opts);
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) return;
      signalled = true;
      worker.logger.info({ signal }, `${opts.service} shutting down`);
      setTimeout(() => {
        worker.logger.error('shutdown timed out; exiting');
        process.exit(1);
      }, worker.config.SHUTDOWN_TIMEOUT_MS).unref();
      void worker.stop().then(() => process.exit(0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  })().catch((err) => {
    const e = err as Error;
    console.error(JSON.stringify({ level: 'fatal', service: opts.service, time: new Date().toISOString(), msg: 'failed to start', err: String(e?.stack ?? e) }));
    process.exit(1);
  });
}
