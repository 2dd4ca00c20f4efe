import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A user's way to pay or be paid (bank account, card, PayPal...). `details` may hold account numbers and
 * `externalId`/`metadata` provider references: none of them leaves the service unmasked (see PaymentMethodService).
 */
@Entity({ tableName: 'payment_methods' })
export class PaymentMethod {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  /** Logical reference to auth's user; no foreign key across databases. */
  @Property({ type: 'uuid' }) userId!: string;
  @Property({ type: 'string', length: 20 }) methodType!: string;
  @Property({ type: 'string', length: 100 }) name!: string;
  @Property({ type: 'json' }) details: Record<string, unknown> = {};
  @Property({ type: 'string', length: 255, nullable: true }) externalId?: string | null;
  @Property({ type: 'json' }) metadata: Record<string, unknown> = {};
  @Property({ type: 'boolean' }) isActive: boolean = true;
  @Property({ type: 'boolean' }) isVerified: boolean = false;
  @Property({ type: 'boolean' }) isDefault: boolean = false;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
