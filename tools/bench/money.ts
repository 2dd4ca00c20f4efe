/**
 * `node -r @swc-node/register tools/bench/money.ts [--expenses 1000000] [--group 500] [--seed 1] [--runs 7] [--sizes 10,16,20,22,24]`
 * (or `npm run bench:money`)
 *
 * 1. The property checks of libs/money (`libs/money/src/testing/expense-cases.ts`, the same ones the
 *    unit suite runs on 100,000) over `--expenses` random expenses in groups of `--group`: every
 *    split type, one to three payers, JPY/USD/BHD, edits, reordering, settlements. Prints the count
 *    of each kind of violation (all must be 0) and the time; exits 1 on any violation.
 * 2. Debt simplification time for 10, 16, 20, 22 and 24 non-zero balances (median of `--runs`
 *    random sets each): exact (subset DP, the limit raised as needed) and with the default options
 *    (exact up to 20, heuristic above), beside the target: well under a second for 20.
 * Pure computation, no I/O: one core, about a minute for a million expenses on this machine.
 */
import fc from 'fast-check';
import { DEFAULT_EXACT_LIMIT, greedyTransfers, simplifyDetailed, type UserAmount } from '@tally/money';
import { CHECKS, checkGroup, groupArb, Violations } from '../../libs/money/src/testing/expense-cases';

interface Options {
  expenses: number;
  group: number;
  seed: number;
  runs: number;
  sizes: number[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { expenses: 1_000_000, group: 500, seed: 1, runs: 7, sizes: [10, 16, 20, 22, 24] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--expenses') o.expenses = Number(argv[++i]);
    else if (a === '--group') o.group = Number(argv[++i]);
    else if (a === '--seed') o.seed = Number(argv[++i]);
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--sizes') o.sizes = argv[++i].split(',').map(Number);
    else throw new Error(`unknown option ${a}`);
  }
  if (!(o.expenses >= 1 && o.group >= 1 && o.runs >= 1)) throw new Error('--expenses, --group and --runs must be positive');
  if (o.sizes.some((n) => !(n >= 2 && n <= 26))) throw new Error('--sizes must be 2..26');
  return o;
}

const ms = (ns: bigint) => Number(ns) / 1e6;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function checks(o: Options): number {
  const v = new Violations();
  const timing = { simplifyNs: 0n };
  let generateNs = 0n;
  let checkNs = 0n;
  const groups = Math.ceil(o.expenses / o.group);
  const chunk = 20;
  const started = process.hrtime.bigint();
  for (let done = 0, batch = 0; done < groups; done += chunk, batch++) {
    const n = Math.min(chunk, groups - done);
    const lastSize = o.expenses - (groups - 1) * o.group;
    let t = process.hrtime.bigint();
    const sample = fc.sample(groupArb(o.group), { numRuns: n, seed: o.seed * 1_000_003 + batch });
    if (done + n === groups) sample[n - 1] = { ...sample[n - 1], expenses: sample[n - 1].expenses.slice(0, lastSize) };
    generateNs += process.hrtime.bigint() - t;
    t = process.hrtime.bigint();
    for (const g of sample) checkGroup(g, v, timing);
    checkNs += process.hrtime.bigint() - t;
    if (process.stdout.isTTY) process.stdout.write(`\r${v.expenses} expenses checked`);
  }
  if (process.stdout.isTTY) process.stdout.write('\r');
  const total = ms(process.hrtime.bigint() - started);
  console.log(`== property checks: ${v.expenses} expenses in ${v.groups} groups (seed ${o.seed})`);
  for (const kind of [...CHECKS, ...[...v.counts.keys()].filter((k) => !(CHECKS as readonly string[]).includes(k))]) {
    console.log(`  ${String(v.counts.get(kind) ?? 0).padStart(7)}  ${kind}`);
  }
  for (const [kind, example] of v.examples) console.log(`  first "${kind}": ${example.slice(0, 2000)}`);
  console.log(
    `violations: ${v.total}   time ${(total / 1000).toFixed(1)} s (generating ${(ms(generateNs) / 1000).toFixed(1)} s, checking ${(ms(checkNs) / 1000).toFixed(1)} s, of which simplification ${(ms(timing.simplifyNs) / 1000).toFixed(2)} s)   ${Math.round(v.expenses / (total / 1000))} expenses/s`,
  );
  return v.total;
}

/**
 * `n` non-zero balances adding up to zero, amounts up to ±1,000.00, made of zero-sum clusters of 2–5
 * users (as in a group that settles in cliques) under shuffled user ids, so the exact optimum beats
 * greedy; the DP's cost (2ⁿ subsets) does not depend on the values.
 */
function randomBalances(n: number, seed: number): UserAmount[] {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s >>> 8);
  const amounts: bigint[] = [];
  while (amounts.length < n) {
    const left = n - amounts.length;
    let size = left <= 5 ? left : 2 + (next() % 4);
    if (left - size === 1) size++; // never leave a single balance, which could not sum to zero
    let sum = 0n;
    for (let i = 0; i < size - 1; i++) {
      const a = BigInt((next() % 200_000) - 100_000) || 1n;
      amounts.push(a);
      sum += a;
    }
    amounts.push(sum === 0n ? 0n : -sum);
    if (sum === 0n) amounts.splice(amounts.length - size, size); // a cluster that summed to zero early: redo it
  }
  const ids = amounts.map((_, i) => i);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  return amounts.map((amount, i) => ({ userId: `user-${String(ids[i]).padStart(2, '0')}`, amount }));
}

function simplification(o: Options): void {
  console.log(`\n== simplification time, ${o.runs} random balance sets per size (median; min–max)`);
  console.log('  balances | exact (subset DP)        | transfers | default options (exact <= 20) | transfers | greedy transfers');
  for (const n of o.sizes) {
    const exact: number[] = [];
    const dflt: number[] = [];
    let transfersExact = 0;
    let transfersDefault = 0;
    let transfersGreedy = 0;
    let method = '';
    for (let run = 0; run < o.runs; run++) {
      const balances = randomBalances(n, o.seed * 7919 + n * 101 + run);
      let t = process.hrtime.bigint();
      const e = simplifyDetailed(balances, { exactLimit: Math.max(n, DEFAULT_EXACT_LIMIT) });
      exact.push(ms(process.hrtime.bigint() - t));
      t = process.hrtime.bigint();
      const d = simplifyDetailed(balances);
      dflt.push(ms(process.hrtime.bigint() - t));
      transfersExact += e.transfers.length;
      transfersDefault += d.transfers.length;
      transfersGreedy += greedyTransfers(balances).length;
      method = d.method;
    }
    const fmt = (xs: number[]) => `${median(xs).toFixed(1)} ms (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
    const avg = (x: number) => (x / o.runs).toFixed(1);
    console.log(
      `  ${String(n).padStart(8)} | ${fmt(exact).padEnd(24)} | ${avg(transfersExact).padStart(9)} | ${`${fmt(dflt)} ${method}`.padEnd(29)} | ${avg(transfersDefault).padStart(9)} | ${avg(transfersGreedy)}`,
    );
    if (n === 20) console.log(`            target for 20: well under a second -> ${median(exact) < 500 ? 'met' : median(exact) < 1000 ? 'under a second, not well under' : 'NOT met'}`);
  }
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  console.log(`node ${process.version}, ${require('node:os').cpus().length} cores, load average ${require('node:os').loadavg().map((x: number) => x.toFixed(1)).join(' ')}`);
  const violations = checks(o);
  simplification(o);
  process.exitCode = violations === 0 ? 0 : 1;
}

main();
