import { IsInt, Matches, Max, Min } from 'class-validator';
import { DatabaseConfig } from '@tally/config';
import { ServicePorts } from '@tally/contracts';
import type { WorkerConfig } from '@tally/service-kit';

/**
 * The `payment-worker` process: applies stored provider webhooks and publishes overdue-settlement
 * reminders on a schedule, plus health and metrics on PORT. It reads stored (already verified)
 * webhook bodies, so it needs no provider secrets; the attempts and backoff of each webhook job are
 * the producer's (payment-service's PAYMENT_WEBHOOK_ATTEMPTS, PAYMENT_WEBHOOK_BACKOFF_MS).
 */
export class PaymentWorkerConfig extends DatabaseConfig implements WorkerConfig {
  override PORT: number = ServicePorts['payment-worker'];

  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL!: string;

  /** Prefix of every BullMQ key; must match payment-service's (RedisConfig.QUEUE_PREFIX). */
  @Matches(/^[A-Za-z0-9_-]{1,40}$/)
  QUEUE_PREFIX: string = 'tally';

  /** Jobs run at once per queue (webhooks of different payments apply in parallel; one payment's are serialised by its row lock). */
  @IsInt() @Min(1) @Max(100)
  WORKER_CONCURRENCY: number = 5;

  /** How often pending settlements past their due date are looked for (settlement.overdue, once each). */
  @IsInt() @Min(1) @Max(86_400)
  SETTLEMENT_REMINDER_EVERY_SECONDS: number = 300;
}
