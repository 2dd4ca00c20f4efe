import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'refresh_tokens' })
export class RefreshToken {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid' }) userId!: string;
  /** Every token descended from one login shares a family; reuse of a rotated one revokes it all. */
  @Property({ type: 'uuid' }) familyId!: string;
  @Property({ type: 'uuid', nullable: true }) parentId?: string | null;
  /** SHA-256 of the token; the token itself is never stored. */
  @Property({ type: 'string', length: 64, unique: true, hidden: true }) tokenHash!: string;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime' }) expiresAt!: Date;
  @Property({ type: 'datetime', nullable: true }) usedAt?: Date | null;
  @Property({ type: 'datetime', nullable: true }) revokedAt?: Date | null;
  @Property({ type: 'string', length: 30, nullable: true }) revokedReason?: string | null;
  @Property({ type: 'string', columnType: 'inet', nullable: true }) ip?: string | null;
  @Property({ type: 'string', length: 300, nullable: true }) userAgent?: string | null;
}

@Entity({ tableName: 'password_resets' })
export class PasswordReset {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid' }) userId!: string;
  @Property({ type: 'string', length: 64, unique: true, hidden: true }) tokenHash!: string;
  @Property({ type: 'datetime' }) expiresAt!: Date;
  @Property({ type: 'datetime', nullable: true }) usedAt?: Date | null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
}
