import { Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ServiceRuntime } from '@tally/service-kit';
import type { PaymentProviderConfig } from '../config/payment-provider.config';
import { PaymentProviderModule } from '../providers/payment-provider.module';
import { PaymentWebhookAdminController, ProviderWebhookController } from './payment-webhook.controller';
import { PaymentWebhookQueue } from './payment-webhook-queue';
import { PaymentWebhookRepository } from './payment-webhook.repository';
import { PaymentWebhookService } from './payment-webhook.service';

@Injectable()
class WebhookQueueShutdown implements OnApplicationShutdown {
  constructor(private readonly queue: PaymentWebhookQueue) {}

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}

/** POST /webhooks/:provider (public, signed) and the admins' /api/v1/payment-webhooks. payment-worker applies what they store. */
@Module({
  imports: [PaymentProviderModule],
  controllers: [ProviderWebhookController, PaymentWebhookAdminController],
  providers: [
    PaymentWebhookRepository,
    PaymentWebhookService,
    WebhookQueueShutdown,
    {
      provide: PaymentWebhookQueue,
      inject: [ServiceRuntime],
      useFactory: (runtime: ServiceRuntime<PaymentProviderConfig>) => {
        const c = runtime.config;
        const queue = new PaymentWebhookQueue({
          redisUrl: c.REDIS_URL, prefix: c.QUEUE_PREFIX, attempts: c.PAYMENT_WEBHOOK_ATTEMPTS, backoffMs: c.PAYMENT_WEBHOOK_BACKOFF_MS,
          timeoutMs: c.PAYMENT_WEBHOOK_ENQUEUE_TIMEOUT_MS, logger: runtime.logger.child({ component: 'payment-webhook-queue' }),
        });
        // Redis down: webhooks are answered 503 and delivered again; the rest of the API keeps serving.
        runtime.healthChecks.push({ name: 'webhook-queue', critical: false, check: () => queue.ping() });
        return queue;
      },
    },
  ],
  exports: [PaymentWebhookService],
})
export class PaymentWebhookModule {}
