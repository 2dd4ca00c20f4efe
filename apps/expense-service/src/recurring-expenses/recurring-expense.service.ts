import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import { PayerInput, SplitSpec, formatAmount, parseAmount } from '@tally/money';
import { freshEm, inTransaction } from '@tally/persistence';
import { CursorPage, cursorPage, decodeCursor } from '@tally/service-kit';
import { isRealDate } from '../currencies/currency.service';
import { CurrencyRepository } from '../currencies/currency.repository';
import { CreateExpenseDto } from '../expenses/dto/expense.dto';
import { ExpenseErrors } from '../expenses/expense.exceptions';
import { ExpenseService } from '../expenses/expense.service';
import { readSplit, splitUsers } from '../expenses/split-input';
import { GroupProjectionRepository } from '../groups/group-projection.repository';
import { CreateRecurringExpenseDto, ListRecurringExpensesQueryDto, PauseRecurringExpenseDto, UpdateRecurringExpenseDto } from './dto/recurring-expense.dto';
import { skipBefore, todayUtc } from './recurrence-plan';
import { RecurringExpenseEvents } from './recurring-expense.events';
import { RecurringExpenseErrors } from './recurring-expense.exceptions';
import { RecurringExpense, RecurringExpenseRepository } from './recurring-expense.repository';

