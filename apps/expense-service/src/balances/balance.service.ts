import { HttpStatus, Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { currencyDecimals } from '@tally/contracts';
import { ExpenseAmounts, Transfer, allocateByKey, convert, directTransfers, formatAmount, parseAmount, simplifyDetailed } from '@tally/money';
import { CurrencyRepository } from '../currencies/currency.repository';
import { freshEm } from '@tally/persistence';
import { DomainException } from '@tally/service-kit';
import { GroupProjectionRepository } from '../groups/group-projection.repository';
import { BalanceRepository, PartRow } from './balance.repository';

export interface AmountView {
  userId: string;
  /** Decimal string; positive: is owed, negative: owes. */
  amount: string;
}

export interface TransferView {
  from: string;
  to: string;
  amount: string;
}

export interface GroupCurrencyBalances {
  currency: string;
  /** Non-zero balances; they sum to exactly zero. */
  balances: AmountView[];
  /** Payments that would settle the group in this currency. */
  transfers: TransferView[];
  /** exact: the fewest transfers possible; heuristic/greedy: above the exact limit; direct: who owes whom, simplification off. */
  method: 'exact' | 'heuristic' | 'greedy' | 'direct';
}

/** The group's balances in one currency at the latest rates (each currency's rate named). */
export interface ConvertedBalances {
  currency: string;
  rates: 'latest';
  /** Sum to exactly zero. */
  balances: AmountView[];
  transfers: TransferView[];
  method: 'exact' | 'heuristic' | 'greedy';
  /** The rates used: US dollars per unit, and the day each is for. */
  ratesUsed: { currency: string; rateToUsd: string; date: string | null }[];
  /** Currencies of the group with no known rate: left out of this view. */
  missingRates: string[];
}

export interface MyBalances {
  /** Per currency, across every group and every friend: positive, you are owed. Never mixed across currencies. */
  totals: { currency: string; amount: string }[];
  groups: { groupId: string; currency: string; amount: string }[];
  /** Outside groups, per friend: positive, they owe you. */
  friends: { userId: string; currency: string; amount: string }[];
}

const places = (currency: string): number => currencyDecimals(currency) ?? 2;
const minor = (text: string, currency: string): bigint => parseAmount(text, places(currency), { sign: 'any', lenientPlaces: true, maxIntegerDigits: 16 });
const fmt = (v: bigint, currency: string): string => formatAmount(v, places(currency));

function toExpenseAmounts(rows: PartRow[]): ExpenseAmounts[] {
  const byExpense = new Map<string, { currency: string; payers: { userId: string; amount: bigint }[]; shares: { userId: string; amount: bigint }[] }>();
  for (const r of rows) {
    let e = byExpense.get(r.expenseId);
    if (!e) byExpense.set(r.expenseId, (e = { currency: r.currency, payers: [], shares: [] }));
    const paid = minor(r.paid, r.currency);
    const owed = minor(r.owed, r.currency);
    if (paid > 0n) e.payers.push({ userId: r.userId, amount: paid });
    if (owed > 0n) e.shares.push({ userId: r.userId, amount: owed });
  }
  return [...byExpense.values()];
}

const transferView = (t: Transfer, currency: string): TransferView => ({ from: t.from, to: t.to, amount: fmt(t.amount, currency) });

/**
 * Balances, per currency and never mixed: each group's members (summing to exactly zero), between
 * each pair of friends outside groups, and the caller's totals. Suggested transfers come from
 * @tally/money: the fewest transfers that settle a group (exact up to its limit, then a heuristic never
 * worse than greedy), or, with the group's simplification off, who owes whom directly.
 */
@Injectable()
export class BalanceService {
  constructor(
    private readonly orm: MikroORM,
    private readonly balances: BalanceRepository,
    private readonly groups: GroupProjectionRepository,
    private readonly currencies: CurrencyRepository,
  ) {}

  /**
   * The group's balances converted into one currency at the latest rates. Each currency's creditors'
   * total is converted once (half-even) and shared among its creditors in proportion to their
   * balances, and the same amount among its debtors (largest remainder, as splits), so the converted
   * balances still sum to exactly zero.
   */
  async groupConverted(me: string, groupId: string, target: string): Promise<ConvertedBalances> {
    const view = await this.group(me, groupId, true);
    const em = freshEm(this.orm);
    const to = await this.currencies.findByCode(em, target);
    if (!to || !to.exchangeRateToUsd) {
      throw new DomainException('RATE_UNKNOWN', `No exchange rate is known for ${target}; pick another currency or ask an admin to set one.`, HttpStatus.UNPROCESSABLE_ENTITY,
        { errors: [{ field: 'convertTo', message: `no rate for ${target}` }] });
    }
    const totals = new Map<string, bigint>();
    const ratesUsed: ConvertedBalances['ratesUsed'] = [];
    const missingRates: string[] = [];
    for (const c of view.currencies) {
      const from = await this.currencies.findByCode(em, c.currency);
      if (!from?.exchangeRateToUsd) {
        missingRates.push(c.currency);
        continue;
      }
      ratesUsed.push({ currency: c.currency, rateToUsd: from.exchangeRateToUsd, date: from.rateDate ?? null });
      const amounts = c.balances.map((b) => ({ userId: b.userId, amount: minor(b.amount, c.currency) }));
      const credit = amounts.filter((a) => a.amount > 0n);
      const debit = amounts.filter((a) => a.amount < 0n);
      const positive = credit.reduce((x, a) => x + a.amount, 0n);
      const converted = convert(positive, { code: c.currency, decimalPlaces: from.decimalPlaces, rateToUsd: from.exchangeRateToUsd },
        { code: to.code, decimalPlaces: to.decimalPlaces, rateToUsd: to.exchangeRateToUsd }).amount;
      const share = (side: typeof amounts, sign: bigint) =>
        allocateByKey(converted, side.map((a) => ({ key: a.userId, weight: sign * a.amount })));
      for (const [u, v] of share(credit, 1n)) totals.set(u, (totals.get(u) ?? 0n) + v);
      for (const [u, v] of share(debit, -1n)) totals.set(u, (totals.get(u) ?? 0n) - v);
    }
    const balances = [...totals.entries()].filter(([, v]) => v !== 0n).sort(([a], [b]) => (a < b ? -1 : 1)).map(([userId, amount]) => ({ userId, amount }));
    const { transfers, method } = simplifyDetailed(balances);
    return {
      currency: to.code, rates: 'latest',
      balances: balances.map((b) => ({ userId: b.userId, amount: fmt(b.amount, to.code) })),
      transfers: transfers.map((t) => transferView(t, to.code)), method, ratesUsed, missingRates,
    };
  }

  async group(me: string, groupId: string, simplifyOverride?: boolean): Promise<{ groupId: string; simplify: boolean; currencies: GroupCurrencyBalances[] }> {
    const em = freshEm(this.orm);
    const g = await this.groups.find(em, groupId, me);
    if (!g || !g.groupActive || !g.memberActive) throw new DomainException('GROUP_NOT_FOUND', 'Group not found.', HttpStatus.NOT_FOUND);
    const simplify = simplifyOverride ?? g.simplifyDebts;
    const nets = await this.balances.groupNets(em, groupId);
    const byCurrency = new Map<string, { userId: string; amount: bigint }[]>();
    for (const n of nets) byCurrency.set(n.currency, [...(byCurrency.get(n.currency) ?? []), { userId: n.userId, amount: minor(n.net, n.currency) }]);
    const direct = simplify ? undefined : new Map(directTransfers(toExpenseAmounts(await this.balances.groupParts(em, groupId))).map((c) => [c.currency, c.transfers]));
    const currencies = [...byCurrency.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, balances]): GroupCurrencyBalances => {
      const views = balances.map((b) => ({ userId: b.userId, amount: fmt(b.amount, currency) }));
      if (!simplify) return { currency, balances: views, transfers: (direct!.get(currency) ?? []).map((t) => transferView(t, currency)), method: 'direct' };
      const { transfers, method } = simplifyDetailed(balances);
      return { currency, balances: views, transfers: transfers.map((t) => transferView(t, currency)), method };
    });
    return { groupId, simplify, currencies };
  }

  async mine(me: string): Promise<MyBalances> {
    const em = freshEm(this.orm);
    const groupNets = await this.balances.myGroupNets(em, me);
    const pairs = directTransfers(toExpenseAmounts(await this.balances.nonGroupParts(em, me)));
    const friends: MyBalances['friends'] = [];
    for (const c of pairs) {
      const perFriend = new Map<string, bigint>();
      for (const t of c.transfers) {
        if (t.to === me) perFriend.set(t.from, (perFriend.get(t.from) ?? 0n) + t.amount);
        if (t.from === me) perFriend.set(t.to, (perFriend.get(t.to) ?? 0n) - t.amount);
      }
      for (const [userId, v] of perFriend) if (v !== 0n) friends.push({ userId, currency: c.currency, amount: fmt(v, c.currency) });
    }
    const totals = new Map<string, bigint>();
    for (const g of groupNets) totals.set(g.currency, (totals.get(g.currency) ?? 0n) + minor(g.net, g.currency));
    for (const f of friends) totals.set(f.currency, (totals.get(f.currency) ?? 0n) + minor(f.amount, f.currency));
    return {
      totals: [...totals.entries()].filter(([, v]) => v !== 0n).sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, v]) => ({ currency, amount: fmt(v, currency) })),
      groups: groupNets.map((g) => ({ groupId: g.groupId, currency: g.currency, amount: fmt(minor(g.net, g.currency), g.currency) })),
      friends: friends.sort((a, b) => (a.userId === b.userId ? (a.currency < b.currency ? -1 : 1) : a.userId < b.userId ? -1 : 1)),
    };
  }
}
