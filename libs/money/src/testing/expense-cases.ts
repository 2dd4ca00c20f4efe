/**
 * Random expenses for the money library's property tests (`../properties.spec.ts`) and for
 * `tools/bench/money.ts`: fast-check arbitraries for groups of expenses over every split type,
 * several payers, 0-, 2- and 3-decimal currencies, and `checkGroup`, which recomputes everything and
 * counts each kind of violation (all must stay 0). Test code only: not exported from the index.
 */
import fc from 'fast-check';
import { type ExpenseAmounts, netBalances, type SettlementAmounts, directTransfers } from '../balances';
import { SplitError } from '../errors';
import { formatAmount } from '../money';
import { greedyTransfers, simplifyDebts } from '../simplify';
import { type AmountInput, type ComputedSplit, computeSplit, type ItemInput, type PayerInput, SPLIT_TYPES, type SplitSpec, type SplitType } from '../splits';

export const CURRENCIES = [
  { code: 'JPY', decimalPlaces: 0 },
  { code: 'USD', decimalPlaces: 2 },
  { code: 'BHD', decimalPlaces: 3 },
] as const;

export interface ExpenseCase {
  readonly currency: (typeof CURRENCIES)[number];
  readonly amount: AmountInput;
  readonly split: SplitSpec;
  readonly payers: readonly PayerInput[];
  /** The same expense with every list in another order (participants, items, weights, payers). */
  readonly shuffled: { readonly split: SplitSpec; readonly payers: readonly PayerInput[] };
}

export interface GroupCase {
  readonly members: readonly string[];
  readonly expenses: readonly ExpenseCase[];
  /** Settlements as (payer index, payee index, fraction seed, currency index). */
  readonly settlementSeeds: readonly (readonly [number, number, number, number])[];
}

