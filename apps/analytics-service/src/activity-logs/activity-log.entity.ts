import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** One audited event. Written only by the event consumer (activity-log.repository.ts), never updated. */
@Entity({ tableName: 'activity_logs' })
export class ActivityLog {
  /** The event's id: a redelivered event cannot add a second row. */
  @PrimaryKey({ type: 'uuid' }) id!: string;
  /** The acting user; a logical reference to auth's user, null for system events. */
  @Property({ type: 'uuid', nullable: true }) userId?: string | null;
  /** The event type, e.g. `user.registered`. */
  @Property({ type: 'string', length: 100 }) action!: string;
  /** The aggregate, e.g. `user`. */
  @Property({ type: 'string', length: 50, nullable: true }) contentType?: string | null;
  /** The aggregate id (the event's subject). */
  @Property({ type: 'string', length: 200, nullable: true }) objectId?: string | null;
  @Property({ type: 'string', length: 200, nullable: true }) objectRepr?: string | null;
  /** The event's data with secrets removed. */
  @Property({ type: 'json' }) changes: Record<string, unknown> = {};
  @Property({ type: 'string', columnType: 'inet', nullable: true }) ipAddress?: string | null;
  @Property({ type: 'text', nullable: true }) userAgent?: string | null;
  /** When the event happened. */
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  /** When this row was written. */
  @Property({ type: 'datetime' }) updatedAt: Date = new Date();
}
