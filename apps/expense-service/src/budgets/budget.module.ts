import { Module } from '@nestjs/common';
import { CategoryModule } from '../categories/category.module';
import { CurrencyModule } from '../currencies/currency.module';
import { BudgetController } from './budget.controller';
import { BudgetRepository } from './budget.repository';
import { BudgetService } from './budget.service';

/** Budgets of the personal ledger (the finance seed's `budgets`) and their budget.* events. */
@Module({
  imports: [CurrencyModule, CategoryModule],
  controllers: [BudgetController],
  providers: [BudgetRepository, BudgetService],
})
export class BudgetModule {}
