import { runMigrationCommand } from '@tally/service-kit';
import { AuthServiceConfig } from './config/auth.config';
import { SERVICE_NAME, entities } from './runtime';
import { migrations } from './migrations';

/** `node dist/apps/auth-service/src/migrate.js`: applies pending migrations and exits. */
runMigrationCommand(SERVICE_NAME, AuthServiceConfig, entities, migrations);
