import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { currencyId } from '@tally/contracts';
import { IdentityProjectionRepository } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import {
  MoneyError, PayerInput, SplitSpec, UserAmount, computeSplit, formatAmount, parseAmount,
} from '@tally/money';
import { freshEm, inTransaction } from '@tally/persistence';
import { FriendshipProjectionRepository, MembershipProjectionRepository } from '@tally/projections';
import { CursorPage, DomainException } from '@tally/service-kit';
import { CategoryRepository } from '../categories/category.repository';
import { Currency } from '../currencies/currency.entity';
import { CurrencyRepository } from '../currencies/currency.repository';
import { isRealDate } from '../currencies/currency.service';
import { GroupMemberRecord, GroupProjectionRepository } from '../groups/group-projection.repository';
import { TagRepository } from '../tags/tag.repository';
import { CreateExpenseDto, ListExpensesQueryDto, UpdateExpenseDto } from './dto/expense.dto';
import { Expense, ExpensePayer, ExpenseShare } from './expense.entity';
import { ExpenseEvents, ExpenseMoney } from './expense.events';
import { ExpenseErrors } from './expense.exceptions';
import { ExpenseCursor, ExpenseRepository } from './expense.repository';
import { readPayers, readSplit, splitUsers } from './split-input';

export interface ExpenseView {
  id: string;
  groupId: string | null;
  title: string;
  description: string | null;
  /** Decimal string with the currency's places. */
  amount: string;
  currency: string;
  categoryId: string | null;
  expenseDate: string;
  vendor: string | null;
  location: string | null;
  notes: string | null;
  tags: string[];
  splitType: string;
  /** The split as given (itemized bills keep their items here). */
  split: Record<string, unknown>;
  payers: { userId: string; amount: string }[];
  /** `settledAmount`: what completed settlements have paid of the share so far; `isSettled` once that is all of it. */
  shares: { userId: string; amount: string; isSettled: boolean; settledAmount: string }[];
  isSettled: boolean;
  requiresApproval: boolean;
  isApproved: boolean;
  approvedById: string | null;
  approvedAt: string | null;
  isDeleted: boolean;
  deletedAt: string | null;
  deletedById: string | null;
  /** US dollars per unit when the expense was saved (null: no rate known then). */
  exchangeRateToUsd: string | null;
  createdById: string;
  createdAt: string;
  updatedAt: string;
}

/** Today's date (YYYY-MM-DD) in a time zone; UTC when the zone is unknown. */
export function todayIn(timezone: string | null | undefined, now = new Date()): string {
  try {
    const zone = timezone || 'UTC';
    let f = DATE_FORMATS.get(zone);
    if (!f) {
      f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
      if (DATE_FORMATS.size < 1000) DATE_FORMATS.set(zone, f); // one per time zone (there are a few hundred)
    }
    return f.format(now);
  } catch {
    return now.toISOString().slice(0, 10);
  }
}

/** Building a formatter costs far more than formatting: one per time zone, kept. */
const DATE_FORMATS = new Map<string, Intl.DateTimeFormat>();

function moneyError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof MoneyError) throw ExpenseErrors.invalidSplit(err.code, err.message, { ...err.details });
    throw err;
  }
}

interface Access {
  group: GroupMemberRecord | null;
}

/** An occurrence of a recurring expense that expense-worker generates as an expense. */
export interface RecurringOccurrence {
  recurringExpenseId: string;
  /** The occurrence's date (UTC calendar date): the expense's date. */
  date: string;
  /** The template's first generated expense (the seed's parent_expense_id), null for that first one. */
  parentExpenseId: string | null;
}

/**
 * Shared expenses. An expense belongs to a group (its active members take part; viewers only read)
 * or is between friends outside groups (the caller and accepted friends). Amounts are exact: the
 * split is computed by @tally/money (shares and payers each sum exactly to the amount; leftover minor
 * units by its documented largest-remainder rule, independent of the order people are listed in), and
 * an edit that changes neither amount, currency, payers nor split never moves a cent. Every change
 * publishes its expense.* event, with what the expense moved before, in the same transaction.
 */
