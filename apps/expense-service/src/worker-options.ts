import { Queue } from 'bullmq';
import { JobName, Queues } from '@tally/contracts';
import { IdentityProjectionRepository } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import { FriendshipProjectionRepository, MembershipProjectionRepository } from '@tally/projections';
import type { WorkerOptions } from '@tally/service-kit';
import { CategoryRepository } from './categories/category.repository';
import { ExpenseWorkerConfig } from './config/expense-worker.config';
import { CurrencyRepository } from './currencies/currency.repository';
import { ExpenseRepository } from './expenses/expense.repository';
import { ExpenseService } from './expenses/expense.service';
import { GroupProjectionRepository } from './groups/group-projection.repository';
import { migrations } from './migrations';
import { GenerateRecurringExpensesJobProcessor } from './recurring-expenses/generate-recurring-expenses.job';
import { RecurringExpenseGenerator } from './recurring-expenses/recurring-expense-generator';
import { RecurringExpenseRepository } from './recurring-expenses/recurring-expense.repository';
import { entities } from './runtime';
import { TagRepository } from './tags/tag.repository';

/**
 * The `expense-worker` deployable (worker.ts runs it; tests start it with `startWorker`): generates
 * the due occurrences of recurring expenses. It upserts a BullMQ job scheduler (one per queue, whatever
 * the number of replicas) that adds a `generate-recurring-expenses` job every RECURRING_EVERY_SECONDS.
 * Each occurrence is made by the API's own ExpenseService; the events go through expense-service's
 * outbox table, which the API process relays to Kafka.
 */
export const expenseWorkerOptions: WorkerOptions<ExpenseWorkerConfig> = {
  service: 'expense-worker',
  config: ExpenseWorkerConfig,
  entities,
  migrations,
  jobs: async ({ config, logger, orm, onShutdown }) => {
    const outbox = new OutboxWriter('expense-service');
    const currencies = new CurrencyRepository();
    const expenses = new ExpenseService(orm, new ExpenseRepository(), currencies, new CategoryRepository(), new GroupProjectionRepository(),
      new MembershipProjectionRepository(), new FriendshipProjectionRepository(), new TagRepository(), new IdentityProjectionRepository({}), outbox);
    const log = logger.child({ component: 'recurring-expenses' });
    const generator = new RecurringExpenseGenerator(orm, new RecurringExpenseRepository(), expenses, currencies, outbox, log);

    const queue = new Queue(Queues.recurringExpenses, { connection: { url: config.REDIS_URL }, prefix: config.QUEUE_PREFIX });
    await queue.upsertJobScheduler('generate-recurring-expenses', { every: config.RECURRING_EVERY_SECONDS * 1000 }, {
      name: JobName.GenerateRecurringExpenses,
      data: {},
      opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 100, removeOnFail: 1000 },
    });
    onShutdown('scheduler queue', () => queue.close());
    return [new GenerateRecurringExpensesJobProcessor(generator, log)];
  },
};
