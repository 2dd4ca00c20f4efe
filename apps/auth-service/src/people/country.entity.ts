import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** The seed's `countries`, seeded by the people migration from countries.data.ts. */
@Entity({ tableName: 'countries' })
export class Country {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'string', length: 100, unique: true }) name!: string;
  /** ISO 3166-1 alpha-2, upper case. */
  @Property({ type: 'string', length: 2, unique: true }) code!: string;
  /** Logical reference to expense-service's `currencies` (another database): null until that projection exists. */
  @Property({ type: 'uuid', nullable: true }) currencyId?: string | null;
  /** Not in the seed: the default currency's ISO 4217 code, usable now without expense-service's ids. */
  @Property({ type: 'string', length: 3, nullable: true }) currencyCode?: string | null;
  @Property({ type: 'string', length: 10, nullable: true }) phoneCode?: string | null;
  @Property({ type: 'string', length: 10, nullable: true }) flagEmoji?: string | null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
