import { runMigrationCommand } from '@tally/service-kit';
import { ExpenseServiceConfig } from './config/expense.config';
import { SERVICE_NAME, entities } from './runtime';
import { migrations } from './migrations';

/** `node dist/apps/expense-service/src/migrate.js`: applies pending migrations and exits. */
runMigrationCommand(SERVICE_NAME, ExpenseServiceConfig, entities, migrations);
