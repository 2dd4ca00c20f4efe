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
  /** Expenses wait for an admin's approval before they count in balances. */
  @Property({ type: 'boolean' }) requiresApproval: boolean = false;
  /** Suggested transfers: the fewest possible (true) or who owes whom directly (false). */
  @Property({ type: 'boolean' }) simplifyDebts: boolean = true;
  /** Caches fed by expense-service's events (ExpenseHandlers) and, later, payment-service's. In the group's currency. */
  @Property({ type: 'decimal', precision: 16, scale: 3 }) totalExpenses: string = '0';
  @Property({ type: 'decimal', precision: 16, scale: 3 }) settledAmount: string = '0';
  /** Counted expenses (approved or awaiting approval, not deleted), in any currency. */
  @Property({ type: 'integer' }) expenseCount: number = 0;
  /** False once deleted: the group is gone for everyone (rows are kept for the audit trail). */
  @Property({ type: 'boolean' }) isActive: boolean = true;
  @Property({ type: 'boolean' }) isArchived: boolean = false;
  @Property({ type: 'datetime', nullable: true }) archivedAt?: Date | null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
