import { loadConfig } from '@tally/config';
import { identityEntities } from '@tally/identity';
import { freshEm } from '@tally/persistence';
import { ServiceRuntime } from '@tally/service-kit';
import { NotificationServiceConfig } from './config/notification.config';
import { DueDelivery, DeliveryPlanRepository } from './deliveries/delivery-plan.repository';
import { DeliveryQueue, QueuedChannel, isQueuedChannel } from './deliveries/delivery-queue';
import { DeliverySweeper, SweepQueue, SweepSource } from './delivery/delivery.sweeper';
import { EmailQueue } from './delivery/email-queue';
import { entities as ownEntities } from './entities';
import { migrations } from './migrations';
import { NotificationRepository } from './notifications/notification.repository';

export const SERVICE_NAME = 'notification-service';
export const entities = [...ownEntities, ...identityEntities];

export interface NotificationRuntime {
  runtime: ServiceRuntime<NotificationServiceConfig>;
  emailQueue: EmailQueue;
  /** Planned deliveries' jobs (email, push, sms). */
  deliveryQueue: DeliveryQueue;
  /** Started once the app listens; stopped on shutdown. */
  sweeper: DeliverySweeper;
  /** Enqueues planned deliveries whose job is missing (Redis was down at commit). */
  deliverySweeper: DeliverySweeper;
}

export async function createRuntime(env = process.env): Promise<NotificationRuntime> {
  const config = loadConfig(NotificationServiceConfig, env);
  const runtime = await ServiceRuntime.create({ name: SERVICE_NAME, config, entities, migrations });

  const emailQueue = new EmailQueue({
    redisUrl: config.REDIS_URL,
    prefix: config.QUEUE_PREFIX,
    attempts: config.EMAIL_JOB_ATTEMPTS,
    backoffMs: config.EMAIL_JOB_BACKOFF_MS,
    timeoutMs: config.EMAIL_ENQUEUE_TIMEOUT_MS,
    logger: runtime.logger.child({ component: 'email-queue' }),
  });
  // Redis down delays emails (the sweeper catches up); the API keeps serving.
  runtime.healthChecks.push({ name: 'redis', critical: false, check: () => emailQueue.ping() });

  const notifications = new NotificationRepository();
  const pending = {
    findPendingDeliveries: (createdBefore: Date, limit: number) => notifications.findPendingDeliveries(freshEm(runtime.orm), createdBefore, limit),
    expireOverdue: (now: Date) => notifications.expireOverdue(freshEm(runtime.orm), now),
  };
  const sweeper = new DeliverySweeper(pending, emailQueue, {
    intervalMs: config.EMAIL_SWEEP_INTERVAL_MS,
    graceMs: config.EMAIL_SWEEP_GRACE_MS,
    batchSize: config.EMAIL_SWEEP_BATCH,
    logger: runtime.logger.child({ component: 'delivery-sweeper' }),
  });
  const deliveryQueue = new DeliveryQueue({
    redisUrl: config.REDIS_URL,
    prefix: config.QUEUE_PREFIX,
    attempts: config.EMAIL_JOB_ATTEMPTS,
    backoffMs: config.EMAIL_JOB_BACKOFF_MS,
    timeoutMs: config.EMAIL_ENQUEUE_TIMEOUT_MS,
    logger: runtime.logger.child({ component: 'delivery-queue' }),
  });
  const deliverySweeper = new DeliverySweeper(...plannedDeliveriesForSweeper(runtime, deliveryQueue), {
    intervalMs: config.EMAIL_SWEEP_INTERVAL_MS,
    graceMs: config.EMAIL_SWEEP_GRACE_MS,
    batchSize: config.EMAIL_SWEEP_BATCH,
    logger: runtime.logger.child({ component: 'planned-delivery-sweeper' }),
  });
  runtime.onShutdown('email delivery', async () => {
    await sweeper.stop();
    await deliverySweeper.stop();
    // Stop the consumer before closing the queue, so no handler's after-commit enqueue hits a
    // closed queue (runtime.shutdown() stopping it again afterwards is a no-op).
    await runtime.transport.close();
    await emailQueue.close();
    await deliveryQueue.close();
  });
  return { runtime, emailQueue, sweeper, deliveryQueue, deliverySweeper };
}

/**
 * The sweeper's source and queue over planned deliveries (`notification_deliveries`): the due,
 * scheduled, non-digest ones, each enqueued on its channel's queue when its job is missing.
 */
function plannedDeliveriesForSweeper(runtime: ServiceRuntime<NotificationServiceConfig>, queue: DeliveryQueue): [SweepSource, SweepQueue] {
  const repo = new DeliveryPlanRepository();
  const due = new Map<string, DueDelivery>();
  const channelOf = (id: string): QueuedChannel => {
    const c = due.get(id)?.channel;
    if (!c || !isQueuedChannel(c)) throw new Error(`delivery ${id} has no queued channel`);
    return c;
  };
  const source: SweepSource = {
    findPendingDeliveries: async (dueBefore, limit) => {
      const rows = (await repo.findDue(freshEm(runtime.orm), dueBefore, limit)).filter((d) => isQueuedChannel(d.channel));
      due.clear();
      for (const d of rows) due.set(d.id, d);
      return rows.map((d) => ({ id: d.id }));
    },
    expireOverdue: async () => 0,
  };
  const sweepQueue: SweepQueue = {
    enqueue: ({ notificationId: id, correlationId }) => queue.enqueue({ deliveryId: id, channel: channelOf(id), deliverAfter: due.get(id)!.deliverAfter, ...(correlationId ? { correlationId } : {}) }),
    inspect: (id) => queue.inspect(channelOf(id), id),
    remove: (id) => queue.remove(channelOf(id), id),
  };
  return [source, sweepQueue];
}
