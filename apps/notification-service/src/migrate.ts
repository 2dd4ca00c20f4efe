import 'reflect-metadata';
import { loadConfig } from '@tally/config';
import { createLogger } from '@tally/observability';
import { initOrm, runMigrations } from '@tally/persistence';
import { NotificationServiceConfig } from './config/notification.config';
import { entities } from './entities';
import { migrations } from './migrations';

/** `node dist/apps/notification-service/src/migrate.js`: applies pending migrations and exits. */
async function main() {
  const config = loadConfig(NotificationServiceConfig);
  const log = createLogger('notification-service', config.LOG_LEVEL);
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
