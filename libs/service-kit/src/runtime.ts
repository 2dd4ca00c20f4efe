import { Pool } from 'pg';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import { MikroORM } from '@mikro-orm/postgresql';
import { MessagingConfig } from '@tally/config';
import { HealthCheck, Metrics, createLogger } from '@tally/observability';
import { MigrationEntry, initOrm, runMigrations } from '@tally/persistence';
import { EventConsumer, InboxTransport, KafkaBus, MessageProducer, MessagingRetention, OutboxRelay, OutboxWriter, ensureContractTopics } from '@tally/messaging';

export interface RuntimeOptions<C extends MessagingConfig> {
  name: string;
  config: C;
  entities: Function[];
  migrations: MigrationEntry[];
  /** Redis URL when the service uses Redis (queues, caches). */
  redisUrl?: string;
  /** Skip the outbox relay (a worker process that publishes nothing). */
  relay?: boolean;
}

type ShutdownStep = { name: string; run: () => Promise<unknown> };

/**
 * Everything a Tally service process holds besides its Nest modules: config, logger, metrics,
 * the ORM, Kafka (producer, relay, consumer group), Redis. Created before Nest, closed in a fixed
 * order on shutdown: stop taking work, finish in-flight work, flush the outbox, close connections.
 */
export class ServiceRuntime<C extends MessagingConfig = MessagingConfig> {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly outbox: OutboxWriter;
  readonly consumer: EventConsumer;
  /** The `@nestjs/microservices` transport that serves the modules' `@EventPattern` handlers from `consumer`. */
  readonly transport: InboxTransport;
  readonly healthChecks: HealthCheck[] = [];
  readonly redis?: Redis;
  private relay?: OutboxRelay;
  private retention?: MessagingRetention;
  private readonly shutdownSteps: ShutdownStep[] = [];
  private shuttingDown = false;

  private constructor(
    readonly name: string,
    readonly config: C,
    readonly orm: MikroORM,
    readonly pool: Pool,
    readonly bus: KafkaBus,
    readonly producer: MessageProducer,
    logger: Logger,
    redisUrl: string | undefined,
  ) {
    this.logger = logger;
    this.metrics = new Metrics(name);
    this.outbox = new OutboxWriter(name);
    this.consumer = new EventConsumer({
      // Runs isolated by a topic prefix get their own consumer groups too.
      groupId: `${config.KAFKA_TOPIC_PREFIX}${name}`,
      orm,
      bus,
      producer,
      logger: logger.child({ component: 'event-consumer' }),
      metrics: this.metrics,
      maxAttempts: config.CONSUMER_MAX_ATTEMPTS,
      batchSize: config.CONSUMER_BATCH_SIZE,
    });
    this.transport = new InboxTransport(this.consumer, {
      logger: logger.child({ component: 'inbox-transport' }),
      // The topics (and their DLQs) must exist before the group joins them.
      beforeStart: () => ensureContractTopics(bus),
    });
    this.healthChecks.push({ name: 'database', critical: true, check: async () => void (await pool.query('SELECT 1')) });
    // Kafka being down delays events (they wait in the outbox) but the service keeps serving.
    this.healthChecks.push({ name: 'kafka', critical: false, check: () => bus.ping() });
    // A consumer that is down (crashed, restarting) delays events; readiness says so without failing.
    this.healthChecks.push({
      name: 'consumer',
      critical: false,
      check: async () => {
        if (!this.transport.isHealthy()) throw new Error(`consumer ${this.consumer.state()}`);
      },
    });
    if (redisUrl) {
      this.redis = new Redis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
      this.redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
      const redis = this.redis;
      this.healthChecks.push({ name: 'redis', critical: false, check: async () => void (await redis.ping()) });
    }
  }

  static async create<C extends MessagingConfig>(opts: RuntimeOptions<C>): Promise<ServiceRuntime<C>> {
    const logger = createLogger(opts.name, opts.config.LOG_LEVEL);
    const orm = await initOrm({ databaseUrl: opts.config.DATABASE_URL, entities: opts.entities, migrations: opts.migrations, poolMax: opts.config.DATABASE_POOL_MAX });
    await runMigrations(orm, (m) => logger.info(m));
    const pool = new Pool({ connectionString: opts.config.DATABASE_URL, max: 4 });
    pool.on('error', (err) => logger.warn({ err: err.message }, 'pg pool error'));
    const bus = new KafkaBus({
      clientId: opts.name,
      brokers: opts.config.KAFKA_BROKERS.split(','),
      topicPrefix: opts.config.KAFKA_TOPIC_PREFIX,
      logger,
      consumer: {
        sessionTimeout: opts.config.KAFKA_SESSION_TIMEOUT_MS,
        heartbeatInterval: Math.max(1000, Math.floor(opts.config.KAFKA_SESSION_TIMEOUT_MS / 10)),
        rebalanceTimeout: Math.max(opts.config.KAFKA_SESSION_TIMEOUT_MS, 10000),
        partitionsConsumedConcurrently: opts.config.CONSUMER_PARTITIONS_CONCURRENTLY,
      },
    });
    const producer = bus.producer();
    const runtime = new ServiceRuntime(opts.name, opts.config, orm, pool, bus, producer, logger, opts.redisUrl);
    if (opts.relay !== false) {
      runtime.relay = new OutboxRelay({
        pool,
        databaseUrl: opts.config.DATABASE_URL,
        producer,
        logger: logger.child({ component: 'outbox-relay' }),
        metrics: runtime.metrics,
        pollIntervalMs: opts.config.OUTBOX_POLL_INTERVAL_MS,
      });
    }
    // Sent outbox rows and old inbox rows are pruned (one replica at a time), so neither table grows without bound.
    runtime.retention = new MessagingRetention({
      pool,
      logger: logger.child({ component: 'messaging-retention' }),
      metrics: runtime.metrics,
      outboxRetentionMs: opts.config.OUTBOX_RETENTION_HOURS * 3600_000,
      inboxRetentionMs: opts.config.INBOX_RETENTION_HOURS * 3600_000,
    });
    return runtime;
  }

  /** Starts the outbox relay and the retention of messaging tables (the consumer is started by Nest through `transport`). Kafka being down does not stop the service: it retries. */
  startMessaging(): void {
    this.relay?.start();
    this.retention?.start();
  }

  /** Registers work to do on shutdown: after HTTP and the consumer stop, before the outbox flush and connections close. */
  onShutdown(name: string, run: () => Promise<unknown>): void {
    this.shutdownSteps.push({ name, run });
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    const step = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, step: name }, 'shutdown step failed');
      }
    };
    // No new messages first; then the service's own steps (sweepers, queues) that handlers may use.
    await step('consumer', () => this.transport.close());
    for (const s of this.shutdownSteps) await step(s.name, s.run);
    await step('messaging retention', () => this.retention?.stop() ?? Promise.resolve());
    await step('outbox relay', () => this.relay?.stop(5000) ?? Promise.resolve());
    await step('kafka', () => this.bus.close());
    await step('redis', async () => this.redis?.quit());
    await step('pg pool', () => this.pool.end());
    await step('orm', () => this.orm.close(true));
    this.logger.info('shutdown complete');
  }
}
