import { Queue } from 'bullmq';
import { JobName, Queues } from '@tally/contracts';
import { OutboxWriter } from '@tally/messaging';
import { MembershipProjectionRepository } from '@tally/projections';
import type { WorkerOptions } from '@tally/service-kit';
import { PaymentWorkerConfig } from './config/payment-worker.config';
import { entities } from './entities';
import { migrations } from './migrations';
import { PaymentMethodRepository } from './payment-methods/payment-method.repository';
import { PaymentTransitions } from './payments/payment-transitions';
import { PaymentRepository } from './payments/payment.repository';
import { SettlementLifecycle } from './settlements/settlement-lifecycle';
import { SettlementRepository } from './settlements/settlement.repository';
import { OverdueSettlementReminders, RemindOverdueSettlementsJobProcessor } from './settlements/remind-overdue-settlements.job';
import { PaymentWebhookProcessor } from './webhooks/payment-webhook.processor';
import { PaymentWebhookRepository } from './webhooks/payment-webhook.repository';
import { ProcessPaymentWebhookJobProcessor } from './webhooks/process-payment-webhook.job';

/**
 * The `payment-worker` deployable (worker.ts runs it; tests start it with `startWorker`): applies
 * stored provider webhooks (`payment-webhooks`, retried with backoff) and sweeps overdue settlements
 * on a schedule (`settlement-reminders`: a BullMQ job scheduler, one whatever the number of replicas).
 * Events it causes go through payment-service's outbox table; the API process relays them to Kafka.
 */
export const paymentWorkerOptions: WorkerOptions<PaymentWorkerConfig> = {
  service: 'payment-worker',
  config: PaymentWorkerConfig,
  entities,
  migrations,
  jobs: async ({ config, logger, orm, onShutdown }) => {
    const outbox = new OutboxWriter('payment-service');
    const settlements = new SettlementRepository();
    const payments = new PaymentRepository();
    const lifecycle = new SettlementLifecycle(outbox, settlements, new MembershipProjectionRepository());
    const transitions = new PaymentTransitions(outbox, payments, settlements, lifecycle, new PaymentMethodRepository());
    const webhooks = new PaymentWebhookProcessor(orm, new PaymentWebhookRepository(), payments, transitions, logger.child({ component: 'payment-webhooks' }));

    const reminders = new Queue(Queues.settlementReminders, { connection: { url: config.REDIS_URL }, prefix: config.QUEUE_PREFIX });
    await reminders.upsertJobScheduler('remind-overdue-settlements', { every: config.SETTLEMENT_REMINDER_EVERY_SECONDS * 1000 }, {
      name: JobName.RemindOverdueSettlements,
      data: {},
      opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 100, removeOnFail: 1000 },
    });
    onShutdown('scheduler queue', () => reminders.close());

    return [
      new ProcessPaymentWebhookJobProcessor(webhooks, logger.child({ component: 'payment-webhooks' })),
      new RemindOverdueSettlementsJobProcessor(new OverdueSettlementReminders(orm, settlements, outbox), logger.child({ component: 'settlement-reminders' })),
    ];
  },
};
