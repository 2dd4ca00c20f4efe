import type { NewEvent } from '@tally/messaging';
import type { Expense } from './expense.entity';

type ExpenseEventType = 'expense.created' | 'expense.updated' | 'expense.deleted' | 'expense.restored' | 'expense.approved';

/** What an expense moves, with amounts as decimal strings in its currency's places. */
export interface ExpenseMoney {
  amount: string;
  currency: string;
  /** The rate snapshotted on the expense (US dollars per unit), or null. */
  rateToUsd: string | null;
  payers: { userId: string; amount: string }[];
  shares: { userId: string; amount: string }[];
  isApproved: boolean;
  isDeleted: boolean;
}

function event<T extends ExpenseEventType>(type: T, e: Expense, money: ExpenseMoney, byUserId: string, previous?: ExpenseMoney, recurringExpenseId?: string): NewEvent<T> {
  return {
    type,
    subject: e.id,
    data: {
      expenseId: e.id, groupId: e.groupId ?? null, title: e.title, amount: money.amount, currency: money.currency, rateToUsd: money.rateToUsd, expenseDate: e.expenseDate,
      categoryId: e.categoryId ?? null, splitType: e.splitType, payers: money.payers, shares: money.shares, isApproved: money.isApproved,
      isDeleted: money.isDeleted, byUserId, ...(previous ? { previous } : {}), ...(recurringExpenseId ? { recurringExpenseId } : {}), at: new Date().toISOString(),
    },
  } as NewEvent<T>;
}

/** The events of an expense (`expense.expense.v1`, keyed by expense id). */
export const ExpenseEvents = {
  /** `recurringExpenseId`: an occurrence expense-worker generated from that recurring expense. */
  created: (e: Expense, m: ExpenseMoney, by: string, recurringExpenseId?: string) => event('expense.created', e, m, by, undefined, recurringExpenseId),
  updated: (e: Expense, m: ExpenseMoney, by: string, previous: ExpenseMoney) => event('expense.updated', e, m, by, previous),
  deleted: (e: Expense, m: ExpenseMoney, by: string, previous: ExpenseMoney) => event('expense.deleted', e, m, by, previous),
  restored: (e: Expense, m: ExpenseMoney, by: string, previous: ExpenseMoney) => event('expense.restored', e, m, by, previous),
  approved: (e: Expense, m: ExpenseMoney, by: string, previous: ExpenseMoney) => event('expense.approved', e, m, by, previous),
};
