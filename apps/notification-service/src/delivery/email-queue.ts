import Redis from 'ioredis';
import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { JobName, JobQueues, SendEmailJob } from '@tally/contracts';

export interface EmailQueueOptions {
  redisUrl: string;
  /** BullMQ key prefix; the worker must use the same. */
  prefix: string;
  attempts: number;
  backoffMs: number;
  /** An enqueue slower than this fails (the sweeper enqueues later); keeps Kafka handlers short. */
  timeoutMs: number;
  logger: Logger;
}

/** Completed jobs stay a day (so a duplicate enqueue stays a no-op); failed ones a week, for operators. */
export const EMAIL_JOB_RETENTION = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
} as const;

export type EmailJobState = 'missing' | 'waiting' | 'active' | 'delayed' | 'prioritized' | 'waiting-children' | 'completed' | 'failed' | 'unknown';

/** The producer side of the `email-delivery` queue. The job id is the notification id: enqueueing twice is harmless. */
export class EmailQueue {
  private readonly connection: Redis;
  private readonly queue: Queue<SendEmailJob, unknown, string>;

  constructor(private readonly opts: EmailQueueOptions) {
    // Its own connection, failing fast when Redis is down (no offline queue): the caller gives up
    // and the sweeper retries, instead of a Kafka handler waiting for Redis to come back.
    this.connection = new Redis(opts.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
      retryStrategy: (times) => Math.min(times * 500, 5000),
    });
    this.connection.on('error', (err) => opts.logger.debug({ err: err.message }, 'email queue redis error'));
    // the queue of send-email jobs (contracts' JobQueues), which the notification-worker consumes
    this.queue = new Queue<SendEmailJob, unknown, string>(JobQueues[JobName.SendEmail], { connection: this.connection, prefix: opts.prefix });
    this.queue.on('error', (err) => opts.logger.warn({ err: err.message }, 'email queue error'));
  }

  async enqueue(job: SendEmailJob): Promise<void> {
    await this.withTimeout(
      this.queue.add(JobName.SendEmail, job, {
        jobId: job.notificationId,
        attempts: this.opts.attempts,
        backoff: { type: 'exponential', delay: this.opts.backoffMs },
        ...EMAIL_JOB_RETENTION,
      }),
      'enqueue',
    );
  }

  /** Where the job of a notification is, and when it finished (completed or failed). */
  async inspect(notificationId: string): Promise<{ state: EmailJobState; finishedOn?: number }> {
    const job = await this.withTimeout(this.queue.getJob(notificationId), 'getJob');
    if (!job) return { state: 'missing' };
    const state = await this.withTimeout(job.getState(), 'getState');
    return { state: state as EmailJobState, ...(job.finishedOn ? { finishedOn: job.finishedOn } : {}) };
  }

  /** Removes a finished job so the notification can be enqueued again under the same job id. */
  async remove(notificationId: string): Promise<void> {
    await this.withTimeout(this.queue.remove(notificationId), 'remove');
  }

  async ping(): Promise<void> {
    await this.withTimeout(this.connection.ping(), 'ping');
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.connection.disconnect();
  }

  private withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`email queue ${what} timed out after ${this.opts.timeoutMs} ms (is Redis up?)`)), this.opts.timeoutMs);
      p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
    });
  }
}
