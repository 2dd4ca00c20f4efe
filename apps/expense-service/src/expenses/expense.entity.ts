import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type SplitType = 'equal' | 'exact' | 'percentage' | 'shares' | 'adjustment' | 'itemized';

/** The seed's `expenses`, plus `currency`, the snapshotted rate, `notes` and `created_by_id` (the migration says why). */
@Entity({ tableName: 'expenses' })
export class Expense {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'string', length: 200 }) title!: string;
  @Property({ type: 'text', nullable: true }) description?: string | null;
  /** NUMERIC(16,3) as text, exactly as PostgreSQL returns it. */
  @Property({ type: 'decimal', precision: 16, scale: 3 }) amount!: string;
  @Property({ type: 'uuid' }) currencyId!: string;
  @Property({ type: 'string', length: 3 }) currency!: string;
  @Property({ type: 'decimal', precision: 20, scale: 10, nullable: true }) exchangeRateToUsd?: string | null;
  @Property({ type: 'uuid', nullable: true }) categoryId?: string | null;
  @Property({ type: 'string', length: 20 }) expenseType: 'individual' | 'group' | 'recurring' = 'individual';
  @Property({ type: 'uuid', nullable: true }) groupId?: string | null;
  @Property({ type: 'uuid' }) paidById!: string;
  @Property({ type: 'date' }) expenseDate!: string;
  @Property({ type: 'string', length: 20 }) splitType: SplitType = 'equal';
  @Property({ type: 'json' }) splitData: Record<string, unknown> = {};
  @Property({ type: 'string', length: 255, nullable: true }) receipt?: string | null;
  @Property({ type: 'json' }) attachments: unknown[] = [];
  @Property({ type: 'json' }) ocrData: Record<string, unknown> = {};
  @Property({ type: 'string', length: 200, nullable: true }) vendor?: string | null;
  @Property({ type: 'string', length: 200, nullable: true }) location?: string | null;
  @Property({ type: 'text', nullable: true }) notes?: string | null;
  @Property({ type: 'boolean' }) isSettled: boolean = false;
  @Property({ type: 'boolean' }) isRecurring: boolean = false;
  @Property({ type: 'uuid', nullable: true }) parentExpenseId?: string | null;
  @Property({ type: 'boolean' }) requiresApproval: boolean = false;
  @Property({ type: 'boolean' }) isApproved: boolean = true;
  @Property({ type: 'uuid', nullable: true }) approvedById?: string | null;
  @Property({ type: 'datetime', nullable: true }) approvedAt?: Date | null;
  @Property({ type: 'boolean' }) isDeleted: boolean = false;
  @Property({ type: 'datetime', nullable: true }) deletedAt?: Date | null;
  @Property({ type: 'uuid', nullable: true }) deletedById?: string | null;
  @Property({ type: 'uuid' }) createdById!: string;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}

/** Several payers (new table): their amounts sum exactly to the expense's. */
@Entity({ tableName: 'expense_payers' })
export class ExpensePayer {
  @PrimaryKey({ type: 'uuid' }) expenseId!: string;
  @PrimaryKey({ type: 'uuid' }) userId!: string;
  @Property({ type: 'decimal', precision: 16, scale: 3 }) amount!: string;
}

/** The seed's `expense_shares`: what each participant owes; they sum exactly to the expense. */
@Entity({ tableName: 'expense_shares' })
export class ExpenseShare {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid' }) expenseId!: string;
  @Property({ type: 'uuid' }) userId!: string;
  @Property({ type: 'decimal', precision: 16, scale: 3 }) amount!: string;
  @Property({ type: 'uuid' }) currencyId!: string;
  @Property({ type: 'uuid' }) paidById!: string;
  @Property({ type: 'boolean' }) isSettled: boolean = false;
  /** How much of the share settlements have paid (docs/adr/0012); settled exactly when it is the whole amount. */
  @Property({ type: 'decimal', precision: 16, scale: 3 }) settledAmount: string = '0';
  @Property({ type: 'datetime', nullable: true }) settledAt?: Date | null;
  @Property({ type: 'uuid', nullable: true }) settlementId?: string | null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
