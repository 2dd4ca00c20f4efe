import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

/** What every service reads. Service configs extend it. */
export class BaseServiceConfig {
  @IsInt() @Min(1) @Max(65535)
  PORT!: number;

  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /** Milliseconds a graceful shutdown may take before the process exits anyway. */
  @IsInt() @Min(1000) @Max(120000)
  SHUTDOWN_TIMEOUT_MS: number = 25000;
}

export class DatabaseConfig extends BaseServiceConfig {
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @IsInt() @Min(1) @Max(100)
  DATABASE_POOL_MAX: number = 10;
}

export class MessagingConfig extends DatabaseConfig {
  /** Comma-separated host:port list. */
  @Matches(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port...]' })
  KAFKA_BROKERS!: string;

  /** Prefix for every topic name: isolates test runs or tenants sharing one cluster. */
  @IsOptional() @Matches(/^[a-z0-9._-]*$/)
  KAFKA_TOPIC_PREFIX: string = '';

  /** Relay poll interval when no NOTIFY arrives. */
  @IsInt() @Min(50) @Max(60000)
  OUTBOX_POLL_INTERVAL_MS: number = 1000;

  /** Attempts per message before it is dead-lettered. */
  @IsInt() @Min(1) @Max(20)
  CONSUMER_MAX_ATTEMPTS: number = 5;

  /** Most events a consumer applies in one transaction (a partition's batch is split into chunks of this size). */
  @IsInt() @Min(1) @Max(1000)
  CONSUMER_BATCH_SIZE: number = 200;

  /** Partitions a consumer handles at once, each on its own database connection. */
  @IsInt() @Min(1) @Max(32)
  CONSUMER_PARTITIONS_CONCURRENTLY: number = 3;

  /** How long sent outbox rows are kept (for inspection) before they are pruned. */
  @IsInt() @Min(1) @Max(24 * 365)
  OUTBOX_RETENTION_HOURS: number = 7 * 24;

  /**
   * How long inbox rows are kept. A redelivered or replayed event older than this would be applied again,
   * so it must exceed how long an event can come back: the topics' and DLQs' retention (30 days for DLQs).
   */
  @IsInt() @Min(1) @Max(24 * 3650)
  INBOX_RETENTION_HOURS: number = 45 * 24;

  /** Consumer group session timeout; lower in tests so a crashed member is replaced sooner. */
  @IsInt() @Min(6000) @Max(300000)
  KAFKA_SESSION_TIMEOUT_MS: number = 30000;

  @IsString()
  JWT_ISSUER: string = 'tally-auth';

  @IsString()
  JWT_AUDIENCE: string = 'tally-api';
}

export class RedisConfig extends MessagingConfig {
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL!: string;

  /** Prefix of every BullMQ key: isolates test runs or tenants sharing one Redis. */
  @Matches(/^[A-Za-z0-9_-]{1,40}$/)
  QUEUE_PREFIX: string = 'tally';
}
