import { byFromTo, type Transfer } from './balances';
import { SplitError } from './errors';
import type { UserAmount } from './splits';

/**
 * Debt simplification: the fewest payments that settle one currency's net balances.
 *
 * Exact (up to `exactLimit` non-zero balances, default 20): with n non-zero balances, the
 * minimum number of transfers is n − m, where m is the largest number of disjoint groups, each
 * adding up to zero, that the balances can be split into (a group of k settles in k − 1
 * payments, and no fewer). m comes from a dynamic programme over the 2ⁿ subsets (masks), in
 * typed arrays: sum[mask] = sum[mask without its lowest member] + that member's balance;
 * dp[mask] = max over members i of dp[mask \ i], plus 1 when sum[mask] = 0. Walking back from the
 * full set (always removing the lowest-indexed member that keeps the optimum) gives a chain of
 * zero-sum sets whose differences are the groups; each group is settled greedily (below) in
 * exactly k − 1 payments. Time O(2ⁿ·n), memory 9·2ⁿ bytes (20: ~10 MB; 24: ~150 MB).
 *
 * Above the limit (a bounded heuristic): zero-sum pairs are peeled off first (one payment each),
 * then zero-sum triples (two each, O(n²) look-ups with a hash of amounts), then the rest is settled
 * exactly when it is now within the limit, greedily otherwise. Plain greedy over all balances is
 * computed too, and whichever has fewer payments is returned: never worse than greedy.
 *
 * Greedy: repeatedly the largest debtor pays the largest creditor the smaller of the two amounts
 * (ties by user id ascending), so each payment settles at least one of them: at most n − 1.
 *
 * Every net balance is preserved exactly; the output is the same for the same balances whatever
 * their order (members are ordered by user id), sorted by payer then payee.
 */

export interface SimplifyOptions {
  /** The most non-zero balances solved exactly (default 20; 2ⁿ memory and time beyond). */
  readonly exactLimit?: number;
}

export const DEFAULT_EXACT_LIMIT = 20;
/** Never solve more than this exactly, whatever the option says (2²⁶ masks ≈ 600 MB). */
export const MAX_EXACT_LIMIT = 26;

interface Member {
  readonly userId: string;
  readonly amount: bigint;
}

/** Suggested transfers settling `balances` (one currency; they must add up to zero). */
export function simplifyDebts(balances: readonly UserAmount[], options: SimplifyOptions = {}): Transfer[] {
  return simplifyDetailed(balances, options).transfers;
}

/** `simplifyDebts`, also telling which method produced the transfers. */
export function simplifyDetailed(
  balances: readonly UserAmount[],
  options: SimplifyOptions = {},
): { transfers: Transfer[]; method: 'exact' | 'heuristic' | 'greedy' } {
  const limit = Math.min(options.exactLimit ?? DEFAULT_EXACT_LIMIT, MAX_EXACT_LIMIT);
  const members = prepare(balances);
  if (members.length <= limit) {
    const exact = exactTransfers(members);
    if (exact) return { transfers: exact.sort(byFromTo), method: 'exact' };
  }
  const heuristic = heuristicTransfers(members, limit);
  const greedy = greedySettle(members);
  return heuristic.length <= greedy.length
    ? { transfers: heuristic.sort(byFromTo), method: 'heuristic' }
    : { transfers: greedy.sort(byFromTo), method: 'greedy' };
}

/** Plain greedy (largest debtor pays largest creditor), for comparison and as the fallback. */
export function greedyTransfers(balances: readonly UserAmount[]): Transfer[] {
  return greedySettle(prepare(balances)).sort(byFromTo);
}

