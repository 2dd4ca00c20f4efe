/**
 * Property tests over random expenses (fast-check): every split type, one to three payers,
 * JPY (0 places), USD (2) and BHD (3), with settlements. 100,000 expenses per run: few fast-check
 * runs, each a group of many expenses. `tools/bench/money.ts` runs the same checks on 1,000,000.
 * On a failure fast-check prints the seed and the shrunk group; the message names the first
 * violating expense of each kind.
 */
import fc from 'fast-check';
import { CHECKS, checkGroup, groupArb, Violations } from './testing/expense-cases';

const GROUPS = 200;
const EXPENSES_PER_GROUP = 500;

describe('money properties over random expenses', () => {
  it(`hold for ${GROUPS * EXPENSES_PER_GROUP} expenses in ${GROUPS} groups`, () => {
    const all = new Violations();
    fc.assert(
      fc.property(groupArb(EXPENSES_PER_GROUP), (g) => {
        const v = new Violations();
        checkGroup(g, v);
        all.expenses += v.expenses;
        if (v.total > 0) {
          throw new Error([...v.counts].map(([kind, n]) => `${kind}: ${n} (first: ${v.examples.get(kind)})`).join('\n'));
        }
      }),
      { numRuns: GROUPS, endOnFailure: true },
    );
    expect(all.expenses).toBe(GROUPS * EXPENSES_PER_GROUP);
    expect(CHECKS.length).toBeGreaterThan(10);
  });
});
