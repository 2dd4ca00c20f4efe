import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export const NotificationPriorities = ['low', 'normal', 'high', 'urgent'] as const;
export type NotificationPriority = (typeof NotificationPriorities)[number];

/** Delivery state of a notification's outbound channel(s). */
export const DeliveryStatuses = ['pending', 'sent', 'failed', 'expired', 'cancelled'] as const;
export type DeliveryStatus = (typeof DeliveryStatuses)[number];

export type DeliveryChannel = 'email' | 'push' | 'sms' | 'in_app';

/** Notification types this service creates. */
export const NotificationTypes = { emailVerification: 'email_verification', passwordReset: 'password_reset', registrationAttempted: 'registration_attempted', groupInvitation: 'group_invitation' } as const;

@Entity({ tableName: 'notifications' })
export class Notification {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  /**
   * The recipient's account: logical reference to auth's users. Null when the notification goes to an
   * address with no (verified) account, e.g. a group invitation; `recipient` then names who gets it.
   */
  @Property({ type: 'uuid', nullable: true }) userId?: string | null;
  @Property({ type: 'uuid', nullable: true }) senderId?: string | null;
  /** The event it came from: one notification per event and recipient (UNIQUE (source_event_id, user_id)). */
  @Property({ type: 'uuid', nullable: true }) sourceEventId?: string | null;
  @Property({ type: 'string', length: 30 }) notificationType!: string;
  @Property({ type: 'string', length: 200 }) title!: string;
  /** User-facing text; never holds a secret (tokens live in `secretToken` until delivery). */
  @Property({ type: 'text' }) message!: string;
  @Property({ type: 'string', length: 10 }) priority: NotificationPriority = 'normal';
  @Property({ type: 'boolean' }) isRead: boolean = false;
  @Property({ type: 'datetime', nullable: true }) readAt?: Date | null;
  @Property({ type: 'string', length: 50, nullable: true }) relatedObjectType?: string | null;
  @Property({ type: 'string', length: 100, nullable: true }) relatedObjectId?: string | null;
  @Property({ type: 'string', length: 500, nullable: true }) actionUrl?: string | null;
  @Property({ type: 'json' }) metadata: Record<string, unknown> = {};
  @Property({ type: 'boolean' }) isSent: boolean = false;
  @Property({ type: 'datetime', nullable: true }) sentAt?: Date | null;
  @Property({ type: 'json' }) deliveryChannels: DeliveryChannel[] = [];
  /** Address the notification goes to, fixed when it was requested. */
  @Property({ type: 'string', length: 254, nullable: true }) recipient?: string | null;
  @Property({ type: 'string', length: 20 }) deliveryStatus: DeliveryStatus = 'pending';
  @Property({ type: 'integer' }) deliveryAttempts: number = 0;
  @Property({ type: 'datetime', nullable: true }) lastAttemptAt?: Date | null;
  @Property({ type: 'text', nullable: true }) lastError?: string | null;
  /** Not worth sending after this (e.g. the verification token expired). */
  @Property({ type: 'datetime', nullable: true }) expiresAt?: Date | null;
  /** Secret the worker needs to render the message; cleared once sent or expired. Never exposed. */
  @Property({ type: 'string', length: 200, nullable: true, hidden: true }) secretToken?: string | null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
