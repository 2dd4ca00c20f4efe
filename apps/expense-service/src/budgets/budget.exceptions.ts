import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

const field = (name: string, message: string) => ({ errors: [{ field: name, message }] });

/** The errors of budgets, one stable code each. Someone else's budget is BUDGET_NOT_FOUND: existence never leaks. */
export const BudgetErrors = {
  notFound: () => new DomainException('BUDGET_NOT_FOUND', 'Budget not found.', HttpStatus.NOT_FOUND),
  invalid: (name: string, message: string, reason?: string) =>
    new DomainException('INVALID_BUDGET', message, HttpStatus.BAD_REQUEST, { ...(reason ? { reason } : {}), ...field(name, message) }),
  unknownCurrency: () => BudgetErrors.invalid('currency', 'currency must be an active ISO 4217 currency code such as EUR.'),
  unknownCategory: () => BudgetErrors.invalid('categoryId', 'categoryId is not an expense category you can use.'),
  endBeforeStart: () => BudgetErrors.invalid('endDate', 'endDate cannot be before startDate.'),
};
