import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { IdentityModule } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import { RecurringExpenseController } from './recurring-expense.controller';
import { RecurringExpenseModule } from './recurring-expense.module';
import { RecurringExpenseService } from './recurring-expense.service';

/** What ServiceKitModule provides globally in the running service, as stand-ins. */
@Global()
@Module({
  providers: [{ provide: MikroORM, useValue: {} }, { provide: OutboxWriter, useValue: {} }],
  exports: [MikroORM, OutboxWriter],
})
class KitStandIn {}

@Module({ imports: [KitStandIn, IdentityModule.forRoot(), RecurringExpenseModule] })
class Root {}

describe('RecurringExpenseModule', () => {
  it('resolves its service and controller with ExpenseService from ExpenseModule (the API and expense-worker share its rules)', async () => {
    const app = await NestFactory.createApplicationContext(Root, { logger: false, abortOnError: false });
    try {
      expect(app.get(RecurringExpenseService, { strict: false })).toBeDefined();
      expect(app.get(RecurringExpenseController, { strict: false })).toBeDefined();
    } finally {
      await app.close();
    }
  });
});
