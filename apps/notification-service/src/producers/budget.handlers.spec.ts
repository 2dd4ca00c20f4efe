import { randomUUID } from 'node:crypto';
import type { EventOf, HandlerContext } from '@tally/messaging';
import type { InAppDraft, NotificationService } from '../notifications/notification.service';
import { BudgetNotificationHandlers } from './budget.handlers';

function setup() {
  const calls: { eventId: string; actorId: string | null | undefined; drafts: readonly InAppDraft[] }[] = [];
  const notifications = {
    notify: async (_ctx: unknown, e: { id: string }, actorId: string | null | undefined, drafts: readonly InAppDraft[]) => (calls.push({ eventId: e.id, actorId, drafts }), drafts.length),
  };
  return { handlers: new BudgetNotificationHandlers(notifications as unknown as NotificationService), calls };
}

function crossed(data: Partial<EventOf<'budget.threshold_crossed'>['data']>): EventOf<'budget.threshold_crossed'> {
  return {
    id: randomUUID(), type: 'budget.threshold_crossed', source: 'analytics-service', time: new Date().toISOString(), subject: randomUUID(), specversion: '1.0',
    data: {
      budgetId: randomUUID(), userId: randomUUID(), categoryId: randomUUID(), categoryName: 'Food & drink', currency: 'EUR', amount: '100.00', spent: '85.00',
      threshold: 80, periodStart: '2026-12-01', periodEnd: '2027-01-01', at: new Date().toISOString(), ...data,
    },
  } as EventOf<'budget.threshold_crossed'>;
}

const ctx = { em: {} } as unknown as HandlerContext;

describe('BudgetNotificationHandlers', () => {
  it('tell the budget\'s owner, from nobody, about the budget, with the figures for the templates', async () => {
    const { handlers, calls } = setup();
    const e = crossed({});
    await handlers.onThresholdCrossed(e, ctx);
    expect(calls).toEqual([{ eventId: e.id, actorId: null, drafts: [expect.objectContaining({ userId: e.data.userId, type: 'budget_threshold', senderId: null })] }]);
    expect(calls[0].drafts[0]).toMatchObject({
      title: 'You have spent 80 % of your Food & drink budget',
      message: 'You have spent 85.00 EUR of your 100.00 EUR Food & drink budget for 2026-12-01 to 2026-12-31: 80 % of it.',
      relatedObjectType: 'budget', relatedObjectId: e.data.budgetId, actionUrl: `/budgets/${e.data.budgetId}`,
      metadata: { threshold: 80, spent: '85.00', amount: '100.00', currency: 'EUR', category: 'Food & drink', periodStart: '2026-12-01', periodEnd: '2027-01-01' },
    });
  });

  it('say a budget of every category is used up at 100 %, in the currency\'s places', async () => {
    const { handlers, calls } = setup();
    await handlers.onThresholdCrossed(crossed({ categoryId: null, categoryName: null, threshold: 100, currency: 'JPY', amount: '30000', spent: '31000' }), ctx);
    expect(calls[0].drafts[0]).toMatchObject({
      title: 'You have spent all of your budget (30000 JPY)',
      message: 'You have spent 31000 JPY of your 30000 JPY budget for 2026-12-01 to 2026-12-31.',
      metadata: { threshold: 100, category: null },
    });
  });
});
