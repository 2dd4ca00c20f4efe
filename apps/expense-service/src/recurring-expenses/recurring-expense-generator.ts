import type { Logger } from 'pino';
import { MikroORM } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import { PayerInput, SplitSpec, formatAmount, parseAmount } from '@tally/money';
import { freshEm, inTransaction } from '@tally/persistence';
import { DomainException } from '@tally/service-kit';
import { CurrencyRepository } from '../currencies/currency.repository';
import { ExpenseService } from '../expenses/expense.service';
import { MAX_OCCURRENCES_PER_RUN, planGeneration, skipBefore, todayUtc } from './recurrence-plan';
import { RecurringExpenseEvents } from './recurring-expense.events';
import { RecurringExpense, RecurringExpenseRepository } from './recurring-expense.repository';
import { expenseDraftOf } from './recurring-expense.service';

export interface GenerationResult {
  /** Expenses generated. */
  generated: number;
  /** Templates deactivated: ended, or unable to generate. */
  deactivated: number;
}

/**
 * Generates the due occurrences of recurring expenses (expense-worker's `generate-recurring-expenses`
 * job, on a schedule). Each due template is handled in its own transaction with its row locked
 * (`FOR UPDATE SKIP LOCKED`: a template another worker holds is left to it): every occurrence from the
 * next one up to today (UTC), at most `perRun` of them (the rest next run), each a real expense made
 * by ExpenseService.createIn (the API's own path: shares, payers, expense.created with
 * `recurringExpenseId` and the occurrence's date) and recorded in `recurring_expense_occurrences`,
 * whose primary key (template, occurrence index) makes a second generation of it impossible. Then
 * `next_due_date` moves to the next occurrence, computed from the start date. A template that can no
 * longer generate (the expense rules refuse it: a participant left the group, the group is gone or
 * archived, the currency is no longer active...) is deactivated with recurring_expense.deactivated and
 * the rule's code as `reason`, rather than failing every run; one past its end date likewise (ENDED).
 */
export class RecurringExpenseGenerator {
  constructor(
    private readonly orm: MikroORM,
    private readonly templates: RecurringExpenseRepository,
    private readonly expenses: ExpenseService,
    private readonly currencies: CurrencyRepository,
    private readonly outbox: OutboxWriter,
    private readonly logger?: Logger,
    private readonly perRun = MAX_OCCURRENCES_PER_RUN,
  ) {}

  /**
   * One sweep on `today` (UTC by default). A template that fails unexpectedly (not a rule it breaks:
   * those deactivate it) rolls back alone and the others still run; the sweep then fails, naming how
   * many, so the job is retried (idempotent) and its failure shows in the queue's metrics.
   */
  async run(today = todayUtc()): Promise<GenerationResult> {
    const result: GenerationResult = { generated: 0, deactivated: 0 };
    const failed: string[] = [];
    let after: string | undefined;
    for (;;) {
      const ids = await this.templates.dueIds(freshEm(this.orm), today, 200, after);
      for (const id of ids) {
        try {
          const r = await this.generate(id, today);
          result.generated += r.generated;
          result.deactivated += r.deactivated;
        } catch (err) {
          failed.push(id);
          this.logger?.error({ recurringExpenseId: id, err: (err as Error).message }, 'recurring expense generation failed');
        }
      }
      if (ids.length < 200) break;
      after = ids[ids.length - 1];
    }
    if (failed.length) throw new Error(`${failed.length} recurring expense(s) failed to generate (${failed.slice(0, 5).join(', ')}); ${result.generated} generated`);
    return result;
  }

  /** One template's due occurrences, in one transaction; nothing when it is not due any more or another worker holds it. */
  async generate(id: string, today = todayUtc()): Promise<GenerationResult> {
    return inTransaction(this.orm, async (em) => {
      const t = await this.templates.lockDue(em, id, today);
      if (!t) return { generated: 0, deactivated: 0 };
      const places = (await this.currencies.findByCode(em, t.currency))?.decimalPlaces ?? 3;
      const amount = formatAmount(parseAmount(t.amount, places, { lenientPlaces: true }), places);
      const plan = planGeneration(t, today, this.perRun);
      if (plan.resumes) {
        Object.assign(t, { isPaused: false, pausedUntil: null }, skipBefore(t, t.pausedUntil!));
        await this.outbox.append(em, RecurringExpenseEvents.resumed(t, amount, null));
      }
      const draft = expenseDraftOf(t, places);
      const split = t.splitData as unknown as SplitSpec;
      const payers: PayerInput[] = [{ userId: t.paidById }];
      let parent = await this.templates.firstExpenseId(em, t.id);
      let generated = 0;
      for (const o of plan.occurrences) {
        let expenseId: string;
        try {
          // as its creator: the same rules a person adding it by hand meets
          expenseId = (await this.expenses.createIn(em, t.createdById, draft, split, payers, { recurringExpenseId: t.id, date: o.date, parentExpenseId: parent })).id;
        } catch (err) {
          if (!(err instanceof DomainException)) throw err;
          const field = ((err.extra.errors as { field?: string }[] | undefined) ?? [])[0]?.field;
          return { generated, deactivated: await this.deactivate(em, t, amount, field ? `${err.code}:${field}` : err.code, o.index) };
        }
        if (!(await this.templates.recordOccurrence(em, t.id, o.index, o.date, expenseId))) {
          // the row lock makes this impossible; should it happen, nothing of this transaction stays
          throw new Error(`occurrence ${o.index} of recurring expense ${t.id} was generated already`);
        }
        parent ??= expenseId;
        generated++;
      }
      t.nextOccurrenceIndex = plan.nextOccurrenceIndex;
      t.nextDueDate = plan.nextDueDate;
      let deactivated = 0;
      if (plan.ended) deactivated = await this.deactivate(em, t, amount, 'ENDED');
      else await this.templates.update(em, t);
      if (generated) this.logger?.info({ recurringExpenseId: t.id, generated, nextDueDate: t.nextDueDate }, 'recurring expense occurrences generated');
      return { generated, deactivated };
    });
  }

  /** Stops the template for good, saying why; `at`: the occurrence it stopped at (the next due one). */
  private async deactivate(em: Parameters<RecurringExpenseRepository['update']>[0], t: RecurringExpense, amount: string, reason: string, at?: number): Promise<number> {
    if (at !== undefined && at > t.nextOccurrenceIndex) Object.assign(t, skipBefore({ ...t, nextOccurrenceIndex: at }, t.startDate));
    t.isActive = false;
    t.isPaused = false;
    t.pausedUntil = null;
    t.deactivatedReason = reason.slice(0, 100);
    await this.templates.update(em, t);
    await this.outbox.append(em, RecurringExpenseEvents.deactivated(t, amount, t.deactivatedReason));
    if (reason !== 'ENDED') this.logger?.warn({ recurringExpenseId: t.id, reason }, 'recurring expense deactivated: it can no longer generate');
    return 1;
  }
}
