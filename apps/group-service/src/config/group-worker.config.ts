import { IsInt, Matches, Max, Min } from 'class-validator';
import { DatabaseConfig } from '@tally/config';
import { ServicePorts } from '@tally/contracts';
import type { WorkerConfig } from '@tally/service-kit';

/** The `group-worker` process: the invitation expiry schedule, plus health and metrics on PORT. */
export class GroupWorkerConfig extends DatabaseConfig implements WorkerConfig {
  override PORT: number = ServicePorts['group-worker'];

  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL!: string;

  /** Prefix of every BullMQ key. */
  @Matches(/^[A-Za-z0-9_-]{1,40}$/)
  QUEUE_PREFIX: string = 'tally';

  @IsInt() @Min(1) @Max(100)
  WORKER_CONCURRENCY: number = 1;

  /** How often overdue invitations are marked expired (and invitation.expired published). */
  @IsInt() @Min(1) @Max(3600)
  INVITATION_EXPIRY_EVERY_SECONDS: number = 60;
}
