import { cachedCheck, runWorker } from '@tally/service-kit';
import { NotificationWorkerConfig } from './config/notification-worker.config';
import { DeliveryRepository } from './delivery/delivery.repository';
import { SmtpMailer } from './delivery/mailer';
import { SendEmailJobProcessor } from './delivery/send-email.job';
import { entities } from './entities';
import { migrations } from './migrations';

/**
 * The `notification-worker` deployable: delivers the `email-delivery` queue's jobs over SMTP. No
 * Kafka here; the API process records notifications and enqueues their jobs. Health and metrics
 * on PORT; the queues it consumes are its entry in libs/contracts/src/services.ts.
 */
runWorker({
  service: 'notification-worker',
  config: NotificationWorkerConfig,
  entities,
  migrations,
  jobs: ({ config, logger, metrics, orm, addHealthCheck, onShutdown }) => {
    const mailer = new SmtpMailer({
      host: config.SMTP_HOST,
      port: config.SMTP_PORT,
      secure: config.SMTP_SECURE,
      user: config.SMTP_USER,
      pass: config.SMTP_PASS,
      from: config.SMTP_FROM,
      timeoutMs: config.SMTP_TIMEOUT_MS,
      maxConnections: Math.min(config.WORKER_CONCURRENCY, 10),
    });
    // An SMTP outage delays emails (jobs retry); the worker itself is fine. One handshake per 30 s at most.
    addHealthCheck({ name: 'smtp', critical: false, check: cachedCheck(() => mailer.verify(), 30_000) });
    onShutdown('smtp', () => mailer.close());
    return [
      new SendEmailJobProcessor({
        store: new DeliveryRepository(orm),
        mailer,
        appPublicUrl: config.APP_PUBLIC_URL,
        logger: logger.child({ component: 'email-delivery' }),
        registry: metrics.registry,
      }),
    ];
  },
});
