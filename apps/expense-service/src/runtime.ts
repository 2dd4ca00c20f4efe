import { loadConfig } from '@tally/config';
import { ServiceRuntime, registerIdentityProjections } from '@tally/service-kit';
import { ExpenseServiceConfig } from './config/expense.config';
import { Account } from './accounts/account.entity';
import { migrations } from './migrations';

export const SERVICE_NAME = 'expense-service';
export const entities = [Account];

export async function createRuntime(env = process.env): Promise<ServiceRuntime<ExpenseServiceConfig>> {
  const config = loadConfig(ExpenseServiceConfig, env);
  const runtime = await ServiceRuntime.create({ name: SERVICE_NAME, config, entities, migrations });
  registerIdentityProjections(runtime.consumer);
  return runtime;
}
