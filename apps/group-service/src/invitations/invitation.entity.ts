import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired';

/** The seed's `group_invitations`, plus `status` and `responded_at` (the migration says why). */
@Entity({ tableName: 'group_invitations' })
export class GroupInvitation {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid' }) groupId!: string;
  @Property({ type: 'uuid' }) invitedById!: string;
  /** Lower-cased. */
  @Property({ type: 'string', length: 254, nullable: true }) email?: string | null;
  @Property({ type: 'string', length: 17, nullable: true }) phoneNumber?: string | null;
  @Property({ type: 'text', nullable: true }) message?: string | null;
  @Property({ type: 'string', length: 10 }) status: InvitationStatus = 'pending';
  @Property({ type: 'boolean' }) isAccepted: boolean = false;
  @Property({ type: 'boolean' }) isExpired: boolean = false;
  @Property({ type: 'uuid', nullable: true }) acceptedById?: string | null;
  @Property({ type: 'datetime' }) expiresAt!: Date;
  @Property({ type: 'datetime', nullable: true }) acceptedAt?: Date | null;
  @Property({ type: 'datetime', nullable: true }) respondedAt?: Date | null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
