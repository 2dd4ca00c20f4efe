import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** The seed's `group_activities`: the group's feed, newest first. */
@Entity({ tableName: 'group_activities' })
export class GroupActivity {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid' }) groupId!: string;
  /** The actor. */
  @Property({ type: 'uuid' }) userId!: string;
  @Property({ type: 'string', length: 20 }) activityType!: string;
  @Property({ type: 'text' }) description!: string;
  @Property({ type: 'json' }) metadata: Record<string, unknown> = {};
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