/** Checks the balances and returns the non-zero ones sorted by user id. */
function prepare(balances: readonly UserAmount[]): Member[] {
  const seen = new Set<string>();
  let sum = 0n;
  const out: Member[] = [];
  for (const b of balances) {
    if (typeof b?.userId !== 'string' || typeof b.amount !== 'bigint') {
      throw new SplitError('balance.invalid', 'A balance needs a user id and an amount in minor units.');
    }
    if (seen.has(b.userId)) throw new SplitError('balance.invalid', `User ${b.userId} has two balances.`, { userId: b.userId });
    seen.add(b.userId);
    sum += b.amount;
    if (b.amount !== 0n) out.push({ userId: b.userId, amount: b.amount });
  }
  if (sum !== 0n) throw new SplitError('balance.unbalanced', `The balances add up to ${sum} minor units, not zero.`, { sum: sum.toString() });
  return out.sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}

/** Exact minimum; null when the amounts are too large for exact subset sums in 64 bits. */
function exactTransfers(members: readonly Member[]): Transfer[] | null {
  const n = members.length;
  if (n === 0) return [];
  let magnitude = 0n;
  for (const m of members) magnitude += m.amount < 0n ? -m.amount : m.amount;
  let groups: number[];
  if (magnitude <= BigInt(Number.MAX_SAFE_INTEGER)) {
    // Every subset sum is an integer below 2⁵³: exact in a Float64Array.
    const sum = subsetDpFloat(n, members.map((m) => Number(m.amount)));
    groups = zeroSumGroups(n, sum.dp, (mask) => sum.sum[mask] === 0);
  } else if (magnitude < 1n << 63n) {
    const sum = subsetDpBigInt(n, members.map((m) => m.amount));
    groups = zeroSumGroups(n, sum.dp, (mask) => sum.sum[mask] === 0n);
  } else {
    return null;
  }
  const transfers: Transfer[] = [];
  for (const g of groups) {
    const group: Member[] = [];
    for (let i = 0; i < n; i++) if (g & (1 << i)) group.push(members[i]);
    transfers.push(...greedySettle(group));
  }
  return transfers;
}

/**
 * The subset DP: sum[mask] (exact while every subset sum stays below 2⁵³) and dp[mask], the most
 * zero-sum sets in a chain ∅ ⊂ … ⊂ mask growing one member at a time.
 */
function subsetDpFloat(n: number, values: readonly number[]): { sum: Float64Array; dp: Uint8Array } {
  const size = 1 << n;
  const sum = new Float64Array(size);
  const dp = new Uint8Array(size);
  for (let mask = 1; mask < size; mask++) {
    const low = mask & -mask;
    const s = sum[mask ^ low] + values[31 - Math.clz32(low)];
    sum[mask] = s;
    let best = 0;
    for (let rest = mask; rest !== 0; rest &= rest - 1) {
      const d = dp[mask ^ (rest & -rest)];
      if (d > best) best = d;
    }
    dp[mask] = s === 0 ? best + 1 : best;
  }
  return { sum, dp };
}

/** `subsetDpFloat` for amounts whose subset sums need 64 bits (slower, rarely needed). */
function subsetDpBigInt(n: number, values: readonly bigint[]): { sum: BigInt64Array; dp: Uint8Array } {
  const size = 1 << n;
  const sum = new BigInt64Array(size);
  const dp = new Uint8Array(size);
  for (let mask = 1; mask < size; mask++) {
    const low = mask & -mask;
    const s = sum[mask ^ low] + values[31 - Math.clz32(low)];
    sum[mask] = s;
    let best = 0;
    for (let rest = mask; rest !== 0; rest &= rest - 1) {
      const d = dp[mask ^ (rest & -rest)];
      if (d > best) best = d;
    }
    dp[mask] = s === 0n ? best + 1 : best;
  }
  return { sum, dp };
}

/**
 * Walks back from the full set, each step removing the lowest-indexed member that keeps the
 * optimum; the differences between consecutive zero-sum sets on that chain are the groups (masks).
 */
function zeroSumGroups(n: number, dp: Uint8Array, isZero: (mask: number) => boolean): number[] {
  const groups: number[] = [];
  let mask = (1 << n) - 1;
  let lastZero = mask;
  while (mask !== 0) {
    const want = isZero(mask) ? dp[mask] - 1 : dp[mask];
    let next = -1;
    for (let rest = mask; rest !== 0; rest &= rest - 1) {
      const candidate = mask ^ (rest & -rest);
      if (dp[candidate] === want) {
        next = candidate;
        break;
      }
    }
    mask = next;
    if (mask === 0 || isZero(mask)) {
      groups.push(lastZero ^ mask);
      lastZero = mask;
    }
  }
  return groups;
}

