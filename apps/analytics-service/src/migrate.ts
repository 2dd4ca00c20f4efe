import { runMigrationCommand } from '@tally/service-kit';
import { AnalyticsServiceConfig } from './config/analytics.config';
import { SERVICE_NAME, entities } from './runtime';
import { migrations } from './migrations';

/** `node dist/apps/analytics-service/src/migrate.js`: applies pending migrations and exits. */
runMigrationCommand(SERVICE_NAME, AnalyticsServiceConfig, entities, migrations);
