import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { parseDate } from '@tally/money';
import { NotificationService } from '../notifications/notification.service';
import { AppPaths, amountText, minor, money } from './people';

/**
 * In-app notifications from analytics-service's budget.threshold_crossed: the budget's owner is told
 * (nobody acted: no sender), once per event, about the budget. The templates get the figures as
 * `metadata.threshold` (80 or 100), `.spent` and `.amount` (decimal strings), `.currency` and `.category` (its name, null for every category).
 */
@Controller()
export class BudgetNotificationHandlers {
  constructor(private readonly notifications: NotificationService) {}

  @EventPattern('budget.threshold_crossed')
  async onThresholdCrossed(@Payload() e: EventOf<'budget.threshold_crossed'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const d = e.data;
    const amount = money(d.amount, d.currency);
    const spent = money(d.spent, d.currency);
    const budget = d.categoryName ? `${d.categoryName} budget` : 'budget';
    // the period's last day: periodEnd is exclusive
    const lastDay = parseDate(d.periodEnd).minus({ days: 1 }).toISODate();
    const span = `${d.periodStart} to ${lastDay}`;
    await this.notifications.notify(ctx, e, null, [{
      userId: d.userId, type: 'budget_threshold', senderId: null,
      title: d.threshold === 100 ? `You have spent all of your ${budget} (${amount})` : `You have spent ${d.threshold} % of your ${budget}`,
      message: d.threshold === 100
        ? `You have spent ${spent} of your ${amount} ${budget} for ${span}.`
        : `You have spent ${spent} of your ${amount} ${budget} for ${span}: ${d.threshold} % of it.`,
      relatedObjectType: 'budget', relatedObjectId: d.budgetId, actionUrl: AppPaths.budget(d.budgetId),
      metadata: {
        budgetId: d.budgetId, threshold: d.threshold, spent: amountText(minor(d.spent, d.currency), d.currency), amount: amountText(minor(d.amount, d.currency), d.currency), currency: d.currency, category: d.categoryName, categoryId: d.categoryId,
        periodStart: d.periodStart, periodEnd: d.periodEnd,
      },
    }]);
  }
}
