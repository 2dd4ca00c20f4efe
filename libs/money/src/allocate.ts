import { MoneyError } from './errors';

/**
 * Allocation: splitting a whole number of minor units into parts in proportion to weights, by
 * the largest remainder method, so the parts always add up exactly to the total.
 *
 * THE RULE (allocate). Given a total T ≥ 0 in minor units and parts i = 1..n, each with a unique
 * key kᵢ and a weight wᵢ ≥ 0 (W = Σwᵢ > 0):
 *   1. Each part first gets qᵢ = floor(T·wᵢ / W) minor units.
 *   2. The leftover L = T − Σqᵢ (always 0 ≤ L < n) is given out one minor unit at a time, one
 *      unit per part at most, to the L parts with the largest remainders rᵢ = (T·wᵢ) mod W —
 *      i.e. the largest fractional parts of their exact shares.
 *   3. Parts with equal remainders are ordered by key, ascending (keys compared as strings, code
 *      unit by code unit, as JavaScript's `<` does); the earlier key gets the unit first.
 * The order in which the caller lists the parts never matters: the same keys and weights give the
 * same amounts whatever the order. A part with weight 0 gets 0. Each part gets the floor or the
 * ceiling of its exact share T·wᵢ/W, so no part is more than one minor unit from its exact share.
 * A negative total is allocated as −allocate(−T): the same rule on the magnitude.
 * Decimal-string weights ("1.5", "33.3333") are first scaled by the same power of ten to whole
 * numbers, which leaves every ratio — and so the result — unchanged.
 * Example: 100 minor units (1.00) over three equal weights → 34, 33, 33; the extra unit goes to
 * the smallest key.
 */

/** A weight: a whole number, or a non-negative decimal string (up to 10 places, 18 integer digits). */
export type Weight = bigint | string;

export interface AllocationPart {
  /** A unique, stable key (e.g. the user id): ties in rule 3 are broken by it, ascending. */
  readonly key: string;
  readonly weight: Weight;
}

const WEIGHT = /^(\d{1,18})(?:\.(\d{1,10}))?$/;

/**
 * Weights as whole numbers with the same ratios: bigints are kept, decimal strings are all scaled
 * by 10^(most decimal places among them). Refuses negatives and malformed strings (`weight.invalid`).
 */
