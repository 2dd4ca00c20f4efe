import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

const field = (name: string, message: string) => ({ errors: [{ field: name, message }] });

/**
 * The errors of expense comments, one stable code each. An expense the caller may not see is
 * EXPENSE_NOT_FOUND (ExpenseErrors), as for the expense itself: existence never leaks.
 */
export const CommentErrors = {
  /** No such comment on this expense (also a comment of another expense). */
  notFound: () => new DomainException('COMMENT_NOT_FOUND', 'Comment not found.', HttpStatus.NOT_FOUND),
  invalidParent: () =>
    new DomainException('INVALID_COMMENT_PARENT', 'parentId is not a comment on this expense.', HttpStatus.UNPROCESSABLE_ENTITY,
      field('parentId', 'not a comment on this expense')),
  notAuthor: () => new DomainException('NOT_COMMENT_AUTHOR', 'Only its author can edit a comment.', HttpStatus.FORBIDDEN),
  notAuthorOrAdmin: () => new DomainException('NOT_COMMENT_AUTHOR', "Only its author or a group admin can delete a comment.", HttpStatus.FORBIDDEN),
  viewerReadOnly: () =>
    new DomainException('GROUP_VIEWER_READ_ONLY', 'Viewers of a group can read the comments on its expenses but not add, edit or delete any.', HttpStatus.FORBIDDEN),
  expenseDeleted: () =>
    new DomainException('EXPENSE_DELETED', 'The expense is deleted: its comments can be read, not added, edited or deleted; restore it first.', HttpStatus.CONFLICT),
  invalidCursor: () => new DomainException('INVALID_CURSOR', 'cursor must be a nextCursor from a previous page.', HttpStatus.BAD_REQUEST),
};
