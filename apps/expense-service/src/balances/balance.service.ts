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

/** The group's balances in one currency (each rate used named). */
export interface ConvertedBalances {
  currency: string;
  /** latest: today's rates; expense: the rate snapshotted on each expense. */
  rates: 'latest' | 'expense';
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
 * The user's balance with each friend outside groups, per currency (positive: the friend owes them), from
 * the non-group parts they take part in (completed settlements among them): who owes whom directly,
 * netted per pair. Non-zero only.
 */
export function friendNets(rows: PartRow[], me: string): { userId: string; currency: string; amount: bigint }[] {
  const out: { userId: string; currency: string; amount: bigint }[] = [];
  for (const c of directTransfers(toExpenseAmounts(rows))) {
    const perFriend = new Map<string, bigint>();
    for (const t of c.transfers) {
      if (t.to === me) perFriend.set(t.from, (perFriend.get(t.from) ?? 0n) + t.amount);
      if (t.from === me) perFriend.set(t.to, (perFriend.get(t.to) ?? 0n) - t.amount);
    }
    for (const [userId, amount] of perFriend) if (amount !== 0n) out.push({ userId, currency: c.currency, amount });
  }
  return out;
}

/**
 * Balances, per currency and never mixed: each group's members (summing to exactly zero), between
 * each pair of friends outside groups, and the caller's totals. Completed settlements count as an
 * expense paid by their payer and owed by their payee (docs/adr/0012), so once a group has been settled
 * up its balances are zero and it has no suggested transfers. Suggested transfers come from
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
   * The group's balances converted into one currency. `latest`: each currency at its current rate.
   * `expense`: each expense at the rate snapshotted on it when it was saved (so history does not move
   * with rates; the target currency at its current rate, unless it is the expense's own). Completed
   * settlements count like expenses; they snapshot no rate, so with `expense` they are treated as an
   * expense saved with no rate (left out and their currency named, unless it is the target's), and with
   * `latest` they are converted at the current rate like everything else. Per currency
   * (and rate), the creditors' total is converted once (half-even) and shared among the creditors in
   * proportion to their balances, and the same amount among the debtors (largest remainder, as splits),
   * so the converted balances still sum to exactly zero. Amounts with no known rate are left out and named.
   */
  async groupConverted(me: string, groupId: string, target: string, rates: 'latest' | 'expense' = 'latest'): Promise<ConvertedBalances> {
    await this.group(me, groupId, true); // the same 404 for whoever may not see the group
    const em = freshEm(this.orm);
    const to = await this.currencies.findByCode(em, target);
    if (!to || !to.exchangeRateToUsd) {
      throw new DomainException('RATE_UNKNOWN', `No exchange rate is known for ${target}; pick another currency or ask an admin to set one.`, HttpStatus.UNPROCESSABLE_ENTITY,
        { errors: [{ field: 'currency', message: `no rate for ${target}` }] });
    }
    const buckets = new Map<string, { currency: string; rate: string | null; date: string | null; amounts: { userId: string; amount: bigint }[] }>();
    for (const n of await this.balances.groupNetsByRate(em, groupId, rates === 'expense')) {
      const key = `${n.currency}|${n.rate ?? ''}`;
      let bucket = buckets.get(key);
      if (!bucket) {
        const current = rates === 'latest' ? await this.currencies.findByCode(em, n.currency) : null;
        bucket = { currency: n.currency, rate: rates === 'latest' ? current?.exchangeRateToUsd ?? null : n.rate, date: rates === 'latest' ? current?.rateDate ?? null : null, amounts: [] };
        buckets.set(key, bucket);
      }
      bucket.amounts.push({ userId: n.userId, amount: minor(n.net, n.currency) });
    }
    const totals = new Map<string, bigint>();
    const ratesUsed: ConvertedBalances['ratesUsed'] = [];
    const missing = new Set<string>();
    for (const bucket of buckets.values()) {
      if (!bucket.amounts.some((a) => a.amount !== 0n)) continue;
      const same = bucket.currency === to.code;
      if (!same && !bucket.rate) {
        missing.add(bucket.currency);
        continue;
      }
      const rate = same ? to.exchangeRateToUsd : bucket.rate!;
      ratesUsed.push({ currency: bucket.currency, rateToUsd: rate, date: bucket.date });
      const credit = bucket.amounts.filter((a) => a.amount > 0n);
      const debit = bucket.amounts.filter((a) => a.amount < 0n);
      const positive = credit.reduce((x, a) => x + a.amount, 0n);
      const converted = same ? positive : convert(positive, { code: bucket.currency, decimalPlaces: places(bucket.currency), rateToUsd: rate },
        { code: to.code, decimalPlaces: to.decimalPlaces, rateToUsd: to.exchangeRateToUsd }).amount;
      const share = (side: typeof credit, sign: bigint) => allocateByKey(converted, side.map((x) => ({ key: x.userId, weight: sign * x.amount })));
      for (const [u, v] of share(credit, 1n)) totals.set(u, (totals.get(u) ?? 0n) + v);
      for (const [u, v] of share(debit, -1n)) totals.set(u, (totals.get(u) ?? 0n) - v);
    }
    const balances = [...totals.entries()].filter(([, v]) => v !== 0n).sort(([a], [b]) => (a < b ? -1 : 1)).map(([userId, amount]) => ({ userId, amount }));
    const { transfers, method } = simplifyDetailed(balances);
    return {
      currency: to.code, rates,
      balances: balances.map((b) => ({ userId: b.userId, amount: fmt(b.amount, to.code) })),
      transfers: transfers.map((t) => transferView(t, to.code)), method,
      ratesUsed: ratesUsed.sort((x, y) => (x.currency === y.currency ? (x.rateToUsd < y.rateToUsd ? -1 : 1) : x.currency < y.currency ? -1 : 1)),
      missingRates: [...missing].sort(),
    };
  }