export function integerWeights(weights: readonly Weight[]): bigint[] {
  let scale = 0;
  const parsed = weights.map((w) => {
    if (typeof w === 'bigint') {
      if (w < 0n) throw new MoneyError('weight.invalid', `A weight cannot be negative (${w}).`, { value: w.toString() });
      return { int: w, frac: '' };
    }
    const m = typeof w === 'string' ? WEIGHT.exec(w) : null;
    if (!m) {
      throw new MoneyError('weight.invalid', `A weight is a whole or decimal number of zero or more, such as "2" or "1.5", not "${String(w).slice(0, 40)}".`, {
        value: String(w).slice(0, 40),
      });
    }
    const frac = m[2] ?? '';
    if (frac.length > scale) scale = frac.length;
    return { int: BigInt(m[1]), frac };
  });
  const unit = 10n ** BigInt(scale);
  return parsed.map(({ int, frac }) => int * unit + (frac ? BigInt(frac.padEnd(scale, '0')) : 0n));
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkKeys(keys: readonly string[]): void {
  const seen = new Set<string>();
  for (const k of keys) {
    if (typeof k !== 'string') throw new MoneyError('weight.duplicate_key', 'Every part needs a string key.');
    if (seen.has(k)) throw new MoneyError('weight.duplicate_key', `The key "${k}" appears twice; each part needs its own key.`, { key: k });
    seen.add(k);
  }
}

/**
 * Splits `total` minor units over `parts` in proportion to their weights by the largest remainder
 * method (see the rule above). Returns the amounts in the order of `parts`; they sum to `total`.
 * Throws `weight.zero_total` when every weight is 0 (and the total is not 0), `weight.invalid`,
 * `weight.duplicate_key`.
 */
export function allocate(total: bigint, parts: readonly AllocationPart[]): bigint[] {
  if (typeof total !== 'bigint') throw new TypeError('allocate takes the total in minor units as a bigint');
  checkKeys(parts.map((p) => p.key));
  const w = integerWeights(parts.map((p) => p.weight));
  if (total < 0n) return allocateInts(-total, parts, w).map((x) => -x);
  return allocateInts(total, parts, w);
}

/** `allocate` keyed by the parts' keys. */
export function allocateByKey(total: bigint, parts: readonly AllocationPart[]): Map<string, bigint> {
  const amounts = allocate(total, parts);
  return new Map(parts.map((p, i) => [p.key, amounts[i]]));
}

function allocateInts(total: bigint, parts: readonly AllocationPart[], w: bigint[]): bigint[] {
  const n = parts.length;
  let W = 0n;
  for (const x of w) W += x;
  if (total === 0n) return w.map(() => 0n);
  if (W === 0n) throw new MoneyError('weight.zero_total', 'The weights add up to zero: there is nothing to split in proportion to.');
  const q = new Array<bigint>(n);
  const r = new Array<bigint>(n);
  let leftover = total;
  for (let i = 0; i < n; i++) {
    const prod = total * w[i];
    q[i] = prod / W; // non-negative operands: bigint division is floor
    r[i] = prod % W;
    leftover -= q[i];
  }
  if (leftover > 0n) {
    const order = [...q.keys()].sort((a, b) => (r[a] > r[b] ? -1 : r[a] < r[b] ? 1 : compareKeys(parts[a].key, parts[b].key)));
    for (let j = 0; j < Number(leftover); j++) q[order[j]] += 1n;
  }
  return q;
}

export interface MarginPart {
  readonly key: string;
  /** Minor units, ≥ 0. */
  readonly amount: bigint;
}

/**
 * A table of minor units whose rows sum exactly to `rows[u].amount` and whose columns sum exactly
 * to `cols[p].amount` (the two margins must have the same total T), each cell the floor or the
 * ceiling of its exact proportional value rows[u]·cols[p]/T (controlled rounding). Used for "who
 * owes which payer how much": rows are the shares, columns the amounts paid.
 *
 * The rule: every cell first gets floor(row·col/T); the units still missing from each row and each
 * column are then given, one per cell at most, to the cells with the largest remainders
 * (row·col mod T), ties by row key then column key ascending, as long as both that row and that
 * column still miss units; if some are still missing after that pass, augmenting paths (searched
 * breadth-first in key order) move those units between cells with non-zero remainders until every
 * row and column total is met — always possible, since the exact fractional table is a solution.
 * Independent of the order in which rows and columns are listed.
 */
export function allocateTable(rows: readonly MarginPart[], cols: readonly MarginPart[]): bigint[][] {
  checkKeys(rows.map((r) => r.key));
  checkKeys(cols.map((c) => c.key));
  let T = 0n;
  let Tc = 0n;
  for (const r of rows) {
    if (typeof r.amount !== 'bigint' || r.amount < 0n) throw new MoneyError('weight.invalid', 'Table margins are minor units, zero or more.');
    T += r.amount;
  }
  for (const c of cols) {
    if (typeof c.amount !== 'bigint' || c.amount < 0n) throw new MoneyError('weight.invalid', 'Table margins are minor units, zero or more.');
    Tc += c.amount;
  }
  if (T !== Tc) throw new MoneyError('weight.invalid', `The rows add up to ${T} and the columns to ${Tc}; they must be equal.`);
  const R = rows.length;
  const C = cols.length;
  const cell: bigint[][] = rows.map(() => new Array<bigint>(C).fill(0n));
  if (T === 0n) return cell;
  if (C === 1) {
    // One column (a single payer): every row all in it — exact, nothing to round.
    rows.forEach((r, u) => (cell[u][0] = r.amount));
    return cell;
  }
  if (R === 1) {
    cols.forEach((c, p) => (cell[0][p] = c.amount));
    return cell;
  }
  const rem: bigint[][] = rows.map(() => new Array<bigint>(C).fill(0n));
  const needR = rows.map((r) => r.amount);
  const needC = cols.map((c) => c.amount);
  for (let u = 0; u < R; u++) {
    for (let p = 0; p < C; p++) {
      const prod = rows[u].amount * cols[p].amount;
      cell[u][p] = prod / T;
      rem[u][p] = prod % T;
      needR[u] -= cell[u][p];
      needC[p] -= cell[u][p];
    }
  }
  // The remainders' fractional table has row sums needR and column sums needC; add one unit to
  // some cells with a non-zero remainder so that the needs are met.
  const added: boolean[][] = rows.map(() => new Array<boolean>(C).fill(false));
  const rOrder = [...rows.keys()].sort((a, b) => compareKeys(rows[a].key, rows[b].key));
  const cOrder = [...cols.keys()].sort((a, b) => compareKeys(cols[a].key, cols[b].key));
  const cells: [number, number][] = [];
  for (const u of rOrder) for (const p of cOrder) if (rem[u][p] > 0n) cells.push([u, p]);
  cells.sort(([u1, p1], [u2, p2]) => {
    const a = rem[u1][p1];
    const b = rem[u2][p2];
    if (a !== b) return a > b ? -1 : 1;
    return compareKeys(rows[u1].key, rows[u2].key) || compareKeys(cols[p1].key, cols[p2].key);
  });
  let missing = 0n;
  for (const n of needR) missing += n;
  for (const [u, p] of cells) {
    if (needR[u] > 0n && needC[p] > 0n) {
      added[u][p] = true;
      needR[u]--;
      needC[p]--;
      missing--;
    }
  }
  while (missing > 0n) {
    // Breadth-first search from rows still missing units: row → column over a free cell with a
    // remainder, column → row over a cell already given a unit; ends at a column still missing units.
    const prevOfCol = new Array<number>(C).fill(-1);
    const prevOfRow = new Array<number>(R).fill(-2);
    const queue: number[] = [];
    for (const u of rOrder) if (needR[u] > 0n) { prevOfRow[u] = -1; queue.push(u); }
    let end = -1;
    for (let qi = 0; qi < queue.length && end < 0; qi++) {
      const u = queue[qi];
      for (const p of cOrder) {
        if (prevOfCol[p] !== -1 || added[u][p] || rem[u][p] === 0n) continue;
        prevOfCol[p] = u;
        if (needC[p] > 0n) { end = p; break; }
        for (const v of rOrder) {
          if (prevOfRow[v] === -2 && added[v][p]) { prevOfRow[v] = p; queue.push(v); }
        }
      }
    }
    if (end < 0) throw new Error('allocateTable: no augmenting path (cannot happen for consistent margins)');
    let p = end;
    needC[p]--;
    for (;;) {
      const u = prevOfCol[p];
      added[u][p] = true;
      const back = prevOfRow[u];
      if (back === -1) { needR[u]--; break; }
      added[u][back] = false;
      p = back;
    }
    missing--;
  }
  for (let u = 0; u < R; u++) for (let p = 0; p < C; p++) if (added[u][p]) cell[u][p] += 1n;
  return cell;
}
