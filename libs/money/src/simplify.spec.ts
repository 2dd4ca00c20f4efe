import fc from 'fast-check';
import type { Transfer } from './balances';
import { greedyTransfers, simplifyDebts, simplifyDetailed } from './simplify';
import type { UserAmount } from './splits';

const ua = (userId: string, amount: bigint): UserAmount => ({ userId, amount });

function implied(transfers: Transfer[]): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const t of transfers) {
    expect(t.amount > 0n).toBe(true);
    expect(t.from).not.toBe(t.to);
    m.set(t.to, (m.get(t.to) ?? 0n) + t.amount);
    m.set(t.from, (m.get(t.from) ?? 0n) - t.amount);
  }
  return m;
}

function expectSettles(balances: UserAmount[], transfers: Transfer[]): void {
  const m = implied(transfers);
  for (const b of balances) expect(m.get(b.userId) ?? 0n).toBe(b.amount);
  for (const [user, v] of m) if (v !== 0n) expect(balances.some((b) => b.userId === user)).toBe(true);
}

/** Minimum transfers by brute force: n − (most zero-sum groups), trying every partition. */
function bruteMinimum(values: bigint[]): number {
  const nz = values.filter((v) => v !== 0n);
  const best = (rest: bigint[]): number => {
    if (rest.length === 0) return 0;
    const [first, ...others] = rest;
    let most = 0;
    // the group containing `first`: every subset of the others that makes it zero-sum
    for (let mask = 0; mask < 1 << others.length; mask++) {
      let s = first;
      for (let i = 0; i < others.length; i++) if (mask & (1 << i)) s += others[i];
      if (s !== 0n) continue;
      const left = others.filter((_, i) => !(mask & (1 << i)));
      most = Math.max(most, 1 + best(left));
    }
    return most;
  };
  return nz.length - best(nz);
}

describe('simplifyDebts', () => {
  it('settles a chain in one transfer', () => {
    // a owes b 10, b owes c 10 → a pays c 10
    expect(simplifyDebts([ua('a', -1000n), ua('b', 0n), ua('c', 1000n)])).toEqual([{ from: 'a', to: 'c', amount: 1000n }]);
  });

  it('finds zero-sum groups greedy misses', () => {
    const balances = [ua('a', 5n), ua('b', 4n), ua('c', -3n), ua('d', -6n), ua('e', 3n), ua('f', -3n)];
    // groups {a,c,...}: 5+4-3-6 = 0 and 3-3 = 0 → 4 transfers; greedy uses 5
    const r = simplifyDetailed(balances);
    expect(r.method).toBe('exact');
    expect(r.transfers).toHaveLength(bruteMinimum(balances.map((b) => b.amount)));
    expect(r.transfers.length).toBeLessThanOrEqual(greedyTransfers(balances).length);
    expectSettles(balances, r.transfers);
  });

  it('is deterministic and independent of input order; sorted by payer then payee', () => {
    const balances = [ua('u5', 700n), ua('u1', -300n), ua('u3', -400n), ua('u2', 250n), ua('u4', -250n)];
    const a = simplifyDebts(balances);
    const b = simplifyDebts([...balances].reverse());
    expect(b).toEqual(a);
    expect([...a].sort((x, y) => (x.from < y.from ? -1 : x.from > y.from ? 1 : x.to < y.to ? -1 : 1))).toEqual(a);
  });

  it('refuses balances that do not add up to zero or repeat a user', () => {
    expect(() => simplifyDebts([ua('a', 1n)])).toThrow(expect.objectContaining({ code: 'balance.unbalanced' }));
    expect(() => simplifyDebts([ua('a', 1n), ua('a', -1n)])).toThrow(expect.objectContaining({ code: 'balance.invalid' }));
  });

  it('handles amounts beyond 2^53 exactly (64-bit sums)', () => {
    const big = 2n ** 60n;
    const balances = [ua('a', big + 1n), ua('b', -big), ua('c', -1n), ua('d', 5n), ua('e', -5n)];
    const r = simplifyDetailed(balances);
    expect(r.method).toBe('exact');
    expect(r.transfers).toHaveLength(3);
    expectSettles(balances, r.transfers);
  });

  it('above the exact limit: peels pairs and triples, never worse than greedy', () => {
    const balances: UserAmount[] = [];
    for (let i = 0; i < 15; i++) {
      balances.push(ua(`p${String(i).padStart(2, '0')}`, BigInt(100 + i)), ua(`q${String(i).padStart(2, '0')}`, -BigInt(100 + i)));
    }
    balances.push(ua('t1', 7n), ua('t2', 5n), ua('t3', -12n));
    const r = simplifyDetailed(balances, { exactLimit: 10 });
    expect(r.method).toBe('heuristic');
    expect(r.transfers).toHaveLength(17);
    expectSettles(balances, r.transfers);
    expect(r.transfers.length).toBeLessThanOrEqual(greedyTransfers(balances).length);
  });

  it('property: exact optimum (checked by brute force), every balance preserved, never worse than greedy', () => {
    const arb = fc
      .array(fc.bigInt({ min: -20n, max: 20n }), { minLength: 1, maxLength: 9 })
      .map((xs) => [...xs, -xs.reduce((s, x) => s + x, 0n)]);
    fc.assert(
      fc.property(arb, (values) => {
        const balances = values.map((v, i) => ua(`u${i}`, v));
        const t = simplifyDebts(balances);
        expectSettles(balances, t);
        expect(t).toHaveLength(bruteMinimum(values));
        expect(t.length).toBeLessThanOrEqual(greedyTransfers(balances).length);
      }),
      { numRuns: 300 },
    );
  });

  it('property: the heuristic (exact limit lowered) preserves balances and never loses to greedy', () => {
    const arb = fc
      .array(fc.bigInt({ min: -50n, max: 50n }), { minLength: 1, maxLength: 40 })
      .map((xs) => [...xs, -xs.reduce((s, x) => s + x, 0n)]);
    fc.assert(
      fc.property(arb, fc.integer({ min: 0, max: 8 }), (values, limit) => {
        const balances = values.map((v, i) => ua(`u${String(i).padStart(2, '0')}`, v));
        const t = simplifyDebts(balances, { exactLimit: limit });
        expectSettles(balances, t);
        expect(t.length).toBeLessThanOrEqual(greedyTransfers(balances).length);
        expect(simplifyDebts([...balances].reverse(), { exactLimit: limit })).toEqual(t);
      }),
      { numRuns: 300 },
    );
  });

  it('solves 20 non-zero balances exactly, well under a second', () => {
    const values = [500n, -200n, -300n, 120n, -120n, 75n, 25n, -100n, 1n, 2n, 3n, -6n, 999n, -999n, 40n, -10n, -30n, 11n, -5n, -6n];
    expect(values.reduce((s, v) => s + v, 0n)).toBe(0n);
    const balances = values.map((v, i) => ua(`u${String(i).padStart(2, '0')}`, v));
    const started = process.hrtime.bigint();
    const r = simplifyDetailed(balances);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(r.method).toBe('exact');
    expectSettles(balances, r.transfers);
    // groups: {500,-200,-300}, {120,-120}, {75,25,-100}, {1,2,3,-6}, {999,-999}, {40,-10,-30}, {11,-5,-6} → 20 − 7
    expect(r.transfers).toHaveLength(13);
    expect(ms).toBeLessThan(1000);
  });
});
