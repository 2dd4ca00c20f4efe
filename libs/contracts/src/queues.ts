/** BullMQ queue names: kebab-case, never renamed once shipped. */
export const Queues = {
  emailDelivery: 'email-delivery',
} as const;
export type QueueName = (typeof Queues)[keyof typeof Queues];

/** Job names, one class each (`*.job.ts`), with typed payloads. */
export enum JobName {
  SendEmail = 'send-email',
}

/** What every job's data may carry: the request id it started from (logs, traces). */
export interface JobContext {
  correlationId?: string;
}

export interface SendEmailJob extends JobContext {
  /** notification id in notification-service's database; the job id too, so enqueueing twice is harmless. */
  notificationId: string;
}

export interface JobPayloads {
  [JobName.SendEmail]: SendEmailJob;
}

/** The data of a job, by name (immich's `JobOf`). */
export type JobOf<N extends JobName> = JobPayloads[N];

/** The queue each job goes on; producers add it there, the worker of that queue runs it. */
export const JobQueues = {
  [JobName.SendEmail]: Queues.emailDelivery,
} as const satisfies Record<JobName, QueueName>;
