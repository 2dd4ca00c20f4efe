import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

const field = (name: string, message: string) => ({ errors: [{ field: name, message }] });

/** expense-service's errors for recurring expenses, one stable code each (the expense rules' own errors come from ExpenseErrors). */
export const RecurringExpenseErrors = {
  /** Also for a template the caller may not see: existence never leaks. */
  notFound: () => new DomainException('RECURRING_EXPENSE_NOT_FOUND', 'Recurring expense not found.', HttpStatus.NOT_FOUND),
  notOwner: () => new DomainException('NOT_RECURRING_EXPENSE_OWNER', 'Only whoever set up the recurring expense, its payer or a group admin can change it.', HttpStatus.FORBIDDEN),
  inactive: () => new DomainException('RECURRING_EXPENSE_INACTIVE', 'The recurring expense is deleted or has ended; it can no longer change.', HttpStatus.CONFLICT),
  notPaused: () => new DomainException('RECURRING_EXPENSE_NOT_PAUSED', 'The recurring expense is not paused.', HttpStatus.CONFLICT),
  scheduleFixed: () => new DomainException('RECURRING_SCHEDULE_FIXED', 'Occurrences were generated already: the start date, frequency and interval can no longer change (set up a new recurring expense).', HttpStatus.CONFLICT),
  invalid: (name: string, message: string) => new DomainException('INVALID_RECURRING_EXPENSE', message, HttpStatus.BAD_REQUEST, field(name, message)),
};
