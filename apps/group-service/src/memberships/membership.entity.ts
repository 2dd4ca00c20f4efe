import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type GroupRole = 'admin' | 'member' | 'viewer';
export type MembershipStatus = 'pending' | 'accepted' | 'declined' | 'left' | 'removed';

/** The seed's `group_memberships`: one row per user and group (reused on rejoining); active only when accepted. */
@Entity({ tableName: 'group_memberships' })
export class GroupMembership {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid' }) userId!: string;
  @Property({ type: 'uuid' }) groupId!: string;
  @Property({ type: 'string', length: 20 }) role: GroupRole = 'member';
  @Property({ type: 'string', length: 20 }) status: MembershipStatus = 'pending';
  @Property({ type: 'uuid', nullable: true }) invitedById?: string | null;
  @Property({ type: 'text', nullable: true }) invitationMessage?: string | null;
  @Property({ type: 'boolean' }) isActive: boolean = false;
  @Property({ type: 'datetime', nullable: true }) joinedAt?: Date | null;
  @Property({ type: 'datetime', nullable: true }) leftAt?: Date | null;
  @Property({ type: 'json' }) notificationPreferences: Record<string, boolean> = {};
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
