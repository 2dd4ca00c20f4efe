import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** The seed's `currencies`, plus `rate_date` (the date of the current rate). */
@Entity({ tableName: 'currencies' })
export class Currency {
  /** `currencyId(code)` from @tally/contracts. */
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'string', length: 3 }) code!: string;
  @Property({ type: 'string', length: 50 }) name!: string;
  @Property({ type: 'string', length: 10 }) symbol!: string;
  @Property({ type: 'smallint' }) decimalPlaces: number = 2;
  /** US dollars per unit, NUMERIC(20,10) as text; null until a rate is known. */
  @Property({ type: 'decimal', precision: 20, scale: 10, nullable: true }) exchangeRateToUsd?: string | null;
  @Property({ type: 'date', nullable: true }) rateDate?: string | null;
  @Property({ type: 'boolean' }) isActive: boolean = true;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}

/** Every rate a currency ever had (new table): conversions can always be replayed. */
@Entity({ tableName: 'currency_rates' })
export class CurrencyRate {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid' }) currencyId!: string;
  @Property({ type: 'decimal', precision: 20, scale: 10 }) rateToUsd!: string;
  @Property({ type: 'date' }) rateDate!: string;
  @Property({ type: 'string', length: 10 }) source!: 'api' | 'import' | 'seed';
  @Property({ type: 'uuid', nullable: true }) recordedById?: string | null;
  @Property({ type: 'datetime' }) recordedAt: Date = new Date();
}
