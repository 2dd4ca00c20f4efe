/** BullMQ queue names: kebab-case, never renamed once shipped. */
export const Queues = {
  emailDelivery: 'email-delivery',
  groupInvitations: 'group-invitations',
  paymentWebhooks: 'payment-webhooks',
  pushDelivery: 'push-delivery',
  recurringExpenses: 'recurring-expenses',
  settlementReminders: 'settlement-reminders',
  smsDelivery: 'sms-delivery',
} as const;
export type QueueName = (typeof Queues)[keyof typeof Queues];

/** Job names, one class each (`*.job.ts`), with typed payloads. */
export enum JobName {
  SendEmail = 'send-email',
  ExpireInvitations = 'expire-invitations',
  ProcessPaymentWebhook = 'process-payment-webhook',
  RemindOverdueSettlements = 'remind-overdue-settlements',
  SendPush = 'send-push',
  DeliverEmail = 'deliver-email',
  SendDigests = 'send-digests',
  SendSms = 'send-sms',
  GenerateRecurringExpenses = 'generate-recurring-expenses',
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

/**
 * Applies one stored provider webhook (`payment_webhooks` row) to its payment and settlement.
 * The row id is the job id, so storing or replaying twice enqueues once; retried with backoff.
 */
export interface ProcessPaymentWebhookJob extends JobContext {
  webhookId: string;
}

/**
 * Sends one planned push delivery (a `notification_deliveries` row: one notification to one push
 * device; web push now, ios/android adapters report "not configured"). The row id is the job id,
 * so enqueueing twice is harmless.
 */
export interface SendPushJob extends JobContext {
  deliveryId: string;
}

/** Sends one planned email delivery (a `notification_deliveries` row) of a domain notification; the row id is the job id. */
export interface DeliverEmailJob extends JobContext {
  deliveryId: string;
}

/** Sends one planned SMS delivery (a `notification_deliveries` row with channel `sms`); the row id is the job id. */
export interface SendSmsJob extends JobContext {
  deliveryId: string;
}

/** Sends the digests that are due: each recipient's waiting email deliveries as one email (a repeating job). */
export type SendDigestsJob = JobContext;

/** Publishes settlement.overdue once for each pending settlement past its due date (payment-worker's schedule). */
export type RemindOverdueSettlementsJob = JobContext;

/**
 * Generates the due occurrences of recurring expenses (expense-worker's schedule): each due template in
 * its own transaction, its row locked, every missed occurrence up to today (UTC) as a real expense, a
 * bounded number per run. Idempotent: an occurrence is recorded once (recurring_expense_occurrences).
 */
export type GenerateRecurringExpensesJob = JobContext;

export interface JobPayloads {
  [JobName.SendEmail]: SendEmailJob;
  [JobName.ExpireInvitations]: ExpireInvitationsJob;
  [JobName.ProcessPaymentWebhook]: ProcessPaymentWebhookJob;
  [JobName.RemindOverdueSettlements]: RemindOverdueSettlementsJob;
  [JobName.SendPush]: SendPushJob;
  [JobName.DeliverEmail]: DeliverEmailJob;
  [JobName.SendDigests]: SendDigestsJob;
  [JobName.SendSms]: SendSmsJob;
  [JobName.GenerateRecurringExpenses]: GenerateRecurringExpensesJob;
}

/** The data of a job, by name (immich's `JobOf`). */
export type JobOf<N extends JobName> = JobPayloads[N];

/** The queue each job goes on; producers add it there, the worker of that queue runs it. */
export const JobQueues = {
  [JobName.SendEmail]: Queues.emailDelivery,
  [JobName.ExpireInvitations]: Queues.groupInvitations,
  [JobName.ProcessPaymentWebhook]: Queues.paymentWebhooks,
  [JobName.RemindOverdueSettlements]: Queues.settlementReminders,
  [JobName.SendPush]: Queues.pushDelivery,
  [JobName.DeliverEmail]: Queues.emailDelivery,
  [JobName.SendDigests]: Queues.emailDelivery,
  [JobName.SendSms]: Queues.smsDelivery,
  [JobName.GenerateRecurringExpenses]: Queues.recurringExpenses,
} as const satisfies Record<JobName, QueueName>;
