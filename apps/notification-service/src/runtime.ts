import { loadConfig } from '@tally/config';
import { identityEntities } from '@tally/identity';
import { freshEm } from '@tally/persistence';
import { ServiceRuntime } from '@tally/service-kit';
import { NotificationServiceConfig } from './config/notification.config';
import { DeliverySweeper } from './delivery/delivery.sweeper';
import { EmailQueue } from './delivery/email-queue';
import { entities as ownEntities } from './entities';
import { migrations } from './migrations';
import { NotificationRepository } from './notifications/notification.repository';

export const SERVICE_NAME = 'notification-service';
export const entities = [...ownEntities, ...identityEntities];

export interface NotificationRuntime {
  runtime: ServiceRuntime<NotificationServiceConfig>;
  emailQueue: EmailQueue;
  /** Started once the app listens; stopped on shutdown. */
  sweeper: DeliverySweeper;
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
  runtime.onShutdown('email delivery', async () => {
    await sweeper.stop();
    // Stop the consumer before closing the queue, so no handler's after-commit enqueue hits a
    // closed queue (runtime.shutdown() stopping it again afterwards is a no-op).
    await runtime.transport.close();
    await emailQueue.close();
  });
  return { runtime, emailQueue, sweeper };
}
