/** BullMQ queue names: kebab-case, never renamed once shipped. */
export const Queues = {
  emailDelivery: 'email-delivery',
} as const;
export type QueueName = (typeof Queues)[keyof typeof Queues];

/** Job names, one handler each, with typed payloads. */
export enum JobName {
  SendEmail = 'send-email',
}

export interface SendEmailJob {
  /** notification id in notification-service's database; the job id too, so enqueueing twice is harmless. */
  notificationId: string;
  correlationId?: string;
}

export interface JobPayloads {
  [JobName.SendEmail]: SendEmailJob;
}
