import Redis from 'ioredis';
import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { JobName, JobQueues } from '@tally/contracts';

export interface DeliveryQueueOptions {
  redisUrl: string;
  /** BullMQ key prefix; the worker must use the same. */
  prefix: string;
  attempts: number;
  backoffMs: number;
  /** An enqueue slower than this fails (the sweeper enqueues later); keeps Kafka handlers short. */
  timeoutMs: number;
  logger: Logger;
}

/** Completed jobs stay a day (a duplicate enqueue stays a no-op); failed ones a week, for operators. */
export const DELIVERY_JOB_RETENTION = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
} as const;

export type DeliveryJobState = 'missing' | 'waiting' | 'active' | 'delayed' | 'prioritized' | 'waiting-children' | 'completed' | 'failed' | 'unknown';

/** The job that sends a planned delivery of each channel. */
const JOB_OF = { email: JobName.DeliverEmail, push: JobName.SendPush, sms: JobName.SendSms } as const;
export type QueuedChannel = keyof typeof JOB_OF;

export function isQueuedChannel(c: string): c is QueuedChannel {
  return c === 'email' || c === 'push' || c === 'sms';
}

/**
 * The producer side of planned deliveries: one job per `notification_deliveries` row, the row id as
 * job id (enqueueing twice is harmless), delayed until the row's `deliver_after` (quiet hours).
 * Fails fast when Redis is down (no offline queue): the sweeper enqueues later.
 */
export class DeliveryQueue {
  private readonly connection: Redis;
  private readonly queues: Record<QueuedChannel, Queue>;

  constructor(private readonly opts: DeliveryQueueOptions) {
    this.connection = new Redis(opts.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
      retryStrategy: (times) => Math.min(times * 500, 5000),
    });
    this.connection.on('error', (err) => opts.logger.debug({ err: err.message }, 'delivery queue redis error'));
    const make = (channel: QueuedChannel) => {
      const q = new Queue(JobQueues[JOB_OF[channel]], { connection: this.connection, prefix: opts.prefix });
      q.on('error', (err) => opts.logger.warn({ err: err.message, channel }, 'delivery queue error'));
      return q;
    };
    this.queues = { email: make('email'), push: make('push'), sms: make('sms') };
  }

  async enqueue(d: { deliveryId: string; channel: QueuedChannel; deliverAfter: Date; correlationId?: string }, now = new Date()): Promise<void> {
    const delay = Math.max(0, d.deliverAfter.getTime() - now.getTime());
    await this.withTimeout(
      this.queues[d.channel].add(JOB_OF[d.channel], { deliveryId: d.deliveryId, ...(d.correlationId ? { correlationId: d.correlationId } : {}) }, {
        jobId: d.deliveryId,
        delay,
        attempts: this.opts.attempts,
        backoff: { type: 'exponential', delay: this.opts.backoffMs },
        ...DELIVERY_JOB_RETENTION,
      }),
      'enqueue',
    );
  }

  async inspect(channel: QueuedChannel, deliveryId: string): Promise<{ state: DeliveryJobState; finishedOn?: number }> {
    const job = await this.withTimeout(this.queues[channel].getJob(deliveryId), 'getJob');
    if (!job) return { state: 'missing' };
    const state = await this.withTimeout(job.getState(), 'getState');
    return { state: state as DeliveryJobState, ...(job.finishedOn ? { finishedOn: job.finishedOn } : {}) };
  }

  /** Removes a finished job so the delivery can be enqueued again under the same job id. */
  async remove(channel: QueuedChannel, deliveryId: string): Promise<void> {
    await this.withTimeout(this.queues[channel].remove(deliveryId), 'remove');
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.close().catch(() => undefined)));
    this.connection.disconnect();
  }

  private withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`delivery queue ${what} timed out after ${this.opts.timeoutMs} ms (is Redis up?)`)), this.opts.timeoutMs);
      p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
    });
  }
}
