import 'reflect-metadata';
import { loadConfig } from '@tally/config';
import { createLogger } from '@tally/observability';
import { initOrm, runMigrations } from '@tally/persistence';
import { ExpenseServiceConfig } from './config/expense.config';
import { entities } from './runtime';
import { migrations } from './migrations';

/** `node dist/apps/expense-service/src/migrate.js`: applies pending migrations and exits. */
async function main() {
  const config = loadConfig(ExpenseServiceConfig);
  const log = createLogger('expense-service', config.LOG_LEVEL);
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
