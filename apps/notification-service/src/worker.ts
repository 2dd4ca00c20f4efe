import { Queue } from 'bullmq';
import { JobName, Queues } from '@tally/contracts';
import { parsePushEndpointHosts } from '@tally/security';
import { cachedCheck, runWorker } from '@tally/service-kit';
import { NotificationWorkerConfig } from './config/notification-worker.config';
import { DeliveryRepository } from './delivery/delivery.repository';
import { SmtpMailer } from './delivery/mailer';
import { SendEmailJobProcessor } from './delivery/send-email.job';
import { DeliverEmailJobProcessor } from './deliveries/deliver-email.job';
import { SendDigestsJobProcessor } from './deliveries/send-digests.job';
import { entities } from './entities';
import { migrations } from './migrations';
import { TemplateRepository } from './templates/template.repository';
import { TemplateService } from './templates/template.service';
import { NotConfiguredPushSender, RoutingPushSender } from './push/native-push.sender';
import { OrmPushDevices } from './push/push-device.repository';
import { SendPushJobProcessor } from './push/send-push.job';
import { WebPushSender, resolveVapidKeys } from './push/web-push.sender';
import { DeliveryStore as PlannedDeliveryStore } from './deliveries/delivery-store';
import { deliveryLatencyHooks } from './operations/delivery-latency';
import { SendSmsJobProcessor } from './sms/send-sms.job';
import { smsSenderFrom } from './sms/sms-config';
import { OrmSmsContent } from './sms/sms-content';

/**
 * The `notification-worker` deployable: delivers the `email-delivery` queue's jobs over SMTP and
 * the `push-delivery` queue's over Web Push (VAPID) and the `sms-delivery` queue's over Twilio. No
 * Kafka here; the API process records notifications and enqueues their jobs. Health and metrics
 * on PORT; the queues it consumes are its entry in libs/contracts/src/services.ts.
 */
runWorker({
  service: 'notification-worker',
  config: NotificationWorkerConfig,
  entities,
  migrations,
  jobs: async ({ config, logger, metrics, orm, addHealthCheck, onShutdown }) => {
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
    // Web push with the VAPID keys (required in production); ios/android adapters are not configured yet.
    const production = config.NODE_ENV === 'production';
    const webPush = new WebPushSender({
      vapid: resolveVapidKeys(config, production, logger),
      ttlSeconds: config.PUSH_TTL_SECONDS,
      timeoutMs: config.PUSH_TIMEOUT_MS,
      allowHttpEndpoints: !production,
      endpoints: parsePushEndpointHosts(config.PUSH_ENDPOINT_HOSTS),
    });
    const pushSender = new RoutingPushSender({ web: webPush, ios: new NotConfiguredPushSender('ios'), android: new NotConfiguredPushSender('android') });
    // Digests: a job scheduler (one per queue, whatever the number of replicas) runs send-digests.
    const schedulerQueue = new Queue(Queues.emailDelivery, { connection: { url: config.REDIS_URL }, prefix: config.QUEUE_PREFIX });
    await schedulerQueue.upsertJobScheduler('send-digests', { every: config.DIGEST_EVERY_SECONDS * 1000 }, {
      name: JobName.SendDigests,
      data: {},
      opts: { attempts: 1, removeOnComplete: 100, removeOnFail: 1000 },
    });
    onShutdown('scheduler queue', () => schedulerQueue.close());
    // notification_delivery_latency_seconds{channel} on /metrics, observed as each delivery is marked sent.
    const plannedDeliveries = new PlannedDeliveryStore(orm, deliveryLatencyHooks(metrics.registry));
    // SMS over Twilio when configured; without credentials every SMS delivery is skipped (not_configured).
    const smsSender = smsSenderFrom(config, production, logger);
    return [
      new DeliverEmailJobProcessor({
        orm,
        store: plannedDeliveries,
        templates: new TemplateService(new TemplateRepository()),
        mailer,
        appPublicUrl: config.APP_PUBLIC_URL,
        ...(config.EMAIL_TRACKING_SECRET && config.EMAIL_TRACKING_BASE_URL ? { tracking: { secret: config.EMAIL_TRACKING_SECRET, baseUrl: config.EMAIL_TRACKING_BASE_URL } } : {}),
        logger: logger.child({ component: 'notification-email' }),
        registry: metrics.registry,
      }),
      new SendDigestsJobProcessor({
        orm, mailer, appPublicUrl: config.APP_PUBLIC_URL, logger: logger.child({ component: 'digests' }), registry: metrics.registry,
      }),
      new SendPushJobProcessor({
        store: plannedDeliveries,
        devices: new OrmPushDevices(orm),
        sender: pushSender,
        logger: logger.child({ component: 'push-delivery' }),
        registry: metrics.registry,
      }),
      new SendSmsJobProcessor({
        store: plannedDeliveries,
        content: new OrmSmsContent(orm, new TemplateService(new TemplateRepository()), config.APP_PUBLIC_URL),
        sender: smsSender,
        logger: logger.child({ component: 'sms-delivery' }),
        registry: metrics.registry,
      }),
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
