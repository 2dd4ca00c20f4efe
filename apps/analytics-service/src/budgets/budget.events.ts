import type { NewEvent } from '@tally/messaging';
import type { Threshold } from './budget-threshold';
import type { TrackedBudget } from './budget.repository';

/** The event of a crossing (`analytics.budget.v1`, keyed by budget id). Amounts with the currency's places. */
export const BudgetThresholdEvents = {
  crossed: (b: TrackedBudget, amount: string, spent: string, threshold: Threshold, period: { start: string; end: string }): NewEvent<'budget.threshold_crossed'> => ({
    type: 'budget.threshold_crossed',
    subject: b.budgetId,
    data: {
      budgetId: b.budgetId, userId: b.userId, categoryId: b.categoryId, categoryName: b.categoryName, currency: b.currency, amount, spent, threshold,
      periodStart: period.start, periodEnd: period.end, at: new Date().toISOString(),
    },
    // nobody acted: the spending did
    actor: { userId: null, ip: null, userAgent: null },
  }),
};
