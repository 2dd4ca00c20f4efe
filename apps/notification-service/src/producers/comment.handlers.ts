import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { InAppDraft, NotificationService } from '../notifications/notification.service';
import { AppPaths, People, quoted } from './people';

/** How much of a comment a notification quotes, in characters (code points). */
export const COMMENT_EXCERPT_CHARS = 280;

/**
 * In-app notifications from expense-service's comment.created: the author of the comment it replies
 * to gets `expense_comment_reply`; everyone else in the expense (its payers and share owners) gets
 * `expense_comment`; nobody is told twice, and never the commenter. Edits and deletions notify
 * nobody. The group's `comments` switch of each member applies (`groupId`).
 */
@Controller()
export class CommentNotificationHandlers {
  constructor(private readonly notifications: NotificationService, private readonly people: People) {}

  @EventPattern('comment.created')
  async onCreated(@Payload() e: EventOf<'comment.created'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const d = e.data;
    const by = (await this.people.names(ctx.em, [d.userId]))(d.userId);
    const about: Pick<InAppDraft, 'relatedObjectType' | 'relatedObjectId' | 'actionUrl' | 'senderId' | 'groupId' | 'metadata'> = {
      relatedObjectType: 'expense', relatedObjectId: d.expenseId, actionUrl: AppPaths.expense(d.expenseId), senderId: d.userId, groupId: d.groupId,
      metadata: { commentId: d.commentId, parentId: d.parentId },
    };
    const text = quoted(excerpt(d.comment ?? ''));
    const drafts: InAppDraft[] = [];
    const replyTo = d.parentAuthorId && d.parentAuthorId !== d.userId ? d.parentAuthorId : null;
    for (const userId of new Set(d.participantIds)) {
      if (userId === d.userId || userId === replyTo) continue;
      drafts.push({
        ...about, userId, type: 'expense_comment',
        title: `${by} commented on ${quoted(d.expenseTitle)}`,
        message: `${by} ${d.parentId ? 'replied to a comment' : 'commented'} on ${quoted(d.expenseTitle)}: ${text}`,
      });
    }
    if (replyTo) {
      drafts.push({
        ...about, userId: replyTo, type: 'expense_comment_reply',
        title: `${by} replied to your comment on ${quoted(d.expenseTitle)}`,
        message: `${by} replied to your comment on ${quoted(d.expenseTitle)}: ${text}`,
      });
    }
    await this.notifications.notify(ctx, e, d.userId, drafts);
  }
}

/** The first COMMENT_EXCERPT_CHARS characters (never half a surrogate pair), with an ellipsis when cut. */
export function excerpt(text: string): string {
  const chars = [...text.trim()];
  return chars.length <= COMMENT_EXCERPT_CHARS ? chars.join('') : `${chars.slice(0, COMMENT_EXCERPT_CHARS - 1).join('').trimEnd()}…`;
}
