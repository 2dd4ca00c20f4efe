import type { Logger } from 'pino';
import { JobName } from '@tally/contracts';
import { currentContext } from '@tally/observability';
import { JOB_RETENTION, QueueProducer } from '@tally/service-kit';

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

export const WEBHOOK_JOB_RETENTION = JOB_RETENTION;

/** The job is running right now: it cannot be replaced (replay later). */
export class WebhookJobBusyError extends Error {
  constructor(id: string) {
    super(`the job of webhook ${id} is running`);
    this.name = 'WebhookJobBusyError';
  }
}

/**
 * The producer side of `payment-webhooks`: one `process-payment-webhook` job per stored webhook, its
 * job id the row's id, so storing or receiving an event twice enqueues it once. Fails fast when Redis
 * is down (QueueProducer): the webhook is answered 503 and the provider redelivers, instead of the
 * request waiting for Redis to come back.
 */
export class PaymentWebhookQueue {
  private readonly producer: QueueProducer;

  constructor(private readonly opts: PaymentWebhookQueueOptions) {
    this.producer = new QueueProducer({ redisUrl: opts.redisUrl, prefix: opts.prefix, timeoutMs: opts.timeoutMs, logger: opts.logger, label: 'webhook queue' });
  }

  async enqueue(webhookId: string): Promise<void> {
    const correlationId = currentContext()?.correlationId;
    await this.producer.add(JobName.ProcessPaymentWebhook, { webhookId, ...(correlationId ? { correlationId } : {}) }, webhookId, {
      attempts: this.opts.attempts,
      backoff: { type: 'exponential', delay: this.opts.backoffMs },
    });
  }

  /** Replaces the webhook's job (finished, failed or waiting for a retry) with a fresh one; refuses while it runs. */
  async requeue(webhookId: string): Promise<void> {
    const { state } = await this.producer.inspect(JobName.ProcessPaymentWebhook, webhookId);
    if (state === 'active') throw new WebhookJobBusyError(webhookId);
    if (state !== 'missing') {
      try {
        await this.producer.remove(JobName.ProcessPaymentWebhook, webhookId);
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
    return (await this.producer.inspect(JobName.ProcessPaymentWebhook, webhookId)).state;
  }

  ping(): Promise<void> {
    return this.producer.ping();
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
