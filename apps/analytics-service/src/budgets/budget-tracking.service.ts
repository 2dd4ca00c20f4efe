import { Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { BudgetEventData, ExpenseEventData, currencyDecimals } from '@tally/contracts';
import { OutboxWriter } from '@tally/messaging';
import { type BudgetPeriod, budgetPeriodOn, formatAmount } from '@tally/money';
import { freshEm } from '@tally/persistence';
import { CursorPage, CursorQueryDto, cursorPage, decodeCursor } from '@tally/service-kit';
import { percentHundredths, thousandths, thresholdDecision } from './budget-threshold';
import { BudgetThresholdEvents } from './budget.events';
import { BudgetTrackingRepository, TrackedBudget } from './budget.repository';

/** A budget with how it stands in its current period: what GET /api/v1/analytics/budgets shows its owner. */
export interface BudgetStatusView {
  budgetId: string;
  categoryId: string | null;
  categoryName: string | null;
  /** Decimal strings with the currency's places. */
  amount: string;
  currency: string;
  period: BudgetPeriod;
  startDate: string;
  endDate: string | null;
  /** The period containing today (UTC), end exclusive; null before the start date or after the end date (then the figures are null too). */
  currentPeriod: { start: string; end: string } | null;
  /** The owner's share of approved, not deleted expenses in the category and currency, dated in the current period. */
  spent: string | null;
  /** amount − spent: negative once over. */
  remaining: string | null;
  /** spent / amount in per cent, two decimals, rounded down ("85.00"). */
  percent: string | null;
}

/** Today's calendar date in UTC: the day whose period is "current". */
const todayUtc = (now: Date) => now.toISOString().slice(0, 10);
const places = (currency: string) => currencyDecimals(currency) ?? 2;
const money = (thousandthsValue: bigint, currency: string): string => {
  const p = places(currency);
  // sums of amounts with the currency's places (at most three, as NUMERIC(…,3) holds them): dividing by 10^(3−p) is exact
  return formatAmount(p >= 3 ? thousandthsValue * 10n ** BigInt(p - 3) : thousandthsValue / 10n ** BigInt(3 - p), p);
};

/**
 * Follows spending against budgets (docs/adr/0015). Keeps, from events, the budgets (budget.*) and
 * each expense's shares per person (expense.*), and after each event checks the budgets it touches:
 * when the current period (the one containing today, UTC) has reached 80 % or 100 % of the amount
 * for the first time, the crossing is recorded (once ever per budget, period and threshold: a
 * primary key) and budget.threshold_crossed goes to the outbox in the same transaction.
 */
@Injectable()
export class BudgetTrackingService {
  constructor(
    private readonly orm: MikroORM,
    private readonly repo: BudgetTrackingRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  /** budget.created / updated / deleted: the projection, then the budget's check (a new or lowered amount may be crossed already). */
  async applyBudget(em: EntityManager, d: BudgetEventData, eventTime: string, now = new Date()): Promise<void> {
    if (!(await this.repo.upsertBudget(em, d, eventTime)) || d.isDeleted) return;
    const b = await this.repo.lockBudget(em, d.budgetId);
    if (b) await this.check(em, b, now);
  }

  /** expense.*: the expense's spending rows replaced, then the budgets of its share owners that it counts for are checked. */
  async applyExpense(em: EntityManager, d: ExpenseEventData, eventTime: string, now = new Date()): Promise<void> {
    const applied = await this.repo.replaceSpending(em, d.expenseId, {
      currency: d.currency, categoryId: d.categoryId, expenseDate: d.expenseDate, counts: d.isApproved && !d.isDeleted, shares: d.shares,
    }, eventTime);
    if (!applied) return;
    const owners = [...new Set(d.shares.map((s) => s.userId))];
    for (const b of await this.repo.lockBudgetsFor(em, owners, d.currency, d.categoryId)) await this.check(em, b, now);
  }

  /** The caller's budgets (newest first, cursor pages) with their current period's figures. */
  async listForUser(userId: string, q: CursorQueryDto, now = new Date()): Promise<CursorPage<BudgetStatusView>> {
    const after = decodeCursor(q.cursor);
    const em = freshEm(this.orm);
    const rows = await this.repo.listForUser(em, userId, after, q.limit + 1);
    const views = new Map<string, BudgetStatusView>();
    for (const b of rows.slice(0, q.limit)) views.set(b.budgetId, await this.status(em, b, now));
    return cursorPage(rows, q.limit, (b) => ({ at: b.createdAt, id: b.budgetId }), (b) => views.get(b.budgetId)!);
  }

  private async status(em: EntityManager, b: TrackedBudget, now: Date): Promise<BudgetStatusView> {
    const amount = thousandths(b.amount);
    const period = budgetPeriodOn(b.startDate, b.period, b.endDate, todayUtc(now));
    const base = {
      budgetId: b.budgetId, categoryId: b.categoryId, categoryName: b.categoryName, amount: money(amount, b.currency), currency: b.currency,
      period: b.period, startDate: b.startDate, endDate: b.endDate, currentPeriod: period,
    };
    if (!period) return { ...base, spent: null, remaining: null, percent: null };
    const spent = thousandths(await this.repo.spent(em, b.userId, b.currency, b.categoryId, period.start, period.end));
    return { ...base, spent: money(spent, b.currency), remaining: money(amount - spent, b.currency), percent: formatAmount(percentHundredths(amount, spent), 2) };
  }

  /** The budget's current period against its thresholds; the budget row is locked, so checks of one budget never interleave. */
  private async check(em: EntityManager, b: TrackedBudget, now: Date): Promise<void> {
    const period = budgetPeriodOn(b.startDate, b.period, b.endDate, todayUtc(now));
    if (!period) return;
    const spentText = await this.repo.spent(em, b.userId, b.currency, b.categoryId, period.start, period.end);
    const amount = thousandths(b.amount);
    const spent = thousandths(spentText);
    const decisions = thresholdDecision(amount, spent, await this.repo.recordedThresholds(em, b.budgetId, period.start));
    for (const { threshold, announce } of decisions) {
      const recorded = await this.repo.recordCrossing(em, { budgetId: b.budgetId, periodStart: period.start, periodEnd: period.end, threshold, spent: spentText, announced: announce });
      if (recorded && announce) {
        await this.outbox.append(em, BudgetThresholdEvents.crossed(b, money(amount, b.currency), money(spent, b.currency), threshold, period));
      }
    }
  }
}
