import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export const PAYMENT_METHOD_TYPES = ['bank', 'card', 'paypal', 'stripe', 'venmo', 'cash', 'other'] as const;
export type PaymentMethodType = (typeof PAYMENT_METHOD_TYPES)[number];

/**
 * A user's way to pay or be paid (bank account, card, PayPal...). `details` holds only
 * `{ sealed: <SecretBox ciphertext of the details' JSON> }`; `detailsMasked` is what the API shows,
 * computed once when the details are written. `externalId`, `provider` and `metadata` are provider
 * references: none of them leaves the service. Removal is soft (settlements and payments keep their
 * foreign keys): inactive, `removedAt` set, never default.
 */
@Entity({ tableName: 'payment_methods' })
export class PaymentMethod {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  /** Logical reference to auth's user; no foreign key across databases. */
  @Property({ type: 'uuid' }) userId!: string;
  @Property({ type: 'string', length: 20 }) methodType!: string;
  @Property({ type: 'string', length: 100 }) name!: string;
  @Property({ type: 'json' }) details: Record<string, unknown> = {};
  @Property({ type: 'json' }) detailsMasked: Record<string, string | number | boolean> = {};
  @Property({ type: 'string', length: 50, nullable: true }) provider?: string | null;
  @Property({ type: 'string', length: 255, nullable: true }) externalId?: string | null;
  @Property({ type: 'json' }) metadata: Record<string, unknown> = {};
  @Property({ type: 'boolean' }) isActive: boolean = true;
  @Property({ type: 'boolean' }) isVerified: boolean = false;
  @Property({ type: 'datetime', nullable: true }) verifiedAt?: Date | null;
  @Property({ type: 'boolean' }) isDefault: boolean = false;
  @Property({ type: 'datetime', nullable: true }) removedAt?: Date | null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
