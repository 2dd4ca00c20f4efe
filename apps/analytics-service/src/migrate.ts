import 'reflect-metadata';
import { loadConfig } from '@tally/config';
import { createLogger } from '@tally/observability';
import { initOrm, runMigrations } from '@tally/persistence';
import { AnalyticsServiceConfig } from './config/analytics.config';
import { entities } from './runtime';
import { migrations } from './migrations';

/** `node dist/apps/analytics-service/src/migrate.js`: applies pending migrations and exits. */
async function main() {
  const config = loadConfig(AnalyticsServiceConfig);
  const log = createLogger('analytics-service', config.LOG_LEVEL);
  const orm = await initOrm({ databaseUrl: config.DATABASE_URL, entities, migrations });
  try {
    await runMigrations(orm, (m) => log.info(m));
  } finally {
    await orm.close(true);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
