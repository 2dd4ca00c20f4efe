import { Controller, Inject } from '@nestjs/common';
import type { Logger } from 'pino';
import { SendEmailJob } from '@tally/contracts';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { currentContext } from '@tally/observability';
import { ServiceRuntime } from '@tally/service-kit';
import { NotificationService } from './notification.service';

/** Where the handlers enqueue delivery jobs (the `email-delivery` queue; a fake in unit tests). */
export const EMAIL_QUEUE = Symbol('EMAIL_QUEUE');
export interface EmailJobQueue {
  enqueue(job: SendEmailJob): Promise<void>;
}

/**
 * Record, enqueue, commit: a handler only writes the notification in the consumer's transaction
 * (committed with the inbox record, so a redelivered event records nothing twice) and enqueues its
 * delivery job after the commit. No SMTP here; if the enqueue fails, the sweeper enqueues later.
 */
@Controller()
export class NotificationHandlers {
  private readonly log: Logger;

  constructor(
    private readonly notifications: NotificationService,
    @Inject(EMAIL_QUEUE) private readonly emailQueue: EmailJobQueue,
    runtime: ServiceRuntime,
  ) {
    this.log = runtime.logger.child({ component: 'notification-handlers' });
  }

  @EventPattern('email_verification.requested')
  async onEmailVerificationRequested(@Payload() e: EventOf<'email_verification.requested'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const correlationId = currentContext()?.correlationId;
    const n = await this.notifications.recordEmailVerification(ctx.em, e, correlationId);
    this.log.info({ notificationId: n.id, eventId: e.id, userId: e.data.userId }, 'verification email recorded');
    this.enqueueAfterCommit(ctx, n.id, correlationId);
  }

  @EventPattern('password_reset.requested')
  async onPasswordResetRequested(@Payload() e: EventOf<'password_reset.requested'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const correlationId = currentContext()?.correlationId;
    const n = await this.notifications.recordPasswordReset(ctx.em, e, correlationId);
    this.log.info({ notificationId: n.id, eventId: e.id, userId: e.data.userId }, 'password reset email recorded');
    this.enqueueAfterCommit(ctx, n.id, correlationId);
  }

  /** Someone tried to register with the address of an existing account: its owner is told. */
  @EventPattern('email_verification.registration_attempted')
  async onRegistrationAttempted(@Payload() e: EventOf<'email_verification.registration_attempted'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const correlationId = currentContext()?.correlationId;
    const n = await this.notifications.recordRegistrationAttempt(ctx.em, e, correlationId);
    this.log.info({ notificationId: n.id, eventId: e.id, userId: e.data.userId }, 'registration attempt email recorded');
    this.enqueueAfterCommit(ctx, n.id, correlationId);
  }

  /** An admin invited an address to a group: the invitee is emailed the invitation (phone-only ones are texted). */
  @EventPattern('invitation.created')
  async onInvitationCreated(@Payload() e: EventOf<'invitation.created'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const correlationId = currentContext()?.correlationId;
    const n = await this.notifications.recordGroupInvitation(ctx.em, e, correlationId);
    if (!n) {
      // A phone-only invitation is texted: its SMS delivery is stored here and enqueued after the commit.
      const sms = await this.notifications.recordPhoneInvitation(ctx, e, correlationId);
      this.log.info({ notificationId: sms?.id, eventId: e.id, invitationId: e.data.invitationId, groupId: e.data.groupId }, sms ? 'invitation SMS recorded' : 'invitation with neither email nor phone: nothing recorded');
      return;
    }
    this.log.info({ notificationId: n.id, eventId: e.id, invitationId: e.data.invitationId, groupId: e.data.groupId }, 'invitation email recorded');
    this.enqueueAfterCommit(ctx, n.id, correlationId);
  }

  private enqueueAfterCommit(ctx: HandlerContext, notificationId: string, correlationId: string | undefined): void {
    ctx.afterCommit(() => this.emailQueue.enqueue({ notificationId, ...(correlationId ? { correlationId } : {}) }));
  }
}
