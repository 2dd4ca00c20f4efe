import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One user's choice for one notification type (UNIQUE (user_id, notification_type)); a type without a
 * row has the default (preference-policy.ts). `quiet_hours_*` are wall-clock times in the user's time
 * zone, both or neither; `delivery_methods` a JSON array of channels.
 */
@Entity({ tableName: 'notification_preferences' })
export class NotificationPreference {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid' }) userId!: string;
  @Property({ type: 'string', length: 30 }) notificationType!: string;
  @Property({ type: 'boolean' }) isEnabled: boolean = true;
  @Property({ type: 'json' }) deliveryMethods: string[] = [];
  /** `HH:MM:SS` as PostgreSQL returns a TIME. */
  @Property({ type: 'time', nullable: true }) quietHoursStart?: string | null;
  @Property({ type: 'time', nullable: true }) quietHoursEnd?: string | null;
  @Property({ type: 'string', length: 20 }) frequencyLimit: string = 'immediate';
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
