import Redis from 'ioredis';
import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { JobName, JobQueues, ProcessPaymentWebhookJob } from '@tally/contracts';
import { currentContext } from '@tally/observability';

export interface PaymentWebhookQueueOptions {
  redisUrl: string;
  /** BullMQ key prefix; payment-worker must use the same. */
  prefix: string;
  attempts: number;
  backoffMs: number;
  /** An enqueue slower than this fails: the webhook is answered 503 and the provider delivers it again. */
  timeoutMs: number;
  logger: Logger;
}

/** Completed jobs stay a day (a duplicate enqueue stays a no-op); failed ones a week, for operators. */
export const WEBHOOK_JOB_RETENTION = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
} as const;

/** The job is running right now: it cannot be replaced (replay later). */
export class WebhookJobBusyError extends Error {
  constructor(id: string) {
    super(`the job of webhook ${id} is running`);
    this.name = 'WebhookJobBusyError';
  }
}

/**
 * The producer side of `payment-webhooks`: one `process-payment-webhook` job per stored webhook, its
 * job id the row's id, so storing or receiving an event twice enqueues it once.
 */
export class PaymentWebhookQueue {
  private readonly connection: Redis;
  private readonly queue: Queue<ProcessPaymentWebhookJob, unknown, string>;

  constructor(private readonly opts: PaymentWebhookQueueOptions) {
    // Its own connection, failing fast when Redis is down (no offline queue): the webhook is answered
    // 503 and the provider redelivers, instead of the request waiting for Redis to come back.
    this.connection = new Redis(opts.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
      retryStrategy: (times) => Math.min(times * 500, 5000),
    });
    this.connection.on('error', (err) => opts.logger.debug({ err: err.message }, 'webhook queue redis error'));
    this.queue = new Queue<ProcessPaymentWebhookJob, unknown, string>(JobQueues[JobName.ProcessPaymentWebhook], { connection: this.connection, prefix: opts.prefix });
    this.queue.on('error', (err) => opts.logger.warn({ err: err.message }, 'webhook queue error'));
  }

  async enqueue(webhookId: string): Promise<void> {
    const correlationId = currentContext()?.correlationId;
    await this.withTimeout(
      this.queue.add(JobName.ProcessPaymentWebhook, { webhookId, ...(correlationId ? { correlationId } : {}) }, {
        jobId: webhookId,
        attempts: this.opts.attempts,
        backoff: { type: 'exponential', delay: this.opts.backoffMs },
        ...WEBHOOK_JOB_RETENTION,
      }),
      'enqueue',
    );
  }

  /** Replaces the webhook's job (finished, failed or waiting for a retry) with a fresh one; refuses while it runs. */
  async requeue(webhookId: string): Promise<void> {
    const job = await this.withTimeout(this.queue.getJob(webhookId), 'getJob');
    if (job) {
      const state = await this.withTimeout(job.getState(), 'getState');
      if (state === 'active') throw new WebhookJobBusyError(webhookId);
      try {
        await this.withTimeout(job.remove(), 'remove');
      } catch (err) {
        // Taken by a worker between the two calls: it holds the lock.
        if (/locked/i.test((err as Error).message)) throw new WebhookJobBusyError(webhookId);
        throw err;
      }
    }
    await this.enqueue(webhookId);
  }

  /** Where the webhook's job is (for operators and tests). */
  async state(webhookId: string): Promise<string> {
    const job = await this.withTimeout(this.queue.getJob(webhookId), 'getJob');
    return job ? this.withTimeout(job.getState(), 'getState') : 'missing';
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
      const t = setTimeout(() => reject(new Error(`webhook queue ${what} timed out after ${this.opts.timeoutMs} ms (is Redis up?)`)), this.opts.timeoutMs);
      p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
    });
  }
}
