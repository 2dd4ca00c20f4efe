import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import { MoneyError, type BudgetPeriod, budgetPeriodOn, formatAmount, parseAmount, parseDate } from '@tally/money';
import { freshEm, inTransaction } from '@tally/persistence';
import { CursorPage, cursorPage, decodeCursor } from '@tally/service-kit';
import { CategoryRepository } from '../categories/category.repository';
import { Currency } from '../currencies/currency.entity';
import { CurrencyRepository } from '../currencies/currency.repository';
import { CreateBudgetDto, ListBudgetsQueryDto, UpdateBudgetDto } from './dto/budget.dto';
import { BudgetEvents } from './budget.events';
import { BudgetErrors } from './budget.exceptions';
import { Budget, BudgetFields, BudgetRepository } from './budget.repository';

/** A budget's amount has at most 10 digits before the point (the seed's DECIMAL(12,2)). */
export const BUDGET_MAX_INTEGER_DIGITS = 10;
/** Budget dates stay within these years (calendar arithmetic far outside them helps nobody). */
const MIN_DATE = '1900-01-01';
const MAX_DATE = '2999-12-31';

export interface BudgetView {
  id: string;
  /** null: spending in every category counts. */
  categoryId: string | null;
  /** Per period, a decimal string with the currency's places, e.g. "400.00". */
  amount: string;
  currency: string;
  period: BudgetPeriod;
  /** The first period starts on it; each next one is computed from it (month ends clamped). */
  startDate: string;
  /** Inclusive; null: no end. */
  endDate: string | null;
  /** The period containing today (UTC): start inclusive, end exclusive; null before startDate or after endDate. */
  currentPeriod: { start: string; end: string } | null;
  createdAt: string;
  updatedAt: string;
}

