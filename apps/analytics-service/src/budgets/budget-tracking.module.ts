import { Module } from '@nestjs/common';
import { BudgetTrackingController } from './budget-tracking.controller';
import { BudgetTrackingHandlers } from './budget-tracking.handlers';
import { BudgetTrackingRepository } from './budget.repository';
import { BudgetTrackingService } from './budget-tracking.service';

/** Budgets followed against spending (projections of budget.* and expense.*) and their budget.threshold_crossed. */
@Module({
  controllers: [BudgetTrackingController, BudgetTrackingHandlers],
  providers: [BudgetTrackingRepository, BudgetTrackingService],
})
export class BudgetTrackingModule {}