/** A small fast PRNG (mulberry32) for the details of one expense, seeded by fast-check. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const big = (n: bigint): bigint => {
    // uniform enough below n (n ≤ 2^64) for test data
    const x = (BigInt(Math.floor(next() * 2 ** 32)) << 32n) | BigInt(Math.floor(next() * 2 ** 32));
    return n <= 0n ? 0n : x % n;
  };
  const shuffle = <T>(xs: readonly T[]): T[] => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  return { next, int, big, shuffle };
}
type Rng = ReturnType<typeof rng>;

/** `total` cut into `k` parts ≥ 0 at random points (zeros happen), in random order. */
function cut(r: Rng, total: bigint, k: number): bigint[] {
  const points = Array.from({ length: k - 1 }, () => r.big(total + 1n)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const all = [0n, ...points, total];
  return all.slice(1).map((p, i) => p - all[i]);
}

/** An amount as the wire would send it (sometimes without trailing zeros) or as minor units. */
function asInput(r: Rng, minor: bigint, places: number): AmountInput {
  const roll = r.int(4);
  if (roll === 0) return minor;
  const text = formatAmount(minor, places);
  return roll === 1 && places > 0 ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

function pick(r: Rng, members: readonly string[], min: number): string[] {
  const chosen = members.filter(() => r.next() < 0.6);
  for (const m of r.shuffle(members)) {
    if (chosen.length >= min) break;
    if (!chosen.includes(m)) chosen.push(m);
  }
  return chosen;
}

/** Builds one valid expense from fast-check's choices and a seed for the details. */
export function buildExpense(
  members: readonly string[],
  choice: { type: SplitType; currency: number; scale: number; amount: bigint; payers: number; seed: number },
): ExpenseCase {
  const r = rng(choice.seed);
  const currency = CURRENCIES[choice.currency];
  const places = currency.decimalPlaces;
  const limits = [20n, 10n ** 4n, 10n ** 9n, 10n ** BigInt(13 + places) - 1n];
  const amount = (choice.amount % limits[choice.scale]) + 1n;
  const people = pick(r, members, 1);
  const k = people.length;
  let split: SplitSpec;
  let shuffledSplit: SplitSpec;
  switch (choice.type) {
    case 'equal':
      split = { type: 'equal', userIds: people };
      shuffledSplit = { type: 'equal', userIds: r.shuffle(people) };
      break;
    case 'exact': {
      const parts = cut(r, amount, k);
      const amounts = people.map((userId, i) => ({ userId, amount: asInput(r, parts[i], places) }));
      split = { type: 'exact', amounts };
      shuffledSplit = { type: 'exact', amounts: r.shuffle(amounts) };
      break;
    }
    case 'percentage': {
      const parts = cut(r, 1_000_000n, k); // 100.0000 % in units of 0.0001 %
      // written as a person would: "33.3333", "12.5", "50"
      const percentages = people.map((userId, i) => ({ userId, percent: formatAmount(parts[i], 4).replace(/0+$/, '').replace(/\.$/, '') }));
      split = { type: 'percentage', percentages };
      shuffledSplit = { type: 'percentage', percentages: r.shuffle(percentages) };
      break;
    }
    case 'shares': {
      const shares = people.map((userId, i) => {
        const w = r.int(i === 0 ? 5 : 6) + (i === 0 ? 1 : 0); // the first one is never 0
        const roll = r.int(3);
        return { userId, shares: roll === 0 ? BigInt(w) : roll === 1 ? String(w) : `${w}.${r.int(100).toString().padStart(2, '0')}` };
      });
      split = { type: 'shares', shares };
      shuffledSplit = { type: 'shares', shares: r.shuffle(shares) };
      break;
    }
    case 'adjustment': {
      const positive = cut(r, r.big(amount / 2n + 1n), k);
      const rest = amount - positive.reduce((s, x) => s + x, 0n);
      const adjustments = people.map((userId, i) => {
        // a negative adjustment never exceeds the equal part of what is left, so no share goes below 0
        const value = r.int(4) === 0 ? -r.big(rest / BigInt(k) + 1n) : positive[i];
        return { userId, adjustment: asInput(r, value, places) };
      });
      split = { type: 'adjustment', adjustments };
      shuffledSplit = { type: 'adjustment', adjustments: r.shuffle(adjustments) };
      break;
    }
    case 'itemized': {
      const itemCount = 1 + r.int(4);
      // items, then tax and tip; a third of the time no tax or tip
      const parts = cut(r, amount, itemCount + 2);
      let extra = parts.slice(itemCount);
      const itemsSum = parts.slice(0, itemCount).reduce((a, b) => a + b, 0n);
      if (r.int(3) === 0 || itemsSum === 0n) {
        parts[0] += extra[0] + extra[1]; // tax and tip need items to be shared in proportion to
        extra = [0n, 0n];
      }
      const items: ItemInput[] = [];
      const shuffledItems: ItemInput[] = [];
      for (let i = 0; i < itemCount; i++) {
        const users = pick(r, people, 1);
        const itemAmount = asInput(r, parts[i], places);
        if (r.int(2) === 0) {
          items.push({ amount: itemAmount, userIds: users });
          shuffledItems.push({ amount: itemAmount, userIds: r.shuffle(users) });
        } else {
          const weights = users.map((userId, j) => ({ userId, weight: j === 0 ? `${1 + r.int(3)}.${r.int(10)}` : BigInt(r.int(4)) }));
          items.push({ amount: itemAmount, weights });
          shuffledItems.push({ amount: itemAmount, weights: r.shuffle(weights) });
        }
      }
      const tax = asInput(r, extra[0], places);
      const tip = asInput(r, extra[1], places);
      split = { type: 'itemized', items, tax, tip };
      shuffledSplit = { type: 'itemized', items: r.shuffle(shuffledItems), tax, tip };
      break;
    }
  }
  const payerIds = r.shuffle(members).slice(0, Math.min(choice.payers, members.length));
  let payers: PayerInput[];
  if (payerIds.length === 1 && r.int(2) === 0) {
    payers = [{ userId: payerIds[0] }];
  } else {
    const paid = cut(r, amount, payerIds.length);
    payers = payerIds.map((userId, i) => ({ userId, amount: asInput(r, paid[i], places) }));
  }
  return {
    currency,
    amount: asInput(r, amount, places),
    split,
    payers,
    shuffled: { split: shuffledSplit, payers: r.shuffle(payers) },
  };
}

const memberIds = fc.uniqueArray(fc.uuid(), { minLength: 2, maxLength: 12 });

/** A group with `count` random expenses (fast-check chooses the structure, a seed the details). */
export function groupArb(count: number): fc.Arbitrary<GroupCase> {
  const choice = fc.record({
    type: fc.constantFrom(...SPLIT_TYPES),
    currency: fc.integer({ min: 0, max: CURRENCIES.length - 1 }),
    scale: fc.integer({ min: 0, max: 3 }),
    amount: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
    payers: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer(),
  });
  return fc
    .record({
      members: memberIds,
      choices: fc.array(choice, { minLength: count, maxLength: count }),
      settlementSeeds: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.integer({ min: 0, max: CURRENCIES.length - 1 })), { maxLength: 5 }),
    })
    .map(({ members, choices, settlementSeeds }) => ({
      members,
      expenses: choices.map((c) => buildExpense(members, c)),
      settlementSeeds,
    }));
}

