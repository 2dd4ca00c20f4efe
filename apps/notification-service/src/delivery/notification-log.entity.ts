import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { DeliveryChannel } from '../notifications/notification.entity';

export const NotificationLogStatuses = ['pending', 'sent', 'delivered', 'failed', 'bounced', 'dead_lettered', 'expired', 'skipped'] as const;
export type NotificationLogStatus = (typeof NotificationLogStatuses)[number];

/**
 * One row per delivery attempt or outcome. `dead_lettered` rows are the dead-letter record:
 * the notification exhausted its attempts (or can never be sent) and waits for an operator
 * (apps/notification-service/README.md, "Dead letters").
 */
@Entity({ tableName: 'notification_logs' })
export class NotificationLog {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid' }) notificationId!: string;
  @Property({ type: 'string', length: 10 }) deliveryMethod!: DeliveryChannel;
  @Property({ type: 'string', length: 255 }) recipient!: string;
  @Property({ type: 'string', length: 20 }) status: NotificationLogStatus = 'pending';
  /** e.g. the SMTP Message-ID. */
  @Property({ type: 'string', length: 255, nullable: true }) externalId?: string | null;
  @Property({ type: 'datetime', nullable: true }) sentAt?: Date | null;
  @Property({ type: 'datetime', nullable: true }) deliveredAt?: Date | null;
  @Property({ type: 'datetime', nullable: true }) openedAt?: Date | null;
  @Property({ type: 'datetime', nullable: true }) clickedAt?: Date | null;
  @Property({ type: 'text', nullable: true }) errorMessage?: string | null;
  @Property({ type: 'integer' }) retryCount: number = 0;
  @Property({ type: 'json' }) metadata: Record<string, unknown> = {};
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
