import { Module } from '@nestjs/common';
import { CurrencyModule } from '../currencies/currency.module';
import { ExpenseModule } from '../expenses/expense.module';
import { GroupProjectionModule } from '../groups/group-projection.module';
import { RecurringExpenseController } from './recurring-expense.controller';
import { RecurringExpenseRepository } from './recurring-expense.repository';
import { RecurringExpenseService } from './recurring-expense.service';

/** Recurring expense templates (the API); expense-worker generates their occurrences (worker.ts). */
@Module({
  imports: [ExpenseModule, CurrencyModule, GroupProjectionModule],
  controllers: [RecurringExpenseController],
  providers: [RecurringExpenseRepository, RecurringExpenseService],
})
export class RecurringExpenseModule {}
