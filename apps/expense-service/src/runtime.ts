import { loadConfig } from '@tally/config';
import { identityEntities } from '@tally/identity';
import { ServiceRuntime } from '@tally/service-kit';
import { ExpenseServiceConfig } from './config/expense.config';
import { Account } from './accounts/account.entity';
import { Category } from './categories/category.entity';
import { Currency, CurrencyRate } from './currencies/currency.entity';
import { Expense, ExpensePayer, ExpenseShare } from './expenses/expense.entity';
import { Tag } from './tags/tag.entity';
import { migrations } from './migrations';

export const SERVICE_NAME = 'expense-service';
export const entities = [Account, Currency, CurrencyRate, Category, Tag, Expense, ExpensePayer, ExpenseShare, ...identityEntities];

export async function createRuntime(env = process.env): Promise<ServiceRuntime<ExpenseServiceConfig>> {
  const config = loadConfig(ExpenseServiceConfig, env);
  return ServiceRuntime.create({ name: SERVICE_NAME, config, entities, migrations });
}