export interface RecurringExpenseView {
  id: string;
  groupId: string | null;
  title: string;
  description: string | null;
  /** Each occurrence's amount, a decimal string with the currency's places. */
  amount: string;
  currency: string;
  categoryId: string | null;
  frequency: string;
  interval: number;
  paidById: string;
  createdById: string;
  /** The payer and everyone in the split. */
  participantIds: string[];
  splitType: string;
  split: Record<string, unknown>;
  /** UTC calendar dates: the anchor, the last possible day, the next occurrence to generate. */
  startDate: string;
  endDate: string | null;
  nextDueDate: string;
  isActive: boolean;
  isPaused: boolean;
  pausedUntil: string | null;
  /** Why expense-worker deactivated it (ENDED, or the rule an occurrence broke); null otherwise. */
  deactivatedReason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** How far back a start date may be: catching up is bounded (a year of daily occurrences at most). */
const MAX_PAST_DAYS = 366;
/** How far ahead a start or pause date may be. */
const MAX_FUTURE_YEARS = 10;

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function realDate(field: string, v: string): string {
  if (!isRealDate(v)) throw RecurringExpenseErrors.invalid(field, `${field} must be a real calendar date YYYY-MM-DD.`);
  return v;
}

/**
 * Recurring expenses (templates): set up, read, edited, paused, resumed and deleted through the API;
 * expense-worker generates their occurrences (RecurringExpenseGenerator). A template is checked
 * exactly as an expense is (ExpenseService.checkDraft: the group and role, currency, split, who takes
 * part, category), so a valid template makes valid expenses. Who may see and change one follows the
 * expense rules: a group's active members read (viewers only read), outside groups its participants;
 * whoever set it up, its payer or a group admin change it; anyone else gets 404.
 */
@Injectable()
export class RecurringExpenseService {
  constructor(
    private readonly orm: MikroORM,
    private readonly templates: RecurringExpenseRepository,
    private readonly expenses: ExpenseService,
    private readonly groups: GroupProjectionRepository,
    private readonly currencies: CurrencyRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(me: string, dto: CreateRecurringExpenseDto): Promise<RecurringExpenseView> {
    const split = readSplit(dto.split);
    const paidById = (dto.paidById ?? me).toLowerCase();
    const payers: PayerInput[] = [{ userId: paidById }];
    const today = todayUtc();
    const startDate = this.checkStart(dto.startDate, today);
    const endDate = this.checkEnd(dto.endDate ?? null, startDate);
    return inTransaction(this.orm, async (em) => {
      const { group, currency, computed } = await this.expenses.checkDraft(em, me, dto, split, payers);
      const now = new Date();
      const t: RecurringExpense = {
        id: randomUUID(), title: dto.title, description: dto.description ?? null, amount: formatAmount(computed.amount, currency.decimalPlaces),
        currencyId: currency.id, currency: currency.code, categoryId: dto.categoryId ?? null, frequency: dto.frequency, interval: dto.interval ?? 1,
        groupId: group?.groupId ?? null, createdById: me, paidById, participantIds: splitUsers(split, payers), startDate, endDate,
        nextDueDate: startDate, nextOccurrenceIndex: 0, splitType: split.type, splitData: split as unknown as Record<string, unknown>,
        isActive: true, isPaused: false, pausedUntil: null, deactivatedReason: null, createdAt: now, updatedAt: now,
      };
      await this.templates.insert(em, t);
      await this.outbox.append(em, RecurringExpenseEvents.created(t, t.amount, me));
      return this.toView(t, currency.decimalPlaces);
    });
  }

  async get(me: string, id: string): Promise<RecurringExpenseView> {
    const em = freshEm(this.orm);
    return this.viewOf(em, await this.visible(em, me, id));
  }

  async list(me: string, q: ListRecurringExpensesQueryDto): Promise<CursorPage<RecurringExpenseView>> {
    const em = freshEm(this.orm);
    const rows = await this.templates.list(em, { viewerId: me, groupId: q.groupId, includeInactive: q.includeInactive === 'true', after: decodeCursor(q.cursor), take: q.limit + 1 });
    const places = new Map<string, number>();
    for (const t of rows) if (!places.has(t.currency)) places.set(t.currency, await this.places(em, t.currency));
    return cursorPage(rows, q.limit, (t) => ({ at: t.createdAt, id: t.id }), (t) => this.toView(t, places.get(t.currency)!));
  }

  /** Future occurrences only: what was generated stays. The schedule itself changes only while nothing was generated. */
  async update(me: string, id: string, dto: UpdateRecurringExpenseDto): Promise<RecurringExpenseView> {
    const newSplit = dto.split !== undefined ? readSplit(dto.split) : undefined;
    if (dto.startDate !== undefined) realDate('startDate', dto.startDate);
    if (dto.endDate) realDate('endDate', dto.endDate);
    return inTransaction(this.orm, async (em) => {
      const t = await this.changeable(em, me, id);
      const scheduleChanges = (dto.startDate !== undefined && dto.startDate !== t.startDate) || (dto.frequency !== undefined && dto.frequency !== t.frequency)
        || (dto.interval !== undefined && dto.interval !== t.interval);
      if (scheduleChanges) {
        if ((await this.templates.occurrenceCount(em, t.id)) > 0) throw RecurringExpenseErrors.scheduleFixed();
        if (dto.startDate !== undefined) t.startDate = this.checkStart(dto.startDate, todayUtc());
        t.frequency = dto.frequency ?? t.frequency;
        t.interval = dto.interval ?? t.interval;
        const next = skipBefore({ ...t, nextOccurrenceIndex: 0 }, t.startDate);
        t.nextOccurrenceIndex = next.nextOccurrenceIndex;
        t.nextDueDate = next.nextDueDate;
      }
      if (dto.endDate !== undefined) t.endDate = this.checkEnd(dto.endDate, t.startDate);
      const moneyOrPeople = dto.amount !== undefined || dto.currency !== undefined || newSplit !== undefined || dto.paidById !== undefined || dto.categoryId !== undefined;
      let places = await this.places(em, t.currency);
      if (moneyOrPeople) {
        const split = newSplit ?? (t.splitData as unknown as SplitSpec);
        const paidById = (dto.paidById ?? t.paidById).toLowerCase();
        const payers: PayerInput[] = [{ userId: paidById }];
        const categoryId = dto.categoryId !== undefined ? dto.categoryId : t.categoryId;
        // the same checks as a new expense's, as the caller: the template must still make valid expenses
        const { currency, computed } = await this.expenses.checkDraft(em, me, {
          groupId: t.groupId ?? undefined, currency: dto.currency ?? t.currency, amount: dto.amount ?? this.amountText(t.amount, places), categoryId,
        }, split, payers);
        places = currency.decimalPlaces;
        t.amount = formatAmount(computed.amount, places);
        t.currency = currency.code;
        t.currencyId = currency.id;
        t.categoryId = categoryId ?? null;
        t.paidById = paidById;
        t.participantIds = splitUsers(split, payers);
        t.splitType = split.type;
        t.splitData = split as unknown as Record<string, unknown>;
      }
      if (dto.title !== undefined) t.title = dto.title;
      if (dto.description !== undefined) t.description = dto.description;
      this.endIfPastEnd(t);
      await this.templates.update(em, t);
      await this.outbox.append(em, RecurringExpenseEvents.updated(t, this.amountText(t.amount, places), me));
      return this.toView(t, places);
    });
  }

  /** Stops generation until `until` (a later UTC date; it resumes by itself then) or until resumed. The paused span's occurrences are skipped. */
  async pause(me: string, id: string, dto: PauseRecurringExpenseDto): Promise<RecurringExpenseView> {
    const today = todayUtc();
    if (dto.until !== undefined) {
      realDate('until', dto.until);
      if (dto.until <= today) throw RecurringExpenseErrors.invalid('until', 'until must be a date after today (UTC).');
      if (dto.until > addDays(today, 366 * MAX_FUTURE_YEARS)) throw RecurringExpenseErrors.invalid('until', `until must be within ${MAX_FUTURE_YEARS} years.`);
    }
    return inTransaction(this.orm, async (em) => {
      const t = await this.changeable(em, me, id);
      t.isPaused = true;
      t.pausedUntil = dto.until ?? null;
      await this.templates.update(em, t);
      const places = await this.places(em, t.currency);
      await this.outbox.append(em, RecurringExpenseEvents.paused(t, this.amountText(t.amount, places), me));
      return this.toView(t, places);
    });
  }

  /** Generation goes on from today's (UTC) occurrence: those dated before it, in the pause, are skipped, not back-filled. */
  async resume(me: string, id: string): Promise<RecurringExpenseView> {
    return inTransaction(this.orm, async (em) => {
      const t = await this.changeable(em, me, id);
      if (!t.isPaused) throw RecurringExpenseErrors.notPaused();
      Object.assign(t, { isPaused: false, pausedUntil: null }, skipBefore(t, todayUtc()));
      this.endIfPastEnd(t);
      await this.templates.update(em, t);
      const places = await this.places(em, t.currency);
      await this.outbox.append(em, RecurringExpenseEvents.resumed(t, this.amountText(t.amount, places), me));
      return this.toView(t, places);
    });
  }

  /** Deactivates it: nothing more is generated; the expenses it generated stay. */
  async remove(me: string, id: string): Promise<RecurringExpenseView> {
    return inTransaction(this.orm, async (em) => {
      const t = await this.changeable(em, me, id);
      t.isActive = false;
      t.isPaused = false;
      t.pausedUntil = null;
      await this.templates.update(em, t);
      const places = await this.places(em, t.currency);
      await this.outbox.append(em, RecurringExpenseEvents.deleted(t, this.amountText(t.amount, places), me));
      return this.toView(t, places);
    });
  }

  // ---- rules --------------------------------------------------------------------------------

  private checkStart(startDate: string, today: string): string {
    realDate('startDate', startDate);
    if (startDate < addDays(today, -MAX_PAST_DAYS)) throw RecurringExpenseErrors.invalid('startDate', `startDate may be at most ${MAX_PAST_DAYS} days ago.`);
    if (startDate > addDays(today, 366 * MAX_FUTURE_YEARS)) throw RecurringExpenseErrors.invalid('startDate', `startDate must be within ${MAX_FUTURE_YEARS} years.`);
    return startDate;
  }

  private checkEnd(endDate: string | null, startDate: string): string | null {
    if (endDate === null) return null;
    realDate('endDate', endDate);
    if (endDate < startDate) throw RecurringExpenseErrors.invalid('endDate', 'endDate must be on or after startDate.');
    return endDate;
  }

  /** A template whose next occurrence falls after its end date has ended. */
  private endIfPastEnd(t: RecurringExpense): void {
    if (t.endDate !== null && t.nextDueDate > t.endDate) {
      t.isActive = false;
      t.deactivatedReason = 'ENDED';
    }
  }

  /** The template, if the caller may see it (404 otherwise): a group's active members; outside groups, its participants. */
  private async visible(em: EntityManager, me: string, id: string, lock = false): Promise<RecurringExpense> {
    const t = await this.templates.findById(em, id, lock);
    if (!t) throw RecurringExpenseErrors.notFound();
    if (t.groupId) {
      const g = await this.groups.find(em, t.groupId, me);
      if (!g || !g.groupActive || !g.memberActive) throw RecurringExpenseErrors.notFound();
    } else if (t.createdById !== me && !t.participantIds.includes(me)) {
      throw RecurringExpenseErrors.notFound();
    }
    return t;
  }

  /** The template locked, if the caller may change it: whoever set it up, its payer, or a group admin; never a viewer; active only. */
  private async changeable(em: EntityManager, me: string, id: string): Promise<RecurringExpense> {
    const t = await this.visible(em, me, id, true);
    let admin = false;
    if (t.groupId) {
      const g = (await this.groups.find(em, t.groupId, me))!;
      if (g.role === 'viewer') throw ExpenseErrors.viewerReadOnly();
      if (g.groupArchived) throw ExpenseErrors.groupArchived();
      admin = g.role === 'admin';
    }
    if (!admin && t.createdById !== me && t.paidById !== me) throw RecurringExpenseErrors.notOwner();
    if (!t.isActive) throw RecurringExpenseErrors.inactive();
    return t;
  }

  // ---- views --------------------------------------------------------------------------------

  private async places(em: EntityManager, code: string): Promise<number> {
    return (await this.currencies.findByCode(em, code))?.decimalPlaces ?? 2;
  }

  /** NUMERIC(16,3) text as the currency's places ("12.500" → "12.50" in USD). */
  private amountText(amount: string, places: number): string {
    return formatAmount(parseAmount(amount, places, { lenientPlaces: true }), places);
  }

  private async viewOf(em: EntityManager, t: RecurringExpense): Promise<RecurringExpenseView> {
    return this.toView(t, await this.places(em, t.currency));
  }

  private toView(t: RecurringExpense, places: number): RecurringExpenseView {
    return {
      id: t.id, groupId: t.groupId, title: t.title, description: t.description, amount: this.amountText(t.amount, places), currency: t.currency,
      categoryId: t.categoryId, frequency: t.frequency, interval: t.interval, paidById: t.paidById, createdById: t.createdById,
      participantIds: [...t.participantIds].sort(), splitType: t.splitType, split: t.splitData, startDate: t.startDate, endDate: t.endDate,
      nextDueDate: t.nextDueDate, isActive: t.isActive, isPaused: t.isPaused, pausedUntil: t.pausedUntil, deactivatedReason: t.deactivatedReason,
      createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString(),
    };
  }
}

/** The expense an occurrence of the template makes (its date is the occurrence's: ExpenseService.createIn). */
export function expenseDraftOf(t: RecurringExpense, places: number): CreateExpenseDto {
  return {
    title: t.title, description: t.description, amount: formatAmount(parseAmount(t.amount, places, { lenientPlaces: true }), places),
    currency: t.currency, categoryId: t.categoryId, ...(t.groupId ? { groupId: t.groupId } : {}), split: t.splitData,
  } as CreateExpenseDto;
}
