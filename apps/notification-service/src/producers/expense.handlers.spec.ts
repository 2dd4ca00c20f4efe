import { randomUUID } from 'node:crypto';
import type { EventOf, HandlerContext } from '@tally/messaging';
import type { MembershipProjectionRepository } from '@tally/projections';
import type { InAppDraft, NotificationService } from '../notifications/notification.service';
import { ExpenseNotificationHandlers } from './expense.handlers';
import type { People } from './people';

const [ann, bob, cat] = [randomUUID(), randomUUID(), randomUUID()];
const NAMES: Record<string, string> = { [ann]: 'Ann', [bob]: 'Bob', [cat]: 'Cat' };

function setup() {
  const calls: { actorId: string | null | undefined; drafts: readonly InAppDraft[] }[] = [];
  const notifications = { notify: async (_ctx: unknown, _e: unknown, actorId: string | null | undefined, drafts: readonly InAppDraft[]) => (calls.push({ actorId, drafts }), drafts.length) };
  const people = { names: async () => (id: string | null | undefined) => (id && NAMES[id]) || 'Someone' };
  const members = { admins: async () => [] };
  const handlers = new ExpenseNotificationHandlers(notifications as unknown as NotificationService, people as unknown as People, members as unknown as MembershipProjectionRepository);
  return { handlers, calls };
}

function created(data: Partial<EventOf<'expense.created'>['data']>): EventOf<'expense.created'> {
  return {
    id: randomUUID(), type: 'expense.created', source: 'expense-service', time: new Date().toISOString(), subject: randomUUID(), specversion: '1.0',
    data: {
      expenseId: randomUUID(), groupId: randomUUID(), title: 'Rent', amount: '100.00', currency: 'EUR', rateToUsd: null, expenseDate: '2026-12-06', categoryId: null,
      splitType: 'equal', payers: [{ userId: ann, amount: '100.00' }], shares: [{ userId: ann, amount: '33.34' }, { userId: bob, amount: '33.33' }, { userId: cat, amount: '33.33' }],
      isApproved: true, isDeleted: false, byUserId: ann, at: new Date().toISOString(), ...data,
    },
  } as EventOf<'expense.created'>;
}

const ctx = { em: {} } as unknown as HandlerContext;

describe('ExpenseNotificationHandlers, expense.created', () => {
  it('an expense added by hand: everyone else in it, expense_added, never the actor', async () => {
    const { handlers, calls } = setup();
    await handlers.onCreated(created({}), ctx);
    expect(calls[0].actorId).toBe(ann);
    expect(calls[0].drafts.map((d) => d.type)).toEqual(['expense_added', 'expense_added', 'expense_added']);
  });

  it('an occurrence of a recurring expense: every participant, whoever set it up included (no actor), as recurring_expense_generated about the expense', async () => {
    const { handlers, calls } = setup();
    const recurringExpenseId = randomUUID();
    const e = created({ recurringExpenseId });
    await handlers.onCreated(e, ctx);
    expect(calls).toHaveLength(1);
    expect(calls[0].actorId).toBeNull();
    expect(calls[0].drafts.map((d) => NAMES[d.userId]).sort()).toEqual(['Ann', 'Bob', 'Cat']);
    for (const d of calls[0].drafts) {
      expect(d).toMatchObject({
        type: 'recurring_expense_generated', relatedObjectType: 'expense', relatedObjectId: e.data.expenseId, actionUrl: `/expenses/${e.data.expenseId}`,
        groupId: e.data.groupId, senderId: null, metadata: { recurringExpenseId, expenseDate: '2026-12-06' },
      });
    }
    expect(calls[0].drafts.find((d) => d.userId === bob)!.message).toBe('The recurring expense "Rent" (100.00 EUR) was added for 2026-12-06: your share is 33.33 EUR.');
    expect(calls[0].drafts.find((d) => d.userId === ann)!.message).toContain('you paid 100.00 EUR, your share is 33.34 EUR');
  });

  it('a null recurringExpenseId is an ordinary expense', async () => {
    const { handlers, calls } = setup();
    await handlers.onCreated(created({ recurringExpenseId: null }), ctx);
    expect(calls[0].drafts.every((d) => d.type === 'expense_added')).toBe(true);
  });
});
