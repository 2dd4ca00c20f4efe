import { MikroORM, Options, defineConfig } from '@mikro-orm/postgresql';
import { Migration, Migrator } from '@mikro-orm/migrations';
import { Client } from 'pg';

export interface MigrationEntry {
  name: string;
  class: new (...args: any[]) => Migration;
}

export interface OrmOptions {
  databaseUrl: string;
  entities: Function[];
  migrations: MigrationEntry[];
  poolMax?: number;
  debug?: boolean;
}

/** One way every service configures MikroORM: explicit entity and migration lists, no file globbing. */
export function ormConfig(opts: OrmOptions): Options {
  return defineConfig({
    clientUrl: opts.databaseUrl,
    entities: opts.entities,
    extensions: [Migrator],
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    forceUtcTimezone: true,
    allowGlobalContext: false,
    debug: opts.debug ?? false,
    pool: { min: 0, max: opts.poolMax ?? 10 },
    migrations: {
      migrationsList: opts.migrations,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
  });
}

export async function initOrm(opts: OrmOptions): Promise<MikroORM> {
  return MikroORM.init(ormConfig(opts));
}

/** Arbitrary, fixed: all replicas of a service contend for the same lock in their own database. */
const MIGRATION_LOCK_KEY = 74_219_001;

/**
 * Applies pending migrations under a PostgreSQL session advisory lock, so several replicas
 * starting together run them once: the first applies, the others wait and then find nothing to do.
 */
export async function runMigrations(orm: MikroORM, log: (msg: string) => void = () => undefined): Promise<string[]> {
  const url = orm.config.get('clientUrl') as string;
  const lockClient = new Client({ connectionString: url });
  await lockClient.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await orm.getMigrator().up();
    const names = applied.map((m) => m.name);
    log(names.length ? `applied migrations: ${names.join(', ')}` : 'database schema is up to date');
    return names;
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockClient.end().catch(() => undefined);
  }
}
