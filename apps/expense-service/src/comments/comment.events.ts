import type { NewEvent } from '@tally/messaging';
import type { ExpenseView } from '../expenses/expense.service';
import type { ExpenseComment } from './comment.repository';

type CommentEventType = 'comment.created' | 'comment.updated' | 'comment.deleted';

function event<T extends CommentEventType>(type: T, c: ExpenseComment, e: ExpenseView, parentAuthorId: string | null, byUserId: string): NewEvent<T> {
  return {
    type,
    subject: c.id,
    data: {
      commentId: c.id, expenseId: c.expenseId, groupId: e.groupId, userId: c.userId, parentId: c.parentId, parentAuthorId,
      expenseTitle: e.title, participantIds: participantsOf(e),
      // a deleted comment's text does not travel again
      comment: type === 'comment.deleted' ? null : c.comment,
      isEdited: c.isEdited, byUserId, at: new Date().toISOString(),
    },
  } as NewEvent<T>;
}

/** Who is "in" an expense: its payers and share owners, each once. */
export function participantsOf(e: Pick<ExpenseView, 'payers' | 'shares'>): string[] {
  return [...new Set([...e.payers, ...e.shares].map((p) => p.userId))];
}

/** The events of a comment (`expense.comment.v1`, keyed by comment id). */
export const CommentEvents = {
  created: (c: ExpenseComment, e: ExpenseView, parentAuthorId: string | null, by: string) => event('comment.created', c, e, parentAuthorId, by),
  updated: (c: ExpenseComment, e: ExpenseView, parentAuthorId: string | null, by: string) => event('comment.updated', c, e, parentAuthorId, by),
  deleted: (c: ExpenseComment, e: ExpenseView, parentAuthorId: string | null, by: string) => event('comment.deleted', c, e, parentAuthorId, by),
};