  /**
   * Why a member's balance in one currency is what it is: each expense that moved it (what they paid,
   * what they owe, the difference; newest first, up to `limit`), each completed settlement they paid or
   * received (paying adds to the balance, receiving takes from it; newest first, up to `limit`), and the
   * suggested transfers they are in. A transfer from A to B is explained by A's expenses (why A owes) and
   * B's (why B is owed).
   */
  async explain(me: string, groupId: string, userId: string, currency: string, limit = 100) {
    const view = await this.group(me, groupId);
    const c = view.currencies.find((x) => x.currency === currency);
    const em = freshEm(this.orm);
    const rows = await this.balances.memberLedger(em, groupId, userId, currency, limit);
    const settled = await this.balances.memberSettlements(em, groupId, userId, currency, limit);
    return {
      groupId, userId, currency,
      balance: c?.balances.find((b) => b.userId === userId)?.amount ?? fmt(0n, currency),
      transfers: (c?.transfers ?? []).filter((t) => t.from === userId || t.to === userId),
      expenses: rows.map((r) => {
        const paid = minor(r.paid, currency);
        const owed = minor(r.owed, currency);
        return { expenseId: r.expenseId, title: r.title, expenseDate: r.expenseDate, paid: fmt(paid, currency), owed: fmt(owed, currency), net: fmt(paid - owed, currency) };
      }),
      settlements: settled.map((r) => {
        const paid = minor(r.paid, currency);
        const received = minor(r.received, currency);
        return {
          settlementId: r.settlementId, payerId: r.payerId, payeeId: r.payeeId, completedAt: r.completedAt,
          paid: fmt(paid, currency), received: fmt(received, currency), net: fmt(paid - received, currency),
        };
      }),
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
    const friends: MyBalances['friends'] = friendNets(await this.balances.nonGroupParts(em, me), me)
      .map((f) => ({ userId: f.userId, currency: f.currency, amount: fmt(f.amount, f.currency) }));
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
