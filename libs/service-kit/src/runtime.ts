import { Pool } from 'pg';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import { MikroORM } from '@mikro-orm/postgresql';
import { MessagingConfig } from '@tally/config';
import { HealthCheck, Metrics, createLogger } from '@tally/observability';
import { MigrationEntry, initOrm, runMigrations } from '@tally/persistence';
import { EventConsumer, KafkaBus, MessageProducer, OutboxRelay, OutboxWriter, ensureContractTopics } from '@tally/messaging';

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
  readonly healthChecks: HealthCheck[] = [];
  readonly redis?: Redis;
  private relay?: OutboxRelay;
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
    });
    this.healthChecks.push({ name: 'database', critical: true, check: async () => void (await pool.query('SELECT 1')) });
    // Kafka being down delays events (they wait in the outbox) but the service keeps serving.
    this.healthChecks.push({ name: 'kafka', critical: false, check: () => bus.ping() });
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
    return runtime;
  }

  /** Starts the relay and the consumer group. Kafka being down does not stop the service: both retry. */
  async startMessaging(): Promise<void> {
    this.relay?.start();
    void this.startConsumerWithRetry();
  }

  /** In the background: make sure the topics exist, then join the consumer group; retried until it works. */
  private async startConsumerWithRetry(): Promise<void> {
    for (let attempt = 1; !this.shuttingDown; attempt++) {
      try {
        await ensureContractTopics(this.bus);
        if (!this.consumer.topics().length) return;
        await this.consumer.start();
        this.logger.info({ topics: this.consumer.topics() }, 'consumer group started');
        return;
      } catch (err) {
        const delay = Math.min(1000 * attempt, 10000);
        this.logger.warn({ err: (err as Error).message, retryInMs: delay }, 'could not start the consumer; retrying');
        await this.consumer.stop().catch(() => undefined);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
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
    await step('consumer', () => this.consumer.stop());
    for (const s of this.shutdownSteps) await step(s.name, s.run);
    await step('outbox relay', () => this.relay?.stop(5000) ?? Promise.resolve());
    await step('kafka', () => this.bus.close());
    await step('redis', async () => this.redis?.quit());
    await step('pg pool', () => this.pool.end());
    await step('orm', () => this.orm.close(true));
    this.logger.info('shutdown complete');
  }
}
