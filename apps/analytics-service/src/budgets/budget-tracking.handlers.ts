import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { BudgetTrackingService } from './budget-tracking.service';

/**
 * expense-service's budget.* and expense.* events, in the consumer's transaction (with the inbox
 * record, so a redelivered event has no second effect): the projections, then the threshold checks
 * whose budget.threshold_crossed goes out through analytics' outbox in the same transaction.
 */
@Controller()
export class BudgetTrackingHandlers {
  constructor(private readonly budgets: BudgetTrackingService) {}

  @EventPattern('budget.created')
  onBudgetCreated(@Payload() e: EventOf<'budget.created'>, @Ctx() { em }: HandlerContext) {
    return this.budgets.applyBudget(em, e.data, e.time);
  }

  @EventPattern('budget.updated')
  onBudgetUpdated(@Payload() e: EventOf<'budget.updated'>, @Ctx() { em }: HandlerContext) {
    return this.budgets.applyBudget(em, e.data, e.time);
  }

  @EventPattern('budget.deleted')
  onBudgetDeleted(@Payload() e: EventOf<'budget.deleted'>, @Ctx() { em }: HandlerContext) {
    return this.budgets.applyBudget(em, e.data, e.time);
  }

  @EventPattern('expense.created')
  onExpenseCreated(@Payload() e: EventOf<'expense.created'>, @Ctx() { em }: HandlerContext) {
    return this.budgets.applyExpense(em, e.data, e.time);
  }

  @EventPattern('expense.updated')
  onExpenseUpdated(@Payload() e: EventOf<'expense.updated'>, @Ctx() { em }: HandlerContext) {
    return this.budgets.applyExpense(em, e.data, e.time);
  }

  @EventPattern('expense.deleted')
  onExpenseDeleted(@Payload() e: EventOf<'expense.deleted'>, @Ctx() { em }: HandlerContext) {
    return this.budgets.applyExpense(em, e.data, e.time);
  }

  @EventPattern('expense.restored')
  onExpenseRestored(@Payload() e: EventOf<'expense.restored'>, @Ctx() { em }: HandlerContext) {
    return this.budgets.applyExpense(em, e.data, e.time);
  }

  @EventPattern('expense.approved')
  onExpenseApproved(@Payload() e: EventOf<'expense.approved'>, @Ctx() { em }: HandlerContext) {
    return this.budgets.applyExpense(em, e.data, e.time);
  }
}
