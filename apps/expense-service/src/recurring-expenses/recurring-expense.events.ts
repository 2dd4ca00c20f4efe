import type { NewEvent } from '@tally/messaging';
import type { RecurringExpense } from './recurring-expense.repository';

type RecurringEventType =
  | 'recurring_expense.created' | 'recurring_expense.updated' | 'recurring_expense.paused' | 'recurring_expense.resumed'
  | 'recurring_expense.deleted' | 'recurring_expense.deactivated';

function event<T extends RecurringEventType>(type: T, t: RecurringExpense, amount: string, byUserId: string | null, reason: string | null = null): NewEvent<T> {
  return {
    type,
    subject: t.id,
    data: {
      recurringExpenseId: t.id, groupId: t.groupId, title: t.title, amount, currency: t.currency, categoryId: t.categoryId, frequency: t.frequency,
      interval: t.interval, paidById: t.paidById, createdById: t.createdById, participantIds: t.participantIds, startDate: t.startDate, endDate: t.endDate,
      nextDueDate: t.nextDueDate, splitType: t.splitType, isActive: t.isActive, isPaused: t.isPaused, pausedUntil: t.pausedUntil, reason, byUserId,
      at: new Date().toISOString(),
    },
  } as NewEvent<T>;
}

/**
 * The events of a recurring expense (`expense.recurring-expense.v1`, keyed by its id). `amount` is the
 * template's amount with its currency's places. The occurrences it generates are expense.created events.
 */
export const RecurringExpenseEvents = {
  created: (t: RecurringExpense, amount: string, by: string) => event('recurring_expense.created', t, amount, by),
  updated: (t: RecurringExpense, amount: string, by: string) => event('recurring_expense.updated', t, amount, by),
  paused: (t: RecurringExpense, amount: string, by: string) => event('recurring_expense.paused', t, amount, by),
  /** `by` null: its pause ended by itself (expense-worker resumed it). */
  resumed: (t: RecurringExpense, amount: string, by: string | null) => event('recurring_expense.resumed', t, amount, by),
  deleted: (t: RecurringExpense, amount: string, by: string) => event('recurring_expense.deleted', t, amount, by),
  /** expense-worker stopped it: it can no longer generate (`reason`: the domain error's code, or ENDED). */
  deactivated: (t: RecurringExpense, amount: string, reason: string) => event('recurring_expense.deactivated', t, amount, null, reason),
};