@Injectable()
export class ExpenseService {
  constructor(
    private readonly orm: MikroORM,
    private readonly expenses: ExpenseRepository,
    private readonly currencies: CurrencyRepository,
    private readonly categories: CategoryRepository,
    private readonly groups: GroupProjectionRepository,
    private readonly members: MembershipProjectionRepository,
    private readonly friendships: FriendshipProjectionRepository,
    private readonly tags: TagRepository,
    private readonly users: IdentityProjectionRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(me: string, dto: CreateExpenseDto): Promise<ExpenseView> {
    const split = readSplit(dto.split);
    const payerInput = dto.payers === undefined ? [{ userId: me }] : readPayers(dto.payers);
    return inTransaction(this.orm, (em) => this.createIn(em, me, dto, split, payerInput));
  }

  /**
   * Creates an expense in the caller's transaction: the API's path, and expense-worker's for each
   * occurrence of a recurring expense (`occurrence`: its date is the occurrence's, trusted, and its
   * expense.created carries `recurringExpenseId`). The same rules, shares, rows and event either way.
   */
  async createIn(em: EntityManager, me: string, dto: CreateExpenseDto, split: SplitSpec, payerInput: PayerInput[], occurrence?: RecurringOccurrence): Promise<ExpenseView> {
    const { group, currency, computed } = await this.checkDraft(em, me, dto, split, payerInput);
    const mainPayer = this.mainPayer(computed.payers);
    const expenseDate = occurrence ? occurrence.date : await this.checkDate(em, dto.expenseDate, mainPayer);

    const e = new Expense();
    e.id = randomUUID();
    e.title = dto.title;
    e.description = dto.description ?? null;
    e.amount = formatAmount(computed.amount, currency.decimalPlaces);
    e.currency = currency.code;
    e.currencyId = currency.id;
    e.exchangeRateToUsd = currency.exchangeRateToUsd ?? null;
    e.categoryId = dto.categoryId ?? null;
    // the table's check ties 'group' to group_id: a generated expense outside groups is 'recurring'
    e.expenseType = group ? 'group' : occurrence ? 'recurring' : 'individual';
    e.isRecurring = !!occurrence;
    e.parentExpenseId = occurrence?.parentExpenseId ?? null;
    e.groupId = group?.groupId ?? null;
    e.paidById = mainPayer;
    e.expenseDate = expenseDate;
    e.splitType = split.type;
    e.splitData = split as unknown as Record<string, unknown>;
    e.vendor = dto.vendor ?? null;
    e.location = dto.location ?? null;
    e.notes = dto.notes ?? null;
    e.requiresApproval = group?.requiresApproval ?? false;
    e.isApproved = !e.requiresApproval;
    e.createdById = me;
    const tagNames = this.tagNames(dto.tags);
    const tagIds = await this.tags.idsFor(em, tagNames);
    const payerRows = this.payerRows(e, computed.payers, currency);
    const shareRows = this.shareRows(e, computed.shares, mainPayer, currency);
    await this.expenses.insert(em, e, payerRows, shareRows, tagIds);
    await this.outbox.append(em, ExpenseEvents.created(e, this.money(e, computed.payers, computed.shares, currency), me, occurrence?.recurringExpenseId));
    // The view from what was just written: no second read.
    return this.toView(e, currency.decimalPlaces, payerRows, shareRows, tagNames);
  }

  /**
   * What creating an expense checks before anything is written: the group (the caller an active
   * member, not a viewer; not archived), the currency (active), the split computed exactly, who takes
   * part (members; outside groups the caller and friends), the category. Recurring expenses run it
   * when they are set up and edited, so a template is valid exactly when an expense would be.
   */
  async checkDraft(
    em: EntityManager, me: string, d: Pick<CreateExpenseDto, 'groupId' | 'currency' | 'amount' | 'categoryId'>, split: SplitSpec, payerInput: PayerInput[],
  ): Promise<{ group: GroupMemberRecord | null; currency: Currency; computed: ReturnType<typeof computeSplit> }> {
    const group = d.groupId ? await this.writableGroup(em, d.groupId, me) : null;
    const currency = await this.currency(em, d.currency ?? group?.currency ?? 'USD');
    const computed = moneyError(() => computeSplit({ amount: d.amount, currency, split, payers: payerInput }));
    await this.checkParticipants(em, me, group, splitUsers(split, payerInput));
    if (d.categoryId) await this.checkCategory(em, d.categoryId, me);
    return { group, currency, computed };
  }

  async get(me: string, id: string): Promise<ExpenseView> {
    const em = freshEm(this.orm);
    const e = await this.visible(em, me, id);
    return this.viewOf(em, e);
  }

  async list(me: string, q: ListExpensesQueryDto): Promise<CursorPage<ExpenseView>> {
    for (const [field, value] of [['dateFrom', q.dateFrom], ['dateTo', q.dateTo]] as const) {
      if (value !== undefined && !isRealDate(value)) {
        throw new DomainException('INVALID_QUERY', `${field} must be a real calendar date YYYY-MM-DD.`, 400, { errors: [{ field, message: 'not a calendar date' }] });
      }
    }
    const em = freshEm(this.orm);
    let categoryIds: string[] | undefined;
    if (q.categoryId) categoryIds = await this.categories.withDescendants(em, q.categoryId);
    let tagId: string | undefined;
    if (q.tag) {
      const tag = await this.tags.findByName(em, q.tag.trim().toLowerCase());
      if (!tag) return { items: [], nextCursor: null, limit: q.limit };
      tagId = tag.id;
    }
    const rows = await this.expenses.list(em, {
      viewerId: me, groupId: q.groupId, friendId: q.friendId, payerId: q.payerId, participantId: q.participantId, categoryIds, tagId,
      dateFrom: q.dateFrom, dateTo: q.dateTo, amountMin: q.amountMin, amountMax: q.amountMax,
      settled: q.settled === undefined ? undefined : q.settled === 'true', includeDeleted: q.includeDeleted === 'true', q: q.q,
      after: decodeExpenseCursor(q.cursor), take: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const views = await this.viewsOf(em, page);
    const last = page[page.length - 1];
    return { items: views, nextCursor: rows.length > q.limit && last ? encodeExpenseCursor({ date: last.expenseDate, createdAt: last.createdAt, id: last.id }) : null, limit: q.limit };
  }

  async update(me: string, id: string, dto: UpdateExpenseDto): Promise<ExpenseView> {
    const newSplit = dto.split !== undefined ? readSplit(dto.split) : undefined;
    const newPayers = dto.payers !== undefined ? readPayers(dto.payers) : undefined;
    return inTransaction(this.orm, async (em) => {
      const { e, group } = await this.changeable(em, me, id);
      if (e.isDeleted) throw ExpenseErrors.alreadyDeleted();
      const before = await this.currentMoney(em, e);
      const moneyChanges = dto.amount !== undefined || dto.currency !== undefined || newSplit !== undefined || newPayers !== undefined;
      let after = before;
      if (moneyChanges) {
        if (await this.hasSettledShares(em, e.id)) throw ExpenseErrors.settled();
        const currency = await this.currency(em, dto.currency ?? e.currency);
        const split = newSplit ?? (e.splitData as unknown as SplitSpec);
        const payers: PayerInput[] = newPayers ?? before.payers.map((p) => ({ userId: p.userId, amount: p.amount }));
        const computed = moneyError(() => computeSplit({
          amount: dto.amount ?? before.amount,
          currency,
          split,
          // the old payers' amounts are the old total's: with a new amount, a single payer pays it all again
          payers: dto.amount !== undefined && newPayers === undefined && payers.length === 1 ? [{ userId: payers[0].userId }] : payers,
        }));
        await this.checkParticipants(em, me, group, splitUsers(split, payers));
        const mainPayer = this.mainPayer(computed.payers);
        e.amount = formatAmount(computed.amount, currency.decimalPlaces);
        e.currency = currency.code;
        e.currencyId = currency.id;
        if (dto.currency !== undefined) e.exchangeRateToUsd = currency.exchangeRateToUsd ?? null;
        e.paidById = mainPayer;
        e.splitType = split.type;
        e.splitData = split as unknown as Record<string, unknown>;
        await this.expenses.replaceParts(em, e.id, this.payerRows(e, computed.payers, currency), this.shareRows(e, computed.shares, mainPayer, currency));
        after = this.money(e, computed.payers, computed.shares, currency);
      }
      if (dto.title !== undefined) e.title = dto.title;
      if (dto.description !== undefined) e.description = dto.description;
      if (dto.vendor !== undefined) e.vendor = dto.vendor;
      if (dto.location !== undefined) e.location = dto.location;
      if (dto.notes !== undefined) e.notes = dto.notes;
      if (dto.categoryId !== undefined) {
        if (dto.categoryId) await this.checkCategory(em, dto.categoryId, me);
        e.categoryId = dto.categoryId;
      }
      if (dto.expenseDate !== undefined) e.expenseDate = await this.checkDate(em, dto.expenseDate, e.paidById);
      if (dto.tags !== undefined) await this.expenses.replaceTags(em, e.id, await this.tags.idsFor(em, this.tagNames(dto.tags)));
      e.updatedAt = new Date();
      await this.expenses.save(em);
      await this.outbox.append(em, ExpenseEvents.updated(e, after, me, before));
      return this.viewOf(em, e);
    });
  }

  async remove(me: string, id: string): Promise<ExpenseView> {
    return inTransaction(this.orm, async (em) => {
      const { e } = await this.changeable(em, me, id);
      if (e.isDeleted) throw ExpenseErrors.alreadyDeleted();
      if (await this.hasSettledShares(em, e.id)) throw ExpenseErrors.settled();
      const before = await this.currentMoney(em, e);
      e.isDeleted = true;
      e.deletedAt = new Date();
      e.deletedById = me;
      await this.expenses.save(em);
      await this.outbox.append(em, ExpenseEvents.deleted(e, { ...before, isDeleted: true }, me, before));
      return this.viewOf(em, e);
    });
  }

  async restore(me: string, id: string): Promise<ExpenseView> {
    return inTransaction(this.orm, async (em) => {
      const { e } = await this.changeable(em, me, id);
      if (!e.isDeleted) throw ExpenseErrors.notDeleted();
      const before = await this.currentMoney(em, e);
      e.isDeleted = false;
      e.deletedAt = null;
      e.deletedById = null;
      await this.expenses.save(em);
      await this.outbox.append(em, ExpenseEvents.restored(e, { ...before, isDeleted: false }, me, before));
      return this.viewOf(em, e);
    });
  }

  /** A group admin lets an expense of a group that requires approval count in the balances. */
  async approve(me: string, id: string): Promise<ExpenseView> {
    return inTransaction(this.orm, async (em) => {
      const e = await this.visible(em, me, id, true);
      if (!e.groupId) throw ExpenseErrors.notAwaitingApproval();
      const g = await this.groups.find(em, e.groupId, me);
      if (g?.role !== 'admin') throw ExpenseErrors.adminRequired('approve expenses');
      if (g.groupArchived) throw ExpenseErrors.groupArchived();
      if (e.isApproved || e.isDeleted) throw ExpenseErrors.notAwaitingApproval();
      const before = await this.currentMoney(em, e);
      e.isApproved = true;
      e.approvedById = me;
      e.approvedAt = new Date();
      await this.expenses.save(em);
      await this.outbox.append(em, ExpenseEvents.approved(e, { ...before, isApproved: true }, me, before));
      return this.viewOf(em, e);
    });
  }

  // ---- rules --------------------------------------------------------------------------------

  /** The group, if the caller may add expenses to it: an active member who is not a viewer; not archived. */
  private async writableGroup(em: EntityManager, groupId: string, me: string): Promise<GroupMemberRecord> {
    const g = await this.groups.find(em, groupId, me);
    if (!g || !g.groupActive || !g.memberActive) throw ExpenseErrors.groupNotFound();
    if (g.role === 'viewer') throw ExpenseErrors.viewerReadOnly();
    if (g.groupArchived) throw ExpenseErrors.groupArchived();
    return g;
  }

  /** The expense, if the caller may see it (404 otherwise); `lock` takes its row. */
  private async visible(em: EntityManager, me: string, id: string, lock = false): Promise<Expense> {
    const e = await this.expenses.findById(em, id, lock);
    if (!e) throw ExpenseErrors.notFound();
    if (e.groupId) {
      const g = await this.groups.find(em, e.groupId, me);
      if (!g || !g.groupActive || !g.memberActive) throw ExpenseErrors.notFound();
    } else {
      const { payers, shares } = await this.expenses.parts(em, [e.id]);
      const involved = [...(payers.get(e.id) ?? []), ...(shares.get(e.id) ?? [])].some((p) => p.userId === me) || e.createdById === me;
      if (!involved) throw ExpenseErrors.notFound();
    }
    return e;
  }

  /** The expense locked, if the caller may change it: whoever added it, a payer, or (in a group) an admin; never a viewer. */
  private async changeable(em: EntityManager, me: string, id: string): Promise<{ e: Expense; group: GroupMemberRecord | null }> {
    const e = await this.visible(em, me, id, true);
    let group: GroupMemberRecord | null = null;
    if (e.groupId) {
      group = await this.writableGroup(em, e.groupId, me);
      if (group.role === 'admin') return { e, group };
    }
    const { payers } = await this.expenses.parts(em, [e.id]);
    if (e.createdById !== me && !(payers.get(e.id) ?? []).some((p) => p.userId === me)) throw ExpenseErrors.notCreatorOrAdmin();
    return { e, group };
  }

  private async checkParticipants(em: EntityManager, me: string, group: Access['group'], userIds: string[]): Promise<void> {
    if (group) {
      const members = new Set(await this.members.activeMembers(em, group.groupId));
      for (const u of userIds) if (!members.has(u)) throw ExpenseErrors.notParticipant(u);
      return;
    }
    if (!userIds.includes(me)) throw ExpenseErrors.selfNotIncluded();
    for (const u of userIds) if (u !== me && !(await this.friendships.areFriends(em, me, u))) throw ExpenseErrors.notParticipant(u);
  }

  private async checkCategory(em: EntityManager, id: string, me: string): Promise<void> {
    const c = await this.categories.findVisible(em, id, me);
    if (!c || c.categoryType !== 'expense') throw ExpenseErrors.unknownCategory();
  }

  private async checkDate(em: EntityManager, date: string | undefined, payerId: string): Promise<string> {
    const payer = (await this.users.findUsers(em, [payerId])).get(payerId);
    const today = todayIn(payer?.timezone);
    if (date === undefined) return today;
    const d = new Date(`${date}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== date) {
      throw new DomainException('INVALID_EXPENSE', 'expenseDate must be a real calendar date YYYY-MM-DD.', 400, { errors: [{ field: 'expenseDate', message: 'not a calendar date' }] });
    }
    if (date > today) throw ExpenseErrors.futureDate();
    if (date < '1900-01-01') throw new DomainException('INVALID_EXPENSE', 'expenseDate is too far in the past.', 400, { errors: [{ field: 'expenseDate', message: 'from 1900-01-01' }] });
    return date;
  }

  private async currency(em: EntityManager, code: string): Promise<Currency> {
    const c = await this.currencies.findByCode(em, code);
    if (!c || !c.isActive) throw ExpenseErrors.unknownCurrency();
    return c;
  }

  private async hasSettledShares(em: EntityManager, expenseId: string): Promise<boolean> {
    const { shares } = await this.expenses.parts(em, [expenseId]);
    // a share partly paid by a settlement counts too: changing it would lose what was paid (docs/adr/0012)
    return (shares.get(expenseId) ?? []).some((s) => s.isSettled || !/^0(\.0*)?$/.test(String(s.settledAmount ?? '0')));
  }

  /** The largest payer (ties: the smallest user id): the seed's single `paid_by_id`. */
  private mainPayer(payers: readonly UserAmount[]): string {
    return [...payers].sort((a, b) => (a.amount === b.amount ? (a.userId < b.userId ? -1 : 1) : a.amount > b.amount ? -1 : 1))[0].userId;
  }

  private tagNames(tags: string[] | undefined): string[] {
    return [...new Set((tags ?? []).map((t) => t.trim().toLowerCase()).filter(Boolean))].sort();
  }

  // ---- rows, money, views -------------------------------------------------------------------

  private payerRows(e: Expense, payers: readonly UserAmount[], c: Currency): ExpensePayer[] {
    return payers.map((p) => Object.assign(new ExpensePayer(), { expenseId: e.id, userId: p.userId, amount: formatAmount(p.amount, c.decimalPlaces) }));
  }

  private shareRows(e: Expense, shares: readonly UserAmount[], paidById: string, c: Currency): ExpenseShare[] {
    return shares.map((s) => Object.assign(new ExpenseShare(), {
      id: randomUUID(), expenseId: e.id, userId: s.userId, amount: formatAmount(s.amount, c.decimalPlaces), currencyId: currencyId(c.code), paidById,
    }));
  }

  private money(e: Expense, payers: readonly UserAmount[], shares: readonly UserAmount[], c: Currency): ExpenseMoney {
    return {
      amount: formatAmount(parseAmount(e.amount, c.decimalPlaces, { lenientPlaces: true }), c.decimalPlaces),
      currency: c.code,
      rateToUsd: e.exchangeRateToUsd ?? null,
      payers: payers.map((p) => ({ userId: p.userId, amount: formatAmount(p.amount, c.decimalPlaces) })),
      shares: shares.map((s) => ({ userId: s.userId, amount: formatAmount(s.amount, c.decimalPlaces) })),
      isApproved: e.isApproved,
      isDeleted: e.isDeleted,
    };
  }

  private async currentMoney(em: EntityManager, e: Expense): Promise<ExpenseMoney> {
    const c = await this.currency(em, e.currency);
    const { payers, shares } = await this.expenses.parts(em, [e.id]);
    const read = (rows: { userId: string; amount: string }[]) => rows.map((r) => ({ userId: r.userId, amount: parseAmount(r.amount, c.decimalPlaces, { lenientPlaces: true }) }));
    return this.money(e, read(payers.get(e.id) ?? []), read(shares.get(e.id) ?? []), c);
  }

  private async viewOf(em: EntityManager, e: Expense): Promise<ExpenseView> {
    return (await this.viewsOf(em, [e]))[0];
  }

  private async viewsOf(em: EntityManager, rows: Expense[]): Promise<ExpenseView[]> {
    const { payers, shares, tags } = await this.expenses.parts(em, rows.map((e) => e.id));
    const places = new Map<string, number>();
    for (const e of rows) if (!places.has(e.currency)) places.set(e.currency, (await this.currency(em, e.currency)).decimalPlaces);
    return rows.map((e) => this.toView(e, places.get(e.currency)!, payers.get(e.id) ?? [], shares.get(e.id) ?? [], tags.get(e.id) ?? []));
  }

  private toView(e: Expense, p: number, payerRows: ExpensePayer[], shareRows: ExpenseShare[], tagNames: string[]): ExpenseView {
    const fmt = (a: string) => formatAmount(parseAmount(a, p, { lenientPlaces: true }), p);
    const byUser = <T extends { userId: string }>(rows: T[]) => [...rows].sort((x, y) => (x.userId < y.userId ? -1 : x.userId > y.userId ? 1 : 0));
    return {
        id: e.id, groupId: e.groupId ?? null, title: e.title, description: e.description ?? null, amount: fmt(e.amount), currency: e.currency,
        categoryId: e.categoryId ?? null, expenseDate: e.expenseDate, vendor: e.vendor ?? null, location: e.location ?? null, notes: e.notes ?? null,
        tags: [...tagNames].sort(), splitType: e.splitType, split: e.splitData,
        payers: byUser(payerRows).map((x) => ({ userId: x.userId, amount: fmt(x.amount) })),
        shares: byUser(shareRows).map((x) => ({ userId: x.userId, amount: fmt(x.amount), isSettled: x.isSettled, settledAmount: fmt(x.settledAmount ?? '0') })),
        isSettled: e.isSettled, requiresApproval: e.requiresApproval, isApproved: e.isApproved, approvedById: e.approvedById ?? null,
        approvedAt: e.approvedAt ? e.approvedAt.toISOString() : null, isDeleted: e.isDeleted, deletedAt: e.deletedAt ? e.deletedAt.toISOString() : null,
        deletedById: e.deletedById ?? null, exchangeRateToUsd: e.exchangeRateToUsd ?? null, createdById: e.createdById,
        createdAt: e.createdAt.toISOString(), updatedAt: e.updatedAt.toISOString(),
    };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeExpenseCursor(c: ExpenseCursor): string {
  return Buffer.from(JSON.stringify([c.date, c.createdAt.toISOString(), c.id]), 'utf8').toString('base64url');
}

export function decodeExpenseCursor(cursor: string | undefined): ExpenseCursor | undefined {
  if (cursor === undefined) return undefined;
  const bad = () => new DomainException('INVALID_CURSOR', 'cursor must be a nextCursor from a previous page.', 400);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'string')) throw bad();
  const [date, at, id] = v as string[];
  const createdAt = new Date(at);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== at || !UUID.test(id)) throw bad();
  return { date, createdAt, id };
}
