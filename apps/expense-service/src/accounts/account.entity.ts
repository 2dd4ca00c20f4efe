import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A personal-ledger account (bank account, credit card, cash...). Money is a decimal string, never a JS number. */
@Entity({ tableName: 'accounts' })
export class Account {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  /** Logical reference to auth's user; no foreign key across databases. */
  @Property({ type: 'uuid' }) userId!: string;
  @Property({ type: 'string', length: 100 }) name!: string;
  @Property({ type: 'string', length: 30, nullable: true }) accountType?: string | null;
  @Property({ type: 'string', length: 100, nullable: true }) institution?: string | null;
  @Property({ type: 'decimal', precision: 12, scale: 2 }) balance: string = '0.00';
  @Property({ type: 'string', length: 3 }) currency: string = 'USD';
  @Property({ type: 'decimal', precision: 12, scale: 2, nullable: true }) creditLimit?: string | null;
  @Property({ type: 'integer', nullable: true }) dueDay?: number | null;
  @Property({ type: 'string', length: 10, nullable: true }) icon?: string | null;
  @Property({ type: 'string', length: 7, nullable: true }) color?: string | null;
  @Property({ type: 'integer' }) displayOrder: number = 0;
  @Property({ type: 'boolean' }) isHidden: boolean = false;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
  @Property({ type: 'datetime', nullable: true }) deletedAt?: Date | null;
}
