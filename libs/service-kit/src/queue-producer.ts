import Redis from 'ioredis';
import { JobsOptions, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { JobName, JobOf, JobQueues, QueueName } from '@tally/contracts';

export interface QueueProducerOptions {
  redisUrl: string;
  /** BullMQ key prefix; the workers must use the same. */
  prefix: string;
  /** A Redis call slower than this fails (the caller's fallback takes over: a sweeper, a 503). */
  timeoutMs: number;
  logger: Logger;
  /** Names it in logs and errors, e.g. `email queue`. */
  label: string;
}

/** Completed jobs stay a day (a duplicate enqueue stays a no-op); failed ones a week, for operators. */
export const JOB_RETENTION = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
} as const;

export type JobState = 'missing' | 'waiting' | 'active' | 'delayed' | 'prioritized' | 'waiting-children' | 'completed' | 'failed' | 'unknown';

/**
 * The producer side of BullMQ for request and Kafka-handler paths: its own Redis connection with no
 * offline queue, so when Redis is down a call fails within `timeoutMs` instead of waiting for it to
 * come back; the caller then falls back (a sweeper enqueues later, a webhook is answered 503 and
 * redelivered). Jobs are added with an explicit id, so adding one twice is harmless.
 */
export class QueueProducer {
  private readonly connection: Redis;
  private readonly queues = new Map<QueueName, Queue>();

  constructor(private readonly opts: QueueProducerOptions) {
    this.connection = new Redis(opts.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
      retryStrategy: (times) => Math.min(times * 500, 5000),
    });
    this.connection.on('error', (err) => opts.logger.debug({ err: err.message }, `${opts.label} redis error`));
  }

  /** The queue a job goes on (contracts' JobQueues), created on first use. */
  private queueOf(job: JobName): Queue {
    const name = JobQueues[job];
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.opts.prefix });
      q.on('error', (err) => this.opts.logger.warn({ err: err.message, queue: name }, `${this.opts.label} error`));
      this.queues.set(name, q);
    }
    return q;
  }

  /** Adds a job under `jobId` (kept per JOB_RETENTION unless `opts` say otherwise). */
  async add<N extends JobName>(job: N, data: JobOf<N>, jobId: string, opts: Omit<JobsOptions, 'jobId'> = {}): Promise<void> {
    await this.withTimeout(this.queueOf(job).add(job, data, { ...JOB_RETENTION, ...opts, jobId }), 'enqueue');
  }

  /** Where the job is, and when it finished (completed or failed). */
  async inspect(job: JobName, jobId: string): Promise<{ state: JobState; finishedOn?: number }> {
    const found = await this.withTimeout(this.queueOf(job).getJob(jobId), 'getJob');
    if (!found) return { state: 'missing' };
    const state = await this.withTimeout(found.getState(), 'getState');
    return { state: state as JobState, ...(found.finishedOn ? { finishedOn: found.finishedOn } : {}) };
  }

  /** Removes a job (so it can be added again under the same id). Throws (`… is locked …`) while a worker holds it. */
  async remove(job: JobName, jobId: string): Promise<void> {
    const q = this.queueOf(job);
    const removed = await this.withTimeout(q.remove(jobId), 'remove');
    if (!removed && (await this.withTimeout(q.getJob(jobId), 'getJob'))) throw new Error(`job ${jobId} is locked by a worker and was not removed`);
  }

  async ping(): Promise<void> {
    await this.withTimeout(this.connection.ping(), 'ping');
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.connection.disconnect();
  }

  withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.opts.label} ${what} timed out after ${this.opts.timeoutMs} ms (is Redis up?)`)), this.opts.timeoutMs);
      p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
    });
  }
}
