import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { SETTLEMENT_METHODS } from '@tally/contracts';

export type SettlementMethod = (typeof SETTLEMENT_METHODS)[number];
/** The subset of `payment_status` a settlement uses (check_settlement_status). */
export type SettlementStatus = 'pending' | 'completed' | 'cancelled' | 'refunded';

/**
 * `payerId` pays `payeeId` `amount` of `currency`, in a group or (groupId null) between two friends.
 * pending → completed (both parties confirmed, or a provider payment succeeded) | cancelled;
 * completed → refunded (the payment that completed it was refunded). Only a completed settlement
 * moves balances (settlement.completed). People and groups are logical references: no foreign keys
 * across databases.
 */
@Entity({ tableName: 'settlements' })
export class Settlement {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid' }) payerId!: string;
  @Property({ type: 'uuid' }) payeeId!: string;
  /** NUMERIC(16,3) as PostgreSQL returns it ("12.500"); formatted with the currency's places for the API. */
  @Property({ type: 'decimal', columnType: 'numeric(16,3)' }) amount!: string;
  @Property({ type: 'uuid' }) currencyId!: string;
  @Property({ type: 'string', length: 3 }) currency!: string;
  @Property({ type: 'uuid', nullable: true }) groupId?: string | null;
  @Property({ type: 'string', length: 20 }) method: SettlementMethod = 'manual';
  @Property({ type: 'string', columnType: 'payment_status' }) status: SettlementStatus = 'pending';
  @Property({ type: 'uuid', nullable: true }) paymentMethodId?: string | null;
  @Property({ type: 'string', length: 255, nullable: true }) externalTransactionId?: string | null;
  @Property({ type: 'string', length: 50, nullable: true }) paymentService?: string | null;
  @Property({ type: 'json' }) paymentMetadata: Record<string, unknown> = {};
  @Property({ type: 'datetime', nullable: true }) dueDate?: Date | null;
  @Property({ type: 'datetime', nullable: true }) completedAt?: Date | null;
  @Property({ type: 'text', nullable: true }) description?: string | null;
  @Property({ type: 'text', nullable: true }) notes?: string | null;
  @Property({ type: 'boolean' }) isConfirmedByPayer: boolean = false;
  @Property({ type: 'boolean' }) isConfirmedByPayee: boolean = false;
  @Property({ type: 'datetime', nullable: true }) confirmedAt?: Date | null;
  @Property({ type: 'uuid' }) createdById!: string;
  @Property({ type: 'datetime', nullable: true }) cancelledAt?: Date | null;
  @Property({ type: 'uuid', nullable: true }) cancelledById?: string | null;
  @Property({ type: 'datetime', nullable: true }) refundedAt?: Date | null;
  @Property({ type: 'datetime', nullable: true }) remindedAt?: Date | null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime' }) updatedAt: Date = new Date();
}
