import type { Logger } from 'pino';
import { JobName, SendEmailJob } from '@tally/contracts';
import { JOB_RETENTION, JobState, QueueProducer } from '@tally/service-kit';

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

export const EMAIL_JOB_RETENTION = JOB_RETENTION;
export type EmailJobState = JobState;

/**
 * The producer side of the `email-delivery` queue for account emails. The job id is the notification
 * id: enqueueing twice is harmless. Fails fast when Redis is down (QueueProducer): the sweeper enqueues later.
 */
export class EmailQueue {
  private readonly producer: QueueProducer;

  constructor(private readonly opts: EmailQueueOptions) {
    this.producer = new QueueProducer({ redisUrl: opts.redisUrl, prefix: opts.prefix, timeoutMs: opts.timeoutMs, logger: opts.logger, label: 'email queue' });
  }

  async enqueue(job: SendEmailJob): Promise<void> {
    await this.producer.add(JobName.SendEmail, job, job.notificationId, {
      attempts: this.opts.attempts,
      backoff: { type: 'exponential', delay: this.opts.backoffMs },
    });
  }

  /** Where the job of a notification is, and when it finished (completed or failed). */
  inspect(notificationId: string): Promise<{ state: EmailJobState; finishedOn?: number }> {
    return this.producer.inspect(JobName.SendEmail, notificationId);
  }

  /** Removes a finished job so the notification can be enqueued again under the same job id. */
  remove(notificationId: string): Promise<void> {
    return this.producer.remove(JobName.SendEmail, notificationId);
  }

  ping(): Promise<void> {
    return this.producer.ping();
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
