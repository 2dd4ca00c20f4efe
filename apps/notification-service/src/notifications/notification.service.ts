import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { HandlerContext } from '@tally/messaging';
import { currentContext } from '@tally/observability';
import { freshEm, inTransaction } from '@tally/persistence';
import { EmailVerificationRequestedData, EventEnvelope, InvitationEventData, PasswordResetRequestedData, RegistrationAttemptedData } from '@tally/contracts';
import { CursorPage, cursorPage, decodeCursor } from '@tally/service-kit';
import { RESET_PASSWORD_PATH, VERIFY_EMAIL_PATH, formatExpiry, invitationPath, maskSecrets } from '../delivery/email-renderer';
import { Notification, NotificationTypes } from './notification.entity';
import { NotificationErrors } from './notification.exceptions';
import { InAppRow, NotificationRepository } from './notification.repository';
import { NOTIFICATION_TYPES, NotificationType, Priority } from './notification-types';
import type { DeliveryPlan } from '../deliveries/delivery-planner';
import { DeliveryScheduler } from '../deliveries/delivery-scheduler';

/** What a producer asks for: one in-app notification for one person, from one event. */
export interface InAppDraft {
  userId: string;
  type: NotificationType;
  title: string;
  message: string;
  /** Defaults to the type's priority. */
  priority?: string;
  /** The group it is about, if any: the recipient's switches for that group apply. */
  groupId?: string | null;
  senderId?: string | null;
  relatedObjectType?: string | null;
  relatedObjectId?: string | null;
  actionUrl?: string | null;
  metadata?: Record<string, unknown>;
}

export interface ListNotificationsQuery {
  limit: number;
  cursor?: string;
  unread?: boolean;
  type?: string;
}

export interface NotificationView {
  id: string;
  type: string;
  title: string;
  message: string;
  priority: string;
  isRead: boolean;
  readAt: string | null;
  relatedObjectType: string | null;
  relatedObjectId: string | null;
  actionUrl: string | null;
  deliveryChannels: string[];
  deliveryStatus: string;
  isSent: boolean;
  sentAt: string | null;
  createdAt: string;
}

/** What is shown to the user: never the secret, and any link that slipped a token in is masked. */
export function toNotificationView(n: Notification): NotificationView {
  return {
    id: n.id,
    type: n.notificationType,
    title: maskSecrets(n.title),
    message: maskSecrets(n.message),
    priority: n.priority,
    isRead: n.isRead,
    readAt: n.readAt ? n.readAt.toISOString() : null,
    relatedObjectType: n.relatedObjectType ?? null,
    relatedObjectId: n.relatedObjectId ?? null,
    actionUrl: maskSecrets(n.actionUrl ?? null),
    deliveryChannels: [...n.deliveryChannels],
    deliveryStatus: n.deliveryStatus,
    isSent: n.isSent,
    sentAt: n.sentAt ? n.sentAt.toISOString() : null,
    createdAt: n.createdAt.toISOString(),
  };
}

@Injectable()
export class NotificationService {
  constructor(private readonly orm: MikroORM, private readonly notifications: NotificationRepository, private readonly deliveries: DeliveryScheduler) {}

  /** The caller's notifications, newest first, a page after `cursor`; only unread ones or of one type when asked. */
  async listForUser(userId: string, q: ListNotificationsQuery): Promise<CursorPage<NotificationView>> {
    const after = decodeCursor(q.cursor);
    const rows = await this.notifications.findForUser(freshEm(this.orm), userId, { unreadOnly: q.unread === true, type: q.type, after }, q.limit + 1);
    return cursorPage(rows, q.limit, (n) => ({ at: n.createdAt, id: n.id }), toNotificationView);
  }

  async unreadCount(userId: string): Promise<{ count: number }> {
    return { count: await this.notifications.countUnread(freshEm(this.orm), userId) };
  }

  /** The caller's own notification; anyone else's is NOTIFICATION_NOT_FOUND. */
  async get(userId: string, id: string): Promise<NotificationView> {
    const n = await this.notifications.findOwn(freshEm(this.orm), userId, id);
    if (!n) throw NotificationErrors.notFound();
    return toNotificationView(n);
  }

