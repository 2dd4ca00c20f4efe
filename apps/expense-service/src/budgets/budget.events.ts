import type { NewEvent } from '@tally/messaging';
import type { BudgetView } from './budget.service';

type BudgetEventType = 'budget.created' | 'budget.updated' | 'budget.deleted';

function event<T extends BudgetEventType>(type: T, b: BudgetView, userId: string, categoryName: string | null, byUserId: string): NewEvent<T> {
  return {
    type,
    subject: b.id,
    data: {
      budgetId: b.id, userId, categoryId: b.categoryId, categoryName, amount: b.amount, currency: b.currency, period: b.period,
      startDate: b.startDate, endDate: b.endDate, isDeleted: type === 'budget.deleted', createdAt: b.createdAt, byUserId, at: new Date().toISOString(),
    },
  } as NewEvent<T>;
}

/** The events of a budget (`expense.budget.v1`, keyed by budget id): the budget as it is after the change. */
export const BudgetEvents = {
  created: (b: BudgetView, userId: string, categoryName: string | null, by: string) => event('budget.created', b, userId, categoryName, by),
  updated: (b: BudgetView, userId: string, categoryName: string | null, by: string) => event('budget.updated', b, userId, categoryName, by),
  deleted: (b: BudgetView, userId: string, categoryName: string | null, by: string) => event('budget.deleted', b, userId, categoryName, by),
};
