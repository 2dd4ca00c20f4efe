import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** The seed's `user_profiles`: one row per user, created lazily on first access (and backfilled by the migration). */
@Entity({ tableName: 'user_profiles' })
export class UserProfile {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid', unique: true }) userId!: string;
  @Property({ type: 'string', length: 100, nullable: true }) occupation?: string | null;
  @Property({ type: 'string', length: 100, nullable: true }) company?: string | null;
  @Property({ type: 'string', length: 200, nullable: true }) website?: string | null;
  /** ISO 3166-1 alpha-2 code of a row in `countries` (foreign key); the API also accepts the country's name. */
  @Property({ type: 'string', length: 50, nullable: true }) country?: string | null;
  @Property({ type: 'string', length: 50, nullable: true }) city?: string | null;
  /** Known network → https URL (see SOCIAL_NETWORKS). */
  @Property({ type: 'json' }) socialLinks: Record<string, string> = {};
  /** Denormalized, fed by ProfileTotalsProjector once expense/group events exist. NUMERIC(15,2), a string here. */
  @Property({ type: 'decimal', precision: 15, scale: 2 }) totalExpenses: string = '0.00';
  @Property({ type: 'integer' }) totalGroups: number = 0;
  @Property({ type: 'integer' }) expenseCount: number = 0;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