  /** Marks it read (reading it again keeps the first read time) and returns it. */
  async markRead(userId: string, id: string): Promise<NotificationView> {
    const found = await inTransaction(this.orm, (em) => this.notifications.markRead(em, userId, id, new Date()));
    if (!found) throw NotificationErrors.notFound();
    return this.get(userId, id);
  }

  async markAllRead(userId: string): Promise<{ updated: number }> {
    return { updated: await inTransaction(this.orm, (em) => this.notifications.markAllRead(em, userId, new Date())) };
  }

  async delete(userId: string, id: string): Promise<void> {
    const deleted = await inTransaction(this.orm, (em) => this.notifications.deleteOwn(em, userId, id));
    if (!deleted) throw NotificationErrors.notFound();
  }

  /**
   * Turns an event's drafts into notifications, in the consumer's transaction: at most one per
   * person (the last draft for someone wins), never for the one who caused it, and once per event
   * however often it is delivered. Each recipient's preferences decide whether it is stored and on
   * which channels it goes out, when (quiet hours) and how (now or in a digest); the outbound
   * deliveries are stored with it and their jobs enqueued after the commit. Returns how many were new.
   */
  async notify(ctx: HandlerContext, event: Pick<EventEnvelope, 'id' | 'type' | 'source'>, actorId: string | null | undefined, drafts: readonly InAppDraft[]): Promise<number> {
    const byUser = new Map<string, InAppDraft>();
    for (const d of drafts) if (d.userId && d.userId !== actorId) byUser.set(d.userId, d);
    const groups = new Map<string, InAppDraft[]>();
    for (const d of byUser.values()) {
      const key = `${d.type}|${d.priority ?? NOTIFICATION_TYPES[d.type].priority}|${d.groupId ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), d]);
    }
    const plans = new Map<string, DeliveryPlan>();
    const now = new Date();
    for (const [key, group] of groups) {
      const [type, priority, groupId] = key.split('|') as [NotificationType, Priority, string];
      const planned = await this.deliveries.plan(ctx.em, type, priority, group.map((d) => d.userId), now, groupId || null);
      for (const [userId, plan] of planned) plans.set(userId, plan);
    }
    const rows: InAppRow[] = [...byUser.values()].filter((d) => plans.get(d.userId)?.store).map((d) => ({
      id: randomUUID(),
      userId: d.userId,
      senderId: d.senderId === undefined ? (actorId ?? null) : d.senderId,
      type: d.type,
      title: clip(d.title, 200),
      message: d.message,
      priority: d.priority ?? NOTIFICATION_TYPES[d.type].priority,
      relatedObjectType: d.relatedObjectType ?? null,
      relatedObjectId: d.relatedObjectId ?? null,
      actionUrl: d.actionUrl ? clip(d.actionUrl, 500) : null,
      metadata: { eventId: event.id, eventType: event.type, source: event.source, ...(d.metadata ?? {}) },
      channels: plans.get(d.userId)!.channels,
    }));
    const stored = await this.notifications.insertInApp(ctx.em, event.id, rows);
    const created = rows.filter((r) => stored.get(r.userId) === r.id).map((r) => ({ notificationId: r.id, userId: r.userId, plan: plans.get(r.userId)! }));
    const correlationId = currentContext()?.correlationId;
    await this.deliveries.schedule(ctx, created, correlationId);
    return created.length;
  }

  /**
   * Records the verification email to send, in the consumer's transaction. The token is kept in
   * `secret_token` only until the email is sent (or expires); `message` and `metadata` never hold it.
   */
  recordEmailVerification(
    em: EntityManager,
    event: EventEnvelope<'email_verification.requested', EmailVerificationRequestedData>,
    correlationId: string | undefined,
  ): Promise<Notification> {
    const d = event.data;
    return this.recordTokenEmail(em, event, correlationId, {
      type: NotificationTypes.emailVerification,
      title: 'Verify your email address',
      message:
        `${d.firstName ? `Hi ${d.firstName}, please` : 'Please'} confirm your email address (${d.email}) to finish setting up your Tally account. ` +
        `Open the link in the email we send you; it expires at ${new Date(d.expiresAt).toISOString()}.`,
      actionUrl: VERIFY_EMAIL_PATH,
    });
  }

  /** The password-reset email, kept the same way as the verification email. */
  recordPasswordReset(
    em: EntityManager,
    event: EventEnvelope<'password_reset.requested', PasswordResetRequestedData>,
    correlationId: string | undefined,
  ): Promise<Notification> {
    const d = event.data;
    return this.recordTokenEmail(em, event, correlationId, {
      type: NotificationTypes.passwordReset,
      title: 'Reset your password',
      message:
        `Someone (hopefully you) asked to reset the password of the Tally account ${d.email}. ` +
        `Open the link in the email we send you; it expires at ${new Date(d.expiresAt).toISOString()}.`,
      actionUrl: RESET_PASSWORD_PATH,
    });
  }

  /**
   * The email telling an account's owner that someone tried to register with their address (the
   * API gave that person the same answer as for a new account). No secret, no expiry.
   */
  async recordRegistrationAttempt(
    em: EntityManager,
    event: EventEnvelope<'email_verification.registration_attempted', RegistrationAttemptedData>,
    correlationId: string | undefined,
  ): Promise<Notification> {
    const d = event.data;
    const n = new Notification();
    n.id = randomUUID();
    n.userId = d.userId;
    n.notificationType = NotificationTypes.registrationAttempted;
    n.title = 'Someone tried to sign up with your email address';
    n.message =
      `Someone tried to create a new Tally account with your email address (${d.email}). You already have one, ` +
      `with the username ${d.username}; nothing was changed. If it was you, log in, or reset your password if you forgot it.`;
    n.priority = 'normal';
    n.relatedObjectType = 'user';
    n.relatedObjectId = d.userId;
    n.metadata = {
      eventId: event.id,
      source: event.source,
      ...(correlationId ? { correlationId } : {}),
      firstName: d.firstName,
      username: d.username,
      attemptedAt: d.attemptedAt,
    };
    n.deliveryChannels = ['email'];
    n.recipient = d.email;
    n.deliveryStatus = 'pending';
    await this.notifications.insert(em, n);
    return n;
  }

  /**
   * The email inviting an address to a group. The invitee may have no account: the notification is
   * the account's (listed in its notifications) only when the projection knows a verified account
   * with that address, otherwise it names the address alone. A phone-only invitation is not this
   * method's (null; see `recordPhoneInvitation`). Not worth sending once the invitation expired. No secret:
   * accepting needs the account whose verified address it was sent to.
   */
  async recordGroupInvitation(
    em: EntityManager,
    event: EventEnvelope<'invitation.created', InvitationEventData>,
    correlationId: string | undefined,
  ): Promise<Notification | null> {
    const d = event.data;
    if (!d.email) return null;
    const inviter = d.inviterName?.trim() || 'Someone';
    const expiresAt = new Date(d.expiresAt);
    const n = new Notification();
    n.id = randomUUID();
    n.userId = await this.notifications.findVerifiedAccountByEmail(em, d.email);
    n.senderId = d.invitedById;
    n.notificationType = NotificationTypes.groupInvitation;
    n.title = clip(`${inviter} invited you to ${d.groupName}`, 200);
    n.message =
      `${inviter} invited you to join the group "${d.groupName}" on Tally.` +
      (d.message ? ` Their message: "${d.message}".` : '') +
      ` To accept, sign in to Tally with ${d.email} and accept invitation ${d.invitationId}; it expires at ${formatExpiry(expiresAt)}.`;
    n.priority = 'normal';
    n.relatedObjectType = 'group_invitation';
    n.relatedObjectId = d.invitationId;
    n.actionUrl = invitationPath(d.invitationId);
    n.metadata = {
      eventId: event.id,
      source: event.source,
      ...(correlationId ? { correlationId } : {}),
      invitationId: d.invitationId,
      groupId: d.groupId,
      groupName: d.groupName,
      invitedById: d.invitedById,
      inviterName: d.inviterName,
      invitationMessage: d.message,
      expiresAt: expiresAt.toISOString(),
    };
    // An invitee with an account sees it in the app too (this same row: one per event and person).
    n.deliveryChannels = n.userId ? ['email', 'in_app'] : ['email'];
    n.sourceEventId = n.userId ? event.id : null;
    n.recipient = d.email;
    n.deliveryStatus = 'pending';
    n.expiresAt = expiresAt;
    await this.notifications.insert(em, n);
    return n;
  }

  /**
   * A group invitation to a phone number alone (no email): texted. One notification (no account:
   * `user_id` null, `recipient` the number, channel `sms`) and one SMS delivery, in the consumer's
   * transaction; its job is enqueued after the commit (the sweeper catches up if Redis is down). The
   * text is the type's sms template: who invited them to which group, and the invitation's link.
   * Null when the invitation has an email (that one is emailed) or no number.
   */
  async recordPhoneInvitation(
    ctx: HandlerContext,
    event: EventEnvelope<'invitation.created', InvitationEventData>,
    correlationId: string | undefined,
  ): Promise<Notification | null> {
    const d = event.data;
    if (d.email || !d.phoneNumber) return null;
    const inviter = d.inviterName?.trim() || 'Someone';
    const expiresAt = new Date(d.expiresAt);
    const n = new Notification();
    n.id = randomUUID();
    n.userId = null;
    n.senderId = d.invitedById;
    n.notificationType = NotificationTypes.groupInvitation;
    n.title = clip(`${inviter} invited you to ${d.groupName}`, 200);
    // Accepting a phone invitation needs a verified phone number, which auth does not have yet
    // (group-service): so the text invites and links, and promises nothing more.
    n.message = clip(`${inviter} invited you to join "${d.groupName}" on Tally; the invitation is open until ${formatExpiry(expiresAt)}.`, 1000);
    n.priority = 'normal';
    n.relatedObjectType = 'group_invitation';
    n.relatedObjectId = d.invitationId;
    n.actionUrl = invitationPath(d.invitationId);
    n.metadata = {
      eventId: event.id, source: event.source, ...(correlationId ? { correlationId } : {}),
      invitationId: d.invitationId, groupId: d.groupId, groupName: d.groupName, invitedById: d.invitedById, inviterName: d.inviterName,
      expiresAt: expiresAt.toISOString(),
    };
    n.deliveryChannels = ['sms'];
    n.sourceEventId = null;
    n.recipient = d.phoneNumber;
    n.deliveryStatus = 'pending';
    n.expiresAt = expiresAt;
    await this.notifications.insert(ctx.em, n);
    const now = new Date();
    await this.deliveries.schedule(ctx, [{
      notificationId: n.id, userId: null,
      plan: { store: true, channels: ['sms'], deliveries: [{ channel: 'sms', target: '', deliverAfter: now, digestAt: null }] },
    }], correlationId);
    return n;
  }

  private async recordTokenEmail(
    em: EntityManager,
    event: EventEnvelope<string, EmailVerificationRequestedData | PasswordResetRequestedData>,
    correlationId: string | undefined,
    copy: { type: string; title: string; message: string; actionUrl: string },
  ): Promise<Notification> {
    const d = event.data;
    const expiresAt = new Date(d.expiresAt);
    const n = new Notification();
    n.id = randomUUID();
    n.userId = d.userId;
    n.notificationType = copy.type;
    n.title = copy.title;
    n.message = copy.message;
    n.priority = 'high';
    n.relatedObjectType = 'user';
    n.relatedObjectId = d.userId;
    n.actionUrl = copy.actionUrl;
    n.metadata = {
      eventId: event.id,
      source: event.source,
      ...(correlationId ? { correlationId } : {}),
      firstName: d.firstName,
      expiresAt: expiresAt.toISOString(),
    };
    n.deliveryChannels = ['email'];
    n.recipient = d.email;
    n.deliveryStatus = 'pending';
    n.expiresAt = expiresAt;
    n.secretToken = d.token;
    await this.notifications.insert(em, n);
    return n;
  }
}

/** At most `max` characters, an ellipsis marking a cut. */
function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
