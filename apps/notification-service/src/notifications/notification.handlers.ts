import type { Logger } from 'pino';
import { EventConsumer } from '@tally/messaging';
import { SendEmailJob } from '@tally/contracts';
import { currentContext } from '@tally/observability';
import { NotificationService } from './notification.service';

export interface NotificationHandlerDeps {
  notifications: NotificationService;
  emailQueue: { enqueue(job: SendEmailJob): Promise<void> };
  logger: Logger;
}

/**
 * Record, enqueue, commit: the handler only writes the notification in the consumer's transaction
 * (committed with the inbox record, so a redelivered event records nothing twice) and enqueues its
 * delivery job after the commit. No SMTP here; if the enqueue fails, the sweeper enqueues later.
 */
export function registerNotificationHandlers(consumer: EventConsumer, deps: NotificationHandlerDeps): void {
  consumer.on('email_verification.requested', async (event, ctx) => {
    const correlationId = currentContext()?.correlationId;
    const n = await deps.notifications.recordEmailVerification(ctx.em, event, correlationId);
    deps.logger.info({ notificationId: n.id, eventId: event.id, userId: event.data.userId }, 'verification email recorded');
    ctx.afterCommit(() => deps.emailQueue.enqueue({ notificationId: n.id, ...(correlationId ? { correlationId } : {}) }));
  });
  consumer.on('password_reset.requested', async (event, ctx) => {
    const correlationId = currentContext()?.correlationId;
    const n = await deps.notifications.recordPasswordReset(ctx.em, event, correlationId);
    deps.logger.info({ notificationId: n.id, eventId: event.id, userId: event.data.userId }, 'password reset email recorded');
    ctx.afterCommit(() => deps.emailQueue.enqueue({ notificationId: n.id, ...(correlationId ? { correlationId } : {}) }));
  });
}
