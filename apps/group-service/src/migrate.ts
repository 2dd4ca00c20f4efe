import { runMigrationCommand } from '@tally/service-kit';
import { GroupServiceConfig } from './config/group.config';
import { SERVICE_NAME, entities } from './runtime';
import { migrations } from './migrations';

/** `node dist/apps/group-service/src/migrate.js`: applies pending migrations and exits. */
runMigrationCommand(SERVICE_NAME, GroupServiceConfig, entities, migrations);