/** Counts of each kind of violation, with the first example of each. */
export class Violations {
  readonly counts = new Map<string, number>();
  readonly examples = new Map<string, string>();
  expenses = 0;
  groups = 0;
  add(kind: string, example: () => unknown): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    if (!this.examples.has(kind)) this.examples.set(kind, stringify(example()));
  }
  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }
}

export const CHECKS = [
  'shares sum to the amount',
  'no share <= 0 kept',
  'payers sum to the amount',
  'recomputing gives identical shares',
  'shares independent of participant order',
  'split refused unexpectedly',
  'balances sum to zero per currency',
  'simplification preserves every balance',
  'simplification uses no more transfers than greedy',
  'simplification is deterministic',
  'direct transfers preserve every balance',
  'simplification finds the optimum on mirrored balances',
  'balances and transfers computed without error',
] as const;

function same(a: ComputedSplit, b: ComputedSplit): boolean {
  if (a.amount !== b.amount || a.shares.length !== b.shares.length || a.payers.length !== b.payers.length) return false;
  return a.shares.every((s, i) => s.userId === b.shares[i].userId && s.amount === b.shares[i].amount) && a.payers.every((p, i) => p.userId === b.payers[i].userId && p.amount === b.payers[i].amount);
}

/** Computes every expense of the group and checks every property; violations are counted in `v`. */
export function checkGroup(g: GroupCase, v: Violations, timing?: { simplifyNs: bigint }): void {
  v.groups++;
  const computed: ExpenseAmounts[] = [];
  for (const e of g.expenses) {
    v.expenses++;
    let out: ComputedSplit;
    try {
      out = computeSplit({ amount: e.amount, currency: e.currency, split: e.split, payers: e.payers });
    } catch (err) {
      v.add('split refused unexpectedly', () => ({ error: err instanceof SplitError ? `${err.code}: ${err.message}` : String(err), expense: e }));
      continue;
    }
    const amount = out.amount;
    let sum = 0n;
    for (const s of out.shares) {
      sum += s.amount;
      if (s.amount <= 0n) v.add('no share <= 0 kept', () => ({ expense: e, out }));
    }
    if (sum !== amount) v.add('shares sum to the amount', () => ({ expense: e, out }));
    if (out.payers.reduce((s, p) => s + p.amount, 0n) !== amount) v.add('payers sum to the amount', () => ({ expense: e, out }));
    const again = computeSplit({ amount: e.amount, currency: e.currency, split: structuredClone(e.split), payers: structuredClone(e.payers) });
    if (!same(out, again)) v.add('recomputing gives identical shares', () => ({ expense: e, out, again }));
    const shuffled = computeSplit({ amount: e.amount, currency: e.currency, split: e.shuffled.split, payers: e.shuffled.payers });
    if (!same(out, shuffled)) v.add('shares independent of participant order', () => ({ expense: e, out, shuffled }));
    computed.push({ currency: e.currency.code, payers: out.payers, shares: out.shares });
  }
  // Settlements: a member pays another part of what they owe (or any amount: balances may flip).
  const settlements: SettlementAmounts[] = [];
  for (const [a, b, f, c] of g.settlementSeeds) {
    const payerId = g.members[a % g.members.length];
    const payeeId = g.members[b % g.members.length];
    if (payerId === payeeId) continue;
    settlements.push({ payerId, payeeId, amount: BigInt(1 + (f % 100_000)), currency: CURRENCIES[c].code });
  }
  try {
    checkBalances(computed, settlements, v, timing);
  } catch (err) {
    v.add('balances and transfers computed without error', () => ({ error: String(err), computed, settlements }));
  }
}

