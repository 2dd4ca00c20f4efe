import { randomUUID } from 'node:crypto';
import type { EventOf, HandlerContext } from '@tally/messaging';
import type { InAppDraft, NotificationService } from '../notifications/notification.service';
import { COMMENT_EXCERPT_CHARS, CommentNotificationHandlers, excerpt } from './comment.handlers';
import type { People } from './people';

const [ann, bob, cat, dan] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
const NAMES: Record<string, string> = { [ann]: 'Ann', [bob]: 'Bob', [cat]: 'Cat', [dan]: 'Dan' };

/** The handler with a NotificationService that records what it is asked to notify. */
function setup() {
  const calls: { actorId: string | null | undefined; drafts: readonly InAppDraft[] }[] = [];
  const notifications = { notify: async (_ctx: unknown, _e: unknown, actorId: string | null | undefined, drafts: readonly InAppDraft[]) => (calls.push({ actorId, drafts }), drafts.length) };
  const people = { names: async () => (id: string | null | undefined) => (id && NAMES[id]) || 'Someone' };
  const handlers = new CommentNotificationHandlers(notifications as unknown as NotificationService, people as unknown as People);
  return { handlers, calls };
}

function created(data: Partial<EventOf<'comment.created'>['data']>): EventOf<'comment.created'> {
  const expenseId = randomUUID();
  return {
    id: randomUUID(), type: 'comment.created', source: 'expense-service', time: new Date().toISOString(), subject: randomUUID(), specversion: '1.0',
    data: {
      commentId: randomUUID(), expenseId, groupId: randomUUID(), userId: ann, parentId: null, parentAuthorId: null, expenseTitle: 'Dinner',
      participantIds: [ann, bob, cat], comment: 'Was the tip included?', isEdited: false, byUserId: ann, at: new Date().toISOString(), ...data,
    },
  } as EventOf<'comment.created'>;
}

const ctx = { em: {} } as unknown as HandlerContext;
const recipients = (drafts: readonly InAppDraft[]) => Object.fromEntries(drafts.map((d) => [NAMES[d.userId], d.type]));

describe('CommentNotificationHandlers', () => {
  it('tell everyone else in the expense about a comment, never the commenter, pointing at the expense with its group', async () => {
    const { handlers, calls } = setup();
    const e = created({});
    await handlers.onCreated(e, ctx);
    expect(calls).toHaveLength(1);
    expect(calls[0].actorId).toBe(ann);
    expect(recipients(calls[0].drafts)).toEqual({ Bob: 'expense_comment', Cat: 'expense_comment' });
    expect(calls[0].drafts[0]).toMatchObject({
      title: 'Ann commented on "Dinner"', message: 'Ann commented on "Dinner": "Was the tip included?"',
      relatedObjectType: 'expense', relatedObjectId: e.data.expenseId, actionUrl: `/expenses/${e.data.expenseId}`, groupId: e.data.groupId, senderId: ann,
    });
  });

  it('tell the parent comment\'s author of a reply once, as a reply, and the others as a comment', async () => {
    const { handlers, calls } = setup();
    await handlers.onCreated(created({ userId: bob, byUserId: bob, parentId: randomUUID(), parentAuthorId: cat, participantIds: [ann, bob, cat] }), ctx);
    expect(recipients(calls[0].drafts)).toEqual({ Cat: 'expense_comment_reply', Ann: 'expense_comment' });
    expect(calls[0].drafts.filter((d) => d.userId === cat)).toHaveLength(1);
    expect(calls[0].drafts.find((d) => d.userId === cat)).toMatchObject({ title: 'Bob replied to your comment on "Dinner"' });
    expect(calls[0].drafts.find((d) => d.userId === ann)).toMatchObject({ message: 'Bob replied to a comment on "Dinner": "Was the tip included?"' });
  });

  it('tell a parent author who is not in the expense (any member of the group may comment) of the reply', async () => {
    const { handlers, calls } = setup();
    await handlers.onCreated(created({ userId: bob, byUserId: bob, parentId: randomUUID(), parentAuthorId: dan, participantIds: [bob, cat] }), ctx);
    expect(recipients(calls[0].drafts)).toEqual({ Dan: 'expense_comment_reply', Cat: 'expense_comment' });
  });

  it('never tell the commenter of a reply to their own comment, nor anyone when they are alone in the expense', async () => {
    const { handlers, calls } = setup();
    await handlers.onCreated(created({ parentId: randomUUID(), parentAuthorId: ann, participantIds: [ann, bob] }), ctx);
    expect(recipients(calls[0].drafts)).toEqual({ Bob: 'expense_comment' });
    await handlers.onCreated(created({ participantIds: [ann] }), ctx);
    expect(calls[1].drafts).toEqual([]);
  });

  it('quote a long comment cut at a character, never inside a surrogate pair', () => {
    const long = '😀'.repeat(COMMENT_EXCERPT_CHARS + 5);
    const out = excerpt(long);
    expect([...out]).toHaveLength(COMMENT_EXCERPT_CHARS);
    expect(out.endsWith('😀…')).toBe(true);
    expect(excerpt('  short  ')).toBe('short');
  });
});
