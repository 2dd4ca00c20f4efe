import { IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import type { Logger } from 'pino';
import { JobName, ProcessPaymentWebhookJob } from '@tally/contracts';
import { JobProcessor, TypedJob } from '@tally/service-kit';
import type { PaymentWebhookProcessor, WebhookOutcome } from './payment-webhook.processor';

export class ProcessPaymentWebhookJobData implements ProcessPaymentWebhookJob {
  @IsUUID('all')
  webhookId!: string;

  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,100}$/)
  correlationId?: string;
}

/**
 * `process-payment-webhook` (queue `payment-webhooks`): applies one stored webhook. Its job id is the
 * webhook's id; attempts and exponential backoff are set by the producer (PAYMENT_WEBHOOK_ATTEMPTS,
 * PAYMENT_WEBHOOK_BACKOFF_MS). Each failed attempt is recorded on the row; after the last, the row
 * stays `failed` until an admin replays it.
 */
export class ProcessPaymentWebhookJobProcessor extends JobProcessor<JobName.ProcessPaymentWebhook, WebhookOutcome> {
  readonly name = JobName.ProcessPaymentWebhook;
  protected readonly dataClass = ProcessPaymentWebhookJobData;

  constructor(private readonly processor: Pick<PaymentWebhookProcessor, 'process'>, private readonly logger: Logger) {
    super();
  }

  process(job: TypedJob<JobName.ProcessPaymentWebhook>): Promise<WebhookOutcome> {
    return this.processor.process(job.data.webhookId);
  }

  override async onFailed(job: TypedJob<JobName.ProcessPaymentWebhook>, err: Error): Promise<void> {
    this.logger.error({ webhookId: job.data.webhookId, attempts: job.attemptsMade, err: err.message }, 'payment webhook failed for good; replay it once the cause is fixed');
  }
}
