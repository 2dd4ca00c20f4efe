import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type CategoryType = 'income' | 'expense' | 'transfer';

/** The seed's `categories`, plus `user_id` (null: shared) and `category_type` for the personal ledger (ADR 9). */
@Entity({ tableName: 'categories' })
export class Category {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'string', length: 100 }) name!: string;
  @Property({ type: 'string', length: 100 }) slug!: string;
  @Property({ type: 'text', nullable: true }) description?: string | null;
  @Property({ type: 'string', length: 50, nullable: true }) icon?: string | null;
  @Property({ type: 'string', length: 7 }) color: string = '#007bff';
  @Property({ type: 'boolean' }) isDefault: boolean = false;
  @Property({ type: 'uuid', nullable: true }) parentId?: string | null;
  @Property({ type: 'uuid', nullable: true }) userId?: string | null;
  @Property({ type: 'string', length: 10 }) categoryType: CategoryType = 'expense';
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
