import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'groups' })
export class Group {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'string', length: 100 }) name!: string;
  @Property({ type: 'text', nullable: true }) description?: string | null;
  @Property({ type: 'string', length: 20 }) groupType: string = 'other';
  @Property({ type: 'string', length: 255, nullable: true }) image?: string | null;
  @Property({ type: 'uuid' }) currencyId!: string;
  @Property({ type: 'boolean' }) isPrivate: boolean = false;
  @Property({ type: 'string', length: 12, nullable: true, unique: true }) inviteCode?: string | null;
  @Property({ type: 'integer' }) memberCount: number = 0;
  @Property({ type: 'decimal', precision: 15, scale: 2 }) totalExpenses: string = '0';
  @Property({ type: 'decimal', precision: 15, scale: 2 }) settledAmount: string = '0';
  @Property({ type: 'boolean' }) isActive: boolean = true;
  @Property({ type: 'boolean' }) isArchived: boolean = false;
  @Property({ type: 'datetime', nullable: true }) archivedAt?: Date | null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}

@Entity({ tableName: 'group_memberships' })
export class GroupMembership {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid' }) userId!: string;
  @Property({ type: 'uuid' }) groupId!: string;
  @Property({ type: 'string', length: 20 }) role: string = 'member';
  @Property({ type: 'string', length: 20 }) status: string = 'pending';
  @Property({ type: 'uuid', nullable: true }) invitedById?: string | null;
  @Property({ type: 'text', nullable: true }) invitationMessage?: string | null;
  @Property({ type: 'boolean' }) isActive: boolean = true;
  @Property({ type: 'datetime', nullable: true }) joinedAt?: Date | null;
  @Property({ type: 'datetime', nullable: true }) leftAt?: Date | null;
  @Property({ type: 'json' }) notificationPreferences: Record<string, unknown> = {};
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
