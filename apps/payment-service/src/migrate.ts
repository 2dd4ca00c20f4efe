import { runMigrationCommand } from '@tally/service-kit';
import { PaymentServiceConfig } from './config/payment.config';
import { SERVICE_NAME, entities } from './runtime';
import { migrations } from './migrations';

/** `node dist/apps/payment-service/src/migrate.js`: applies pending migrations and exits. */
runMigrationCommand(SERVICE_NAME, PaymentServiceConfig, entities, migrations);
