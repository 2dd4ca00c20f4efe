import { IsInt, Matches, Max, Min } from 'class-validator';
import { DatabaseConfig } from '@tally/config';
import { ServicePorts } from '@tally/contracts';
import type { WorkerConfig } from '@tally/service-kit';

/** The `expense-worker` process: the recurring expense schedule, plus health and metrics on PORT. */
export class ExpenseWorkerConfig extends DatabaseConfig implements WorkerConfig {
  override PORT: number = ServicePorts['expense-worker'];

  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL!: string;

  /** Prefix of every BullMQ key. */
  @Matches(/^[A-Za-z0-9_-]{1,40}$/)
  QUEUE_PREFIX: string = 'tally';

  @IsInt() @Min(1) @Max(100)
  WORKER_CONCURRENCY: number = 1;

  /** How often due recurring expenses are generated (each run catches up what is due up to today, UTC). */
  @IsInt() @Min(1) @Max(86400)
  RECURRING_EVERY_SECONDS: number = 300;
}
