import { MessagingConfig } from '@tally/config';
import { runMigrationCommand } from '@tally/service-kit';
import { SERVICE_NAME, entities } from './runtime';
import { migrations } from './migrations';

/**
 * `node dist/apps/payment-service/src/migrate.js`: applies pending migrations and exits. It reads only
 * the database settings (not SECRETS_KEY or Redis, which `npm run migrate` does not pass).
 */
runMigrationCommand(SERVICE_NAME, MessagingConfig, entities, migrations);