/** Today's calendar date in UTC. */
export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Budgets of the personal ledger (the finance seed's `budgets`): an amount of one currency per weekly,
 * monthly or yearly period from the start date, for one expense category or all of them. Only the
 * owner sees or changes one (anyone else: 404 BUDGET_NOT_FOUND); delete is soft. Every change
 * publishes its budget.* event in the same transaction; analytics-service follows spending against them.
 */
@Injectable()
export class BudgetService {
  constructor(
    private readonly orm: MikroORM,
    private readonly budgets: BudgetRepository,
    private readonly currencies: CurrencyRepository,
    private readonly categories: CategoryRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(me: string, dto: CreateBudgetDto): Promise<BudgetView> {
    return inTransaction(this.orm, async (em) => {
      const currency = await this.currency(em, dto.currency ?? 'USD');
      const categoryName = await this.categoryName(em, me, dto.categoryId ?? null);
      const fields = this.fields(currency, {
        categoryId: dto.categoryId?.toLowerCase() ?? null, amount: dto.amount, currency: currency.code, period: dto.period ?? 'monthly',
        startDate: dto.startDate ?? todayUtc(), endDate: dto.endDate ?? null,
      });
      const b = await this.budgets.insert(em, { ...fields, id: randomUUID(), userId: me, at: new Date() });
      const view = toView(b, currency.decimalPlaces);
      await this.outbox.append(em, BudgetEvents.created(view, me, categoryName, me));
      return view;
    });
  }

  async get(me: string, id: string): Promise<BudgetView> {
    const em = freshEm(this.orm);
    const b = await this.budgets.findOwn(em, me, id);
    if (!b) throw BudgetErrors.notFound();
    return toView(b, (await this.currency(em, b.currency, true)).decimalPlaces);
  }

  async list(me: string, q: ListBudgetsQueryDto): Promise<CursorPage<BudgetView>> {
    const after = decodeCursor(q.cursor);
    const em = freshEm(this.orm);
    const rows = await this.budgets.list(em, me, after, q.limit + 1);
    const places = new Map<string, number>();
    for (const b of rows) if (!places.has(b.currency)) places.set(b.currency, (await this.currency(em, b.currency, true)).decimalPlaces);
    return cursorPage(rows, q.limit, (b) => ({ at: b.createdAt, id: b.id }), (b) => toView(b, places.get(b.currency)!));
  }

  /** Absent fields stay; an amount is checked against the (new) currency's places. Nothing changed: no event. */
  async update(me: string, id: string, dto: UpdateBudgetDto): Promise<BudgetView> {
    return inTransaction(this.orm, async (em) => {
      const b = await this.budgets.findOwn(em, me, id, true);
      if (!b) throw BudgetErrors.notFound();
      const currency = await this.currency(em, dto.currency ?? b.currency, dto.currency === undefined);
      const categoryId = dto.categoryId === undefined ? b.categoryId : (dto.categoryId?.toLowerCase() ?? null);
      const categoryName = dto.categoryId === undefined ? await this.categoryName(em, me, categoryId, true) : await this.categoryName(em, me, categoryId);
      // an amount kept as it was is re-read with the currency's places (a change of currency must fit it too)
      const amount = dto.amount ?? formatStored(b.amount, currency.decimalPlaces, dto.currency !== undefined);
      const fields = this.fields(currency, {
        categoryId, amount, currency: currency.code, period: dto.period ?? b.period,
        startDate: dto.startDate ?? b.startDate, endDate: dto.endDate === undefined ? b.endDate : dto.endDate,
      });
      if (fields.currency === b.currency) {
        const before = toView(b, currency.decimalPlaces);
        if (sameFields(before, fields)) return before;
      }
      const view = toView(await this.budgets.update(em, b.id, fields), currency.decimalPlaces);
      await this.outbox.append(em, BudgetEvents.updated(view, me, categoryName, me));
      return view;
    });
  }

  async remove(me: string, id: string): Promise<void> {
    await inTransaction(this.orm, async (em) => {
      const b = await this.budgets.findOwn(em, me, id, true);
      if (!b) throw BudgetErrors.notFound();
      const currency = await this.currency(em, b.currency, true);
      const deleted = await this.budgets.softDelete(em, b.id);
      await this.outbox.append(em, BudgetEvents.deleted(toView(deleted, currency.decimalPlaces), me, await this.categoryName(em, me, b.categoryId, true), me));
    });
  }

  /** The fields checked: a positive amount with at most the currency's places, real dates in range, the end not before the start. */
  private fields(currency: Currency, f: BudgetFields): BudgetFields {
    let minor: bigint;
    try {
      minor = parseAmount(f.amount, currency.decimalPlaces, { sign: 'positive', maxIntegerDigits: BUDGET_MAX_INTEGER_DIGITS });
    } catch (err) {
      if (err instanceof MoneyError) throw BudgetErrors.invalid('amount', err.message, err.code);
      throw err;
    }
    checkDate('startDate', f.startDate);
    if (f.endDate !== null) checkDate('endDate', f.endDate);
    if (f.endDate !== null && f.endDate < f.startDate) throw BudgetErrors.endBeforeStart();
    return { ...f, amount: formatAmount(minor, currency.decimalPlaces) };
  }

  /** An active currency (a budget being read or kept may be in one deactivated since: `existing`). */
  private async currency(em: EntityManager, code: string, existing = false): Promise<Currency> {
    const c = await this.currencies.findByCode(em, code);
    if (!c || (!c.isActive && !existing)) throw BudgetErrors.unknownCurrency();
    return c;
  }

  /** The category's name, checked to be an expense category the user may use (`kept`: already on the budget, only named). */
  private async categoryName(em: EntityManager, me: string, id: string | null, kept = false): Promise<string | null> {
    if (!id) return null;
    const c = await this.categories.findVisible(em, id, me);
    if (kept) return c?.name ?? null;
    if (!c || c.categoryType !== 'expense') throw BudgetErrors.unknownCategory();
    return c.name;
  }
}

function checkDate(name: string, date: string): void {
  try {
    parseDate(date);
  } catch {
    throw BudgetErrors.invalid(name, `${name} must be a real calendar date YYYY-MM-DD.`);
  }
  if (date < MIN_DATE || date > MAX_DATE) throw BudgetErrors.invalid(name, `${name} must be from ${MIN_DATE} to ${MAX_DATE}.`);
}

/** A stored NUMERIC(13,3) amount with the currency's places; for a new currency, its extra places must be zeros (else 400). */
function formatStored(stored: string, places: number, currencyChanged: boolean): string {
  try {
    return formatAmount(parseAmount(stored, places, { lenientPlaces: true }), places);
  } catch (err) {
    if (currencyChanged && err instanceof MoneyError) throw BudgetErrors.invalid('currency', 'The budget\'s amount has more decimal places than that currency: give a new amount too.', err.code);
    throw err;
  }
}

function sameFields(v: BudgetView, f: BudgetFields): boolean {
  return v.categoryId === f.categoryId && v.amount === f.amount && v.currency === f.currency && v.period === f.period && v.startDate === f.startDate && v.endDate === f.endDate;
}

export function toView(b: Budget, places: number, today = todayUtc()): BudgetView {
  return {
    id: b.id, categoryId: b.categoryId, amount: formatAmount(parseAmount(b.amount, places, { lenientPlaces: true }), places), currency: b.currency,
    period: b.period, startDate: b.startDate, endDate: b.endDate, currentPeriod: budgetPeriodOn(b.startDate, b.period, b.endDate, today),
    createdAt: b.createdAt.toISOString(), updatedAt: b.updatedAt.toISOString(),
  };
}
