import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type GroupType = 'personal' | 'trip' | 'home' | 'couple' | 'project' | 'other';

/** The seed's `groups`, plus `currency` (the ISO code of `currency_id`, docs/adr/0008). */
@Entity({ tableName: 'groups' })
export class Group {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'string', length: 100 }) name!: string;
  @Property({ type: 'text', nullable: true }) description?: string | null;
  @Property({ type: 'string', length: 20 }) groupType: GroupType = 'other';
  @Property({ type: 'string', length: 255, nullable: true }) image?: string | null;
  @Property({ type: 'uuid' }) currencyId!: string;
  @Property({ type: 'string', length: 3 }) currency!: string;
  @Property({ type: 'boolean' }) isPrivate: boolean = false;
  @Property({ type: 'string', length: 12, nullable: true, unique: true }) inviteCode?: string | null;
  /** Kept by the database trigger (the number of active memberships); never written from code. */
  @Property({ type: 'integer' }) memberCount: number = 0;
  /** Caches fed by expense and payment events (expense/settlement issues). */
  @Property({ type: 'decimal', precision: 15, scale: 2 }) totalExpenses: string = '0';
  @Property({ type: 'decimal', precision: 15, scale: 2 }) settledAmount: string = '0';
  /** False once deleted: the group is gone for everyone (rows are kept for the audit trail). */
  @Property({ type: 'boolean' }) isActive: boolean = true;
  @Property({ type: 'boolean' }) isArchived: boolean = false;
  @Property({ type: 'datetime', nullable: true }) archivedAt?: Date | null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
