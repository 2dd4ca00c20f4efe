/** BullMQ queue names: kebab-case, never renamed once shipped. */
export const Queues = {
  emailDelivery: 'email-delivery',
  groupInvitations: 'group-invitations',
} as const;
export type QueueName = (typeof Queues)[keyof typeof Queues];

/** Job names, one class each (`*.job.ts`), with typed payloads. */
export enum JobName {
  SendEmail = 'send-email',
  ExpireInvitations = 'expire-invitations',
}

/** What every job's data may carry: the request id it started from (logs, traces). */
export interface JobContext {
  correlationId?: string;
}

export interface SendEmailJob extends JobContext {
  /** notification id in notification-service's database; the job id too, so enqueueing twice is harmless. */
  notificationId: string;
}

/**
 * Marks every pending invitation whose expiry has passed as expired, publishing invitation.expired
 * for each. A repeating job (group-worker schedules it at start); idempotent, so a second run finds nothing.
 */
export type ExpireInvitationsJob = JobContext;

export interface JobPayloads {
  [JobName.SendEmail]: SendEmailJob;
  [JobName.ExpireInvitations]: ExpireInvitationsJob;
}

/** The data of a job, by name (immich's `JobOf`). */
export type JobOf<N extends JobName> = JobPayloads[N];

/** The queue each job goes on; producers add it there, the worker of that queue runs it. */
export const JobQueues = {
  [JobName.SendEmail]: Queues.emailDelivery,
  [JobName.ExpireInvitations]: Queues.groupInvitations,
} as const satisfies Record<JobName, QueueName>;