function checkBalances(computed: ExpenseAmounts[], settlements: SettlementAmounts[], v: Violations, timing?: { simplifyNs: bigint }): void {
  const balances = netBalances(computed, settlements);
  const direct = new Map(directTransfers(computed, settlements).map((d) => [d.currency, d.transfers]));
  for (const { currency, balances: list } of balances) {
    if (list.reduce((s, b) => s + b.amount, 0n) !== 0n) v.add('balances sum to zero per currency', () => ({ currency, list }));
    const started = timing ? process.hrtime.bigint() : 0n;
    const transfers = simplifyDebts(list);
    if (timing) timing.simplifyNs += process.hrtime.bigint() - started;
    if (!settles(list, transfers)) v.add('simplification preserves every balance', () => ({ list, transfers }));
    if (transfers.length > greedyTransfers(list).length) v.add('simplification uses no more transfers than greedy', () => ({ list, transfers }));
    if (stringify(simplifyDebts([...list].reverse())) !== stringify(transfers)) v.add('simplification is deterministic', () => ({ list }));
    if (!settles(list, direct.get(currency) ?? [])) v.add('direct transfers preserve every balance', () => ({ currency, list, direct: direct.get(currency) }));
  }
  // Known optima: up to 7 balances S with their negations −S (other users) settle in exactly |S|
  // transfers (the pairs {x, −x}; no group can be smaller than 2). And two currencies' balances
  // taken as one set (users kept apart) need no more transfers than each set alone.
  for (const { currency, balances: list } of balances) {
    const part = list.slice(0, 7);
    const mirrored = [...part, ...part.map((b) => ({ userId: `${b.userId}~`, amount: -b.amount }))];
    const t = simplifyDebts(mirrored);
    if (t.length !== part.length || !settles(mirrored, t)) v.add('simplification finds the optimum on mirrored balances', () => ({ currency, mirrored, t }));
  }
  for (let i = 0; i + 1 < balances.length; i++) {
    const [a, b] = [balances[i], balances[i + 1]];
    if (a.balances.length + b.balances.length > 16) continue;
    const union = [...a.balances.map((x) => ({ userId: `${x.userId}@${a.currency}`, amount: x.amount })), ...b.balances.map((x) => ({ userId: `${x.userId}@${b.currency}`, amount: x.amount }))];
    const t = simplifyDebts(union);
    if (!settles(union, t)) v.add('simplification preserves every balance', () => ({ union, t }));
    if (t.length > simplifyDebts(a.balances).length + simplifyDebts(b.balances).length) v.add('simplification finds the optimum on mirrored balances', () => ({ union, t }));
  }
  // A currency whose balances all netted to zero must have no direct transfers either.
  for (const [currency, transfers] of direct) {
    if (!balances.some((b) => b.currency === currency) && transfers.length > 0) v.add('direct transfers preserve every balance', () => ({ currency, transfers }));
  }
}

function settles(list: readonly { userId: string; amount: bigint }[], transfers: readonly { from: string; to: string; amount: bigint }[]): boolean {
  const m = new Map<string, bigint>();
  for (const t of transfers) {
    if (t.amount <= 0n || t.from === t.to) return false;
    m.set(t.to, (m.get(t.to) ?? 0n) + t.amount);
    m.set(t.from, (m.get(t.from) ?? 0n) - t.amount);
  }
  for (const b of list) if ((m.get(b.userId) ?? 0n) !== b.amount) return false;
  let nonZero = 0;
  for (const x of m.values()) if (x !== 0n) nonZero++;
  return nonZero === list.length;
}

function stringify(x: unknown): string {
  return JSON.stringify(x, (_, value) => (typeof value === 'bigint' ? `${value}n` : value));
}
