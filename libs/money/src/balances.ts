import { allocateTable } from './allocate';
import { SplitError } from './errors';
import type { UserAmount } from './splits';

/**
 * Net balances: per currency, per user, what they paid minus what they owe, adjusted by
 * settlements. Positive = the group owes them ("is owed"); negative = they owe. Every expense's
 * payers add up to its shares, and a settlement moves the same amount from one user to another,
 * so each currency's balances always add up to exactly zero.
 */

export interface ExpenseAmounts {
  /** ISO 4217 code (or any currency key); amounts of different currencies are never added. */
  readonly currency: string;
  /** Minor units paid by each payer. */
  readonly payers: readonly UserAmount[];
  /** Minor units owed by each user; the same total as `payers`. */
  readonly shares: readonly UserAmount[];
}

/** `payerId` paid `payeeId` back `amount` (minor units, > 0) outside the app. */
export interface SettlementAmounts {
  readonly payerId: string;
  readonly payeeId: string;
  readonly amount: bigint;
  readonly currency: string;
}

export interface CurrencyBalances {
  readonly currency: string;
  /** Non-zero balances only, sorted by user id; they add up to zero. */
  readonly balances: UserAmount[];
}

/** A suggested payment: `from` pays `to` `amount` minor units. */
export interface Transfer {
  readonly from: string;
  readonly to: string;
  readonly amount: bigint;
}

export interface CurrencyTransfers {
  readonly currency: string;
  /** Sorted by `from`, then `to`. */
  readonly transfers: Transfer[];
}

/**
 * Net balance per user per currency. Throws `SplitError` `balance.unbalanced` for an expense whose
 * payers and shares do not add up to the same amount, `balance.invalid` for a malformed row.
 */
export function netBalances(expenses: readonly ExpenseAmounts[], settlements: readonly SettlementAmounts[] = []): CurrencyBalances[] {
  const perCurrency = new Map<string, Map<string, bigint>>();
  const book = (currency: string, userId: string, delta: bigint) => {
    let m = perCurrency.get(currency);
    if (!m) perCurrency.set(currency, (m = new Map()));
    m.set(userId, (m.get(userId) ?? 0n) + delta);
  };
  expenses.forEach((e, i) => {
    checkExpense(e, i);
    for (const p of e.payers) book(e.currency, p.userId, p.amount);
    for (const s of e.shares) book(e.currency, s.userId, -s.amount);
  });
  settlements.forEach((s, i) => {
    checkSettlement(s, i);
    book(s.currency, s.payerId, s.amount);
    book(s.currency, s.payeeId, -s.amount);
  });
  return [...perCurrency.keys()].sort(compare).map((currency) => ({
    currency,
    balances: [...perCurrency.get(currency)!]
      .filter(([, v]) => v !== 0n)
      .map(([userId, amount]) => ({ userId, amount }))
      .sort((a, b) => compare(a.userId, b.userId)),
  }));
}

/**
 * Who owes whom directly, without simplification, netted per pair of users, per currency. In each
 * expense every share's user owes each payer in proportion to what that payer paid: the table of
 * (sharer, payer) amounts is `allocateTable(shares, payers)`, whose rows add up exactly to the
 * shares and columns to the amounts paid, each cell within one minor unit of its exact value. A
 * user's own cell (sharer = payer) is no debt. A settlement lowers what its payer owes its payee.
 * Then for each pair the two directions are netted into one transfer (none when they cancel).
 * The transfers reproduce `netBalances` exactly.
 */
export function directTransfers(expenses: readonly ExpenseAmounts[], settlements: readonly SettlementAmounts[] = []): CurrencyTransfers[] {
  // debts.get(currency).get(a).get(b): what a owes b (before netting with what b owes a).
  const debts = new Map<string, Map<string, Map<string, bigint>>>();
  const owe = (currency: string, from: string, to: string, amount: bigint) => {
    let c = debts.get(currency);
    if (!c) debts.set(currency, (c = new Map()));
    let f = c.get(from);
    if (!f) c.set(from, (f = new Map()));
    f.set(to, (f.get(to) ?? 0n) + amount);
  };
  expenses.forEach((e, i) => {
    checkExpense(e, i);
    if (e.payers.some((p) => p.amount < 0n) || e.shares.some((s) => s.amount < 0n)) {
      throw new SplitError('balance.invalid', `Expense ${i}: direct debts need amounts of zero or more.`, { index: String(i) });
    }
    const rows = e.shares.map((s) => ({ key: s.userId, amount: s.amount }));
    const cols = e.payers.map((p) => ({ key: p.userId, amount: p.amount }));
    const table = allocateTable(rows, cols);
    rows.forEach((r, u) =>
      cols.forEach((c, p) => {
        if (r.key !== c.key && table[u][p] !== 0n) owe(e.currency, r.key, c.key, table[u][p]);
      }),
    );
  });
  settlements.forEach((s, i) => {
    checkSettlement(s, i);
    owe(s.currency, s.payerId, s.payeeId, -s.amount);
  });
  return [...debts.keys()].sort(compare).map((currency) => {
    const c = debts.get(currency)!;
    const get = (a: string, b: string) => c.get(a)?.get(b) ?? 0n;
    const transfers: Transfer[] = [];
    const done = new Set<string>();
    for (const [a, row] of c) {
      for (const b of row.keys()) {
        const pair = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
        if (done.has(pair)) continue;
        done.add(pair);
        const net = get(a, b) - get(b, a);
        if (net > 0n) transfers.push({ from: a, to: b, amount: net });
        else if (net < 0n) transfers.push({ from: b, to: a, amount: -net });
      }
    }
    return { currency, transfers: transfers.sort(byFromTo) };
  });
}

function checkExpense(e: ExpenseAmounts, i: number): void {
  let paid = 0n;
  let owed = 0n;
  for (const p of e.payers ?? []) {
    if (typeof p.amount !== 'bigint' || typeof p.userId !== 'string') throw new SplitError('balance.invalid', `Expense ${i}: a payer needs a user id and an amount in minor units.`, { index: String(i) });
    paid += p.amount;
  }
  for (const s of e.shares ?? []) {
    if (typeof s.amount !== 'bigint' || typeof s.userId !== 'string') throw new SplitError('balance.invalid', `Expense ${i}: a share needs a user id and an amount in minor units.`, { index: String(i) });
    owed += s.amount;
  }
  if (typeof e.currency !== 'string') throw new SplitError('balance.invalid', `Expense ${i} has no currency.`, { index: String(i) });
  if (paid !== owed) {
    throw new SplitError('balance.unbalanced', `Expense ${i}: its payers add up to ${paid} minor units but its shares to ${owed}.`, {
      index: String(i),
      paid: paid.toString(),
      owed: owed.toString(),
    });
  }
}

function checkSettlement(s: SettlementAmounts, i: number): void {
  if (typeof s.amount !== 'bigint' || s.amount <= 0n || typeof s.payerId !== 'string' || typeof s.payeeId !== 'string' || typeof s.currency !== 'string' || s.payerId === s.payeeId) {
    throw new SplitError('balance.invalid', `Settlement ${i} needs two different users, a currency and an amount greater than zero.`, { index: String(i) });
  }
}

export function byFromTo(a: Transfer, b: Transfer): number {
  return compare(a.from, b.from) || compare(a.to, b.to) || (a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
