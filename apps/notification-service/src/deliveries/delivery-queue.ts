import type { Logger } from 'pino';
import { JobName } from '@tally/contracts';
import { JOB_RETENTION, JobState, QueueProducer } from '@tally/service-kit';

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

export const DELIVERY_JOB_RETENTION = JOB_RETENTION;
export type DeliveryJobState = JobState;

/** The job that sends a planned delivery of each channel. */
const JOB_OF = { email: JobName.DeliverEmail, push: JobName.SendPush, sms: JobName.SendSms } as const;
export type QueuedChannel = keyof typeof JOB_OF;

export function isQueuedChannel(c: string): c is QueuedChannel {
  return c === 'email' || c === 'push' || c === 'sms';
}

/**
 * The producer side of planned deliveries: one job per `notification_deliveries` row, the row id as
 * job id (enqueueing twice is harmless), delayed until the row's `deliver_after` (quiet hours).
 * Fails fast when Redis is down (QueueProducer): the sweeper enqueues later.
 */
export class DeliveryQueue {
  private readonly producer: QueueProducer;

  constructor(private readonly opts: DeliveryQueueOptions) {
    this.producer = new QueueProducer({ redisUrl: opts.redisUrl, prefix: opts.prefix, timeoutMs: opts.timeoutMs, logger: opts.logger, label: 'delivery queue' });
  }

  async enqueue(d: { deliveryId: string; channel: QueuedChannel; deliverAfter: Date; correlationId?: string }, now = new Date()): Promise<void> {
    await this.producer.add(JOB_OF[d.channel], { deliveryId: d.deliveryId, ...(d.correlationId ? { correlationId: d.correlationId } : {}) }, d.deliveryId, {
      delay: Math.max(0, d.deliverAfter.getTime() - now.getTime()),
      attempts: this.opts.attempts,
      backoff: { type: 'exponential', delay: this.opts.backoffMs },
    });
  }

  inspect(channel: QueuedChannel, deliveryId: string): Promise<{ state: DeliveryJobState; finishedOn?: number }> {
    return this.producer.inspect(JOB_OF[channel], deliveryId);
  }

  /** Removes a finished job so the delivery can be enqueued again under the same job id. */
  remove(channel: QueuedChannel, deliveryId: string): Promise<void> {
    return this.producer.remove(JOB_OF[channel], deliveryId);
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
