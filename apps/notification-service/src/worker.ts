import 'reflect-metadata';
import Fastify from 'fastify';
import Redis from 'ioredis';
import { Worker } from 'bullmq';
import { Counter, Histogram } from 'prom-client';
import { loadConfig } from '@tally/config';
import { Queues, SendEmailJob } from '@tally/contracts';
import { HealthCheck, Metrics, createLogger } from '@tally/observability';
import { initOrm, runMigrations } from '@tally/persistence';
import { installOperationalRoutes } from '@tally/service-kit';
import { NotificationWorkerConfig } from './config/notification-worker.config';
import { DeliveryRepository } from './delivery/delivery.repository';
import { EmailDeliveryProcessor, EmailJobResult } from './delivery/email-delivery.processor';
import { SmtpMailer } from './delivery/mailer';
import { entities } from './entities';
import { migrations } from './migrations';

export const WORKER_NAME = 'notification-worker';

/** Caches a slow check's outcome (an SMTP handshake per probe would be wasteful). */
function cached(check: () => Promise<void>, ttlMs: number): () => Promise<void> {
  let last: { at: number; error?: Error } | undefined;
  let inflight: Promise<void> | undefined;
  return async () => {
    if (!last || Date.now() - last.at > ttlMs) {
      inflight ??= check()
        .then(() => void (last = { at: Date.now() }))
        .catch((err: Error) => void (last = { at: Date.now(), error: err }))
        .finally(() => (inflight = undefined));
      await inflight;
    }
    if (last?.error) throw last.error;
  };
}

/**
 * The `notification-worker` deployable: delivers `email-delivery` jobs over SMTP. No Kafka here;
 * the API process records notifications and enqueues their jobs. Health and metrics on PORT.
 */
async function main() {
  const config = loadConfig(NotificationWorkerConfig);
  const logger = createLogger(WORKER_NAME, config.LOG_LEVEL);

  // Each running job holds a connection (its notification row stays locked while SMTP talks).
  const poolMax = Math.max(config.DATABASE_POOL_MAX, config.WORKER_CONCURRENCY + 2);
  const orm = await initOrm({ databaseUrl: config.DATABASE_URL, entities, migrations, poolMax });
  // The worker may start before the API: it applies migrations too (under the advisory lock).
  await runMigrations(orm, (m) => logger.info(m));

  const metrics = new Metrics(WORKER_NAME);
  const jobsTotal = new Counter({ name: 'email_jobs_total', help: 'Email job runs by outcome', labelNames: ['outcome'], registers: [metrics.registry] });
  const jobDuration = new Histogram({
    name: 'email_job_duration_seconds', help: 'Email job run time (render, SMTP, database)', labelNames: ['outcome'], registers: [metrics.registry],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  const deadLettered = new Counter({ name: 'email_dead_lettered_total', help: 'Notifications whose email attempts were exhausted', registers: [metrics.registry] });

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
  const store = new DeliveryRepository(orm);
  const processor = new EmailDeliveryProcessor({
    store,
    mailer,
    appPublicUrl: config.APP_PUBLIC_URL,
    logger: logger.child({ component: 'email-delivery' }),
    onOutcome: (outcome, seconds) => {
      jobsTotal.inc({ outcome });
      jobDuration.observe({ outcome }, seconds);
    },
  });

  // For readiness only; the Worker opens its own (blocking) connections.
  const redis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 3000 });
  redis.on('error', (err) => logger.debug({ err: err.message }, 'redis (health) error'));

  let shuttingDown = false;
  const healthChecks: HealthCheck[] = [
    { name: 'database', critical: true, check: () => store.ping() },
    { name: 'redis', critical: true, check: async () => void (await redis.ping()) },
    // An SMTP outage delays emails (jobs retry); the worker itself is fine.
    { name: 'smtp', critical: false, check: cached(() => mailer.verify(), 30_000) },
  ];
  const http = Fastify({ logger: false });
  installOperationalRoutes(http, { metrics, healthChecks, get isShuttingDown() { return shuttingDown; } });
  await http.listen({ port: config.PORT, host: '0.0.0.0' });

  const worker = new Worker<SendEmailJob, EmailJobResult, string>(Queues.emailDelivery, (job) => processor.process(job), {
    connection: { url: config.REDIS_URL },
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    autorun: false,
  });
  const followUps = new Set<Promise<unknown>>();
  worker.on('failed', (job, err) => {
    if (!job) return;
    const p = processor
      .onFailed(job, err)
      .then((recorded) => recorded && deadLettered.inc())
      .catch((e: Error) => logger.error({ err: e.message, jobId: job.id }, 'could not record the dead letter; the sweeper will requeue the notification'))
      .finally(() => followUps.delete(p));
    followUps.add(p);
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'email worker error'));
  void worker.run().catch((err: Error) => logger.error({ err: err.message }, 'email worker stopped'));
  logger.info({ port: config.PORT, queue: Queues.emailDelivery, concurrency: config.WORKER_CONCURRENCY }, `${WORKER_NAME} started`);

  const stop = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, `${WORKER_NAME} shutting down`);
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    const step = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        logger.warn({ err: (err as Error).message, step: name }, 'shutdown step failed');
      }
    };
    // Stop taking jobs and wait for the ones in flight, then for their failure bookkeeping.
    await step('worker', () => worker.close());
    await step('dead letters', () => Promise.allSettled([...followUps]));
    await step('http', () => http.close());
    await step('smtp', async () => mailer.close());
    await step('redis', async () => redis.disconnect());
    await step('orm', () => orm.close(true));
    logger.info('shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  console.error(JSON.stringify({ level: 'fatal', service: WORKER_NAME, msg: 'failed to start', err: String(err?.stack ?? err) }));
  process.exit(1);
});