/** Peel zero-sum pairs and triples, then exact (if within the limit) or greedy on the rest. */
function heuristicTransfers(members: readonly Member[], limit: number): Transfer[] {
  const used = new Uint8Array(members.length);
  const transfers: Transfer[] = [];
  const byAmount = new Map<bigint, number[]>();
  members.forEach((m, i) => {
    const list = byAmount.get(m.amount);
    if (list) list.push(i);
    else byAmount.set(m.amount, [i]);
  });
  const take = (amount: bigint, not1: number, not2: number): number => {
    const list = byAmount.get(amount);
    if (!list) return -1;
    for (const k of list) if (!used[k] && k !== not1 && k !== not2) return k;
    return -1;
  };
  // Pairs: a creditor and a debtor of the same amount.
  members.forEach((m, i) => {
    if (used[i] || m.amount < 0n) return;
    const k = take(-m.amount, i, i);
    if (k < 0) return;
    used[i] = used[k] = 1;
    transfers.push({ from: members[k].userId, to: m.userId, amount: m.amount });
  });
  // Triples: i, j and a k with the opposite of their sum (bounded: O(n²) look-ups).
  const rest = () => members.map((_, i) => i).filter((i) => !used[i]);
  const remaining = rest();
  if (remaining.length <= 4000) {
    for (let a = 0; a < remaining.length; a++) {
      const i = remaining[a];
      if (used[i]) continue;
      for (let b = a + 1; b < remaining.length; b++) {
        const j = remaining[b];
        if (used[j]) continue;
        const k = take(-(members[i].amount + members[j].amount), i, j);
        if (k < 0) continue;
        used[i] = used[j] = used[k] = 1;
        transfers.push(...greedySettle([members[i], members[j], members[k]]));
        break;
      }
    }
  }
  const left = rest().map((i) => members[i]);
  const exact = left.length <= limit ? exactTransfers(left) : null;
  transfers.push(...(exact ?? greedySettle(left)));
  return transfers;
}

/** Largest debtor pays largest creditor, ties by user id; each payment settles at least one side. */
function greedySettle(members: readonly Member[]): Transfer[] {
  const debtors = new Heap();
  const creditors = new Heap();
  for (const m of members) {
    if (m.amount > 0n) creditors.push({ userId: m.userId, amount: m.amount });
    else if (m.amount < 0n) debtors.push({ userId: m.userId, amount: -m.amount });
  }
  const transfers: Transfer[] = [];
  while (debtors.size > 0 && creditors.size > 0) {
    const d = debtors.pop();
    const c = creditors.pop();
    const amount = d.amount < c.amount ? d.amount : c.amount;
    transfers.push({ from: d.userId, to: c.userId, amount });
    if (d.amount > amount) debtors.push({ userId: d.userId, amount: d.amount - amount });
    if (c.amount > amount) creditors.push({ userId: c.userId, amount: c.amount - amount });
  }
  if (debtors.size > 0 || creditors.size > 0) throw new Error('greedySettle: balances do not add up to zero');
  return transfers;
}

/** A max-heap of (amount, then smallest user id first). */
class Heap {
  private readonly items: Member[] = [];
  get size(): number {
    return this.items.length;
  }
  private before(a: Member, b: Member): boolean {
    return a.amount > b.amount || (a.amount === b.amount && a.userId < b.userId);
  }
  push(m: Member): void {
    const h = this.items;
    h.push(m);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }
  pop(): Member {
    const h = this.items;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < h.length && this.before(h[l], h[best])) best = l;
        if (r < h.length && this.before(h[r], h[best])) best = r;
        if (best === i) break;
        [h[i], h[best]] = [h[best], h[i]];
        i = best;
      }
    }
    return top;
  }
}
