import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

const field = (name: string, message: string) => ({ errors: [{ field: name, message }] });

/** expense-service's errors for expenses and balances, one stable code each. */
export const ExpenseErrors = {
  /** Also for an expense the caller may not see: existence never leaks. */
  notFound: () => new DomainException('EXPENSE_NOT_FOUND', 'Expense not found.', HttpStatus.NOT_FOUND),
  groupNotFound: () => new DomainException('GROUP_NOT_FOUND', 'Group not found.', HttpStatus.NOT_FOUND),
  invalidId: (name = 'id') => new DomainException('INVALID_ID', `${name} must be a UUID.`, HttpStatus.BAD_REQUEST),
  viewerReadOnly: () => new DomainException('GROUP_VIEWER_READ_ONLY', 'Viewers of a group can read its expenses but not add or change them.', HttpStatus.FORBIDDEN),
  adminRequired: (what: string) => new DomainException('GROUP_ADMIN_REQUIRED', `Only the group's admins can ${what}.`, HttpStatus.FORBIDDEN),
  notCreatorOrAdmin: () => new DomainException('NOT_EXPENSE_OWNER', 'Only whoever added the expense, a payer or a group admin can change it.', HttpStatus.FORBIDDEN),
  groupArchived: () => new DomainException('GROUP_ARCHIVED', 'The group is archived and read-only.', HttpStatus.CONFLICT),
  notParticipant: (userId: string) =>
    new DomainException('NOT_A_PARTICIPANT', `User ${userId} cannot take part: in a group, only its active members; outside groups, only you and your friends.`,
      HttpStatus.UNPROCESSABLE_ENTITY, field('split', `user ${userId} is not a member of the group (or not your friend)`)),
  selfNotIncluded: () =>
    new DomainException('NOT_A_PARTICIPANT', 'An expense outside groups must include you as a payer or a participant.', HttpStatus.UNPROCESSABLE_ENTITY, field('split', 'include yourself')),
  futureDate: () => new DomainException('INVALID_EXPENSE', 'expenseDate cannot be in the future (in the payer\'s time zone).', HttpStatus.BAD_REQUEST, field('expenseDate', 'not in the future')),
  unknownCurrency: () => new DomainException('INVALID_EXPENSE', 'currency must be an ISO 4217 currency code such as EUR.', HttpStatus.BAD_REQUEST, field('currency', 'unknown currency')),
  unknownCategory: () => new DomainException('INVALID_EXPENSE', 'categoryId is not a category you can use.', HttpStatus.BAD_REQUEST, field('categoryId', 'unknown category')),
  alreadyDeleted: () => new DomainException('EXPENSE_DELETED', 'The expense is deleted; restore it first.', HttpStatus.CONFLICT),
  notDeleted: () => new DomainException('EXPENSE_NOT_DELETED', 'The expense is not deleted.', HttpStatus.CONFLICT),
  notAwaitingApproval: () => new DomainException('EXPENSE_NOT_PENDING_APPROVAL', 'The expense does not await approval.', HttpStatus.CONFLICT),
  settled: () => new DomainException('EXPENSE_SETTLED', 'Shares of this expense are settled already; its amounts cannot change.', HttpStatus.CONFLICT),
  invalidSplit: (code: string, message: string, details: Record<string, string>) =>
    new DomainException('INVALID_SPLIT', message, HttpStatus.BAD_REQUEST, { reason: code, ...(details.field ? field(details.field, message) : {}) }),
};
