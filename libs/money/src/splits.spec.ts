import { SplitError } from './errors';
import { computePayers, computeShares, computeSplit, type SplitSpec } from './splits';

const usd = { code: 'USD', decimalPlaces: 2 };
const shares = (amount: bigint, split: SplitSpec, places = 2) =>
  Object.fromEntries(computeShares(amount, places, split).map((s) => [s.userId, s.amount]));

function errorOf(fn: () => unknown): SplitError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SplitError) return e;
    throw e;
  }
  throw new Error('expected a SplitError');
}

describe('equal', () => {
  it('gives the leftover cents to the smallest user ids, whatever the order', () => {
    expect(shares(100n, { type: 'equal', userIds: ['u3', 'u1', 'u2'] })).toEqual({ u1: 34n, u2: 33n, u3: 33n });
    expect(shares(200n, { type: 'equal', userIds: ['u2', 'u3', 'u1'] })).toEqual({ u1: 67n, u2: 67n, u3: 66n });
  });

  it('drops zero shares', () => {
    const result = computeShares(2n, 2, { type: 'equal', userIds: ['a', 'b', 'c'] });
    expect(result).toEqual([{ userId: 'a', amount: 1n }, { userId: 'b', amount: 1n }]);
  });

  it('works for JPY and BHD', () => {
    expect(shares(1000n, { type: 'equal', userIds: ['a', 'b', 'c'] }, 0)).toEqual({ a: 334n, b: 333n, c: 333n });
    expect(shares(10000n, { type: 'equal', userIds: ['a', 'b', 'c'] }, 3)).toEqual({ a: 3334n, b: 3333n, c: 3333n });
  });

  it('refuses an empty list and duplicates', () => {
    expect(errorOf(() => computeShares(100n, 2, { type: 'equal', userIds: [] })).code).toBe('split.no_participants');
    expect(errorOf(() => computeShares(100n, 2, { type: 'equal', userIds: ['a', 'a'] })).code).toBe('split.duplicate_user');
    expect(errorOf(() => computeShares(100n, 2, { type: 'equal', userIds: [''] })).code).toBe('split.invalid_user');
  });
});

describe('exact', () => {
  it('takes amounts that add up to the total (strings or minor units)', () => {
    expect(shares(1000n, { type: 'exact', amounts: [{ userId: 'a', amount: '7.50' }, { userId: 'b', amount: 250n }, { userId: 'c', amount: '0' }] })).toEqual({
      a: 750n,
      b: 250n,
    });
  });

  it('refuses a sum that differs, with both figures', () => {
    const e = errorOf(() => computeShares(1000n, 2, { type: 'exact', amounts: [{ userId: 'a', amount: '7.50' }, { userId: 'b', amount: '2.49' }] }));
    expect(e.code).toBe('split.exact_sum_mismatch');
    expect(e.details).toMatchObject({ expected: '10.00', actual: '9.99' });
    expect(e.message).toBe("The exact amounts add up to 9.99, not the expense's 10.00.");
  });

  it('refuses negative amounts and too many places, naming the field', () => {
    expect(errorOf(() => computeShares(100n, 2, { type: 'exact', amounts: [{ userId: 'a', amount: '-1.00' }, { userId: 'b', amount: '2.00' }] })).code).toBe(
      'split.negative_share',
    );
    const e = errorOf(() => computeShares(100n, 2, { type: 'exact', amounts: [{ userId: 'a', amount: '1.001' }] }));
    expect(e.code).toBe('amount.too_many_places');
    expect(e.details.field).toBe('split.amounts[0].amount');
  });
});

describe('percentage', () => {
  it('allocates by percentages summing to exactly 100', () => {
    expect(shares(10000n, { type: 'percentage', percentages: [{ userId: 'a', percent: '33.3333' }, { userId: 'b', percent: '33.3333' }, { userId: 'c', percent: '33.3334' }] })).toEqual({
      a: 3333n,
      b: 3333n,
      c: 3334n,
    });
    expect(shares(100n, { type: 'percentage', percentages: [{ userId: 'a', percent: '50' }, { userId: 'b', percent: '50.0' }] })).toEqual({ a: 50n, b: 50n });
  });

  it('refuses a sum other than 100 and malformed percentages', () => {
    const e = errorOf(() => computeShares(100n, 2, { type: 'percentage', percentages: [{ userId: 'a', percent: '50' }, { userId: 'b', percent: '49.99' }] }));
    expect(e.code).toBe('split.percentage_sum');
    expect(e.message).toBe('The percentages add up to 99.99, not 100.');
    for (const bad of ['-5', '1e2', '33.33333', '1000', '']) {
      expect(errorOf(() => computeShares(100n, 2, { type: 'percentage', percentages: [{ userId: 'a', percent: bad }] })).code).toBe('amount.invalid');
    }
  });
});

describe('shares', () => {
  it('allocates by whole or decimal share counts; zero counts get nothing', () => {
    expect(shares(1000n, { type: 'shares', shares: [{ userId: 'a', shares: 2n }, { userId: 'b', shares: '1' }, { userId: 'c', shares: '0' }] })).toEqual({
      a: 667n,
      b: 333n,
    });
    expect(shares(1000n, { type: 'shares', shares: [{ userId: 'a', shares: '1.5' }, { userId: 'b', shares: '0.5' }] })).toEqual({ a: 750n, b: 250n });
  });

  it('refuses all-zero and negative counts', () => {
    expect(errorOf(() => computeShares(1000n, 2, { type: 'shares', shares: [{ userId: 'a', shares: '0' }] })).code).toBe('split.zero_weights');
    const e = errorOf(() => computeShares(1000n, 2, { type: 'shares', shares: [{ userId: 'a', shares: '1' }, { userId: 'b', shares: '-1' }] }));
    expect(e.code).toBe('weight.invalid');
    expect(e.details.field).toBe('split.shares[1].shares');
  });
});

describe('adjustment', () => {
  it('adds each adjustment to an equal part of the rest', () => {
    // 100.00 - (10.00 + 0 + 5.00) = 85.00 → 28.34, 28.33, 28.33
    expect(shares(10000n, { type: 'adjustment', adjustments: [{ userId: 'a', adjustment: '10.00' }, { userId: 'b', adjustment: '0' }, { userId: 'c', adjustment: '5' }] })).toEqual({
      a: 3834n,
      b: 2833n,
      c: 3333n,
    });
  });

  it('allows negative adjustments while no share goes below zero', () => {
    expect(shares(1000n, { type: 'adjustment', adjustments: [{ userId: 'a', adjustment: '-2.00' }, { userId: 'b', adjustment: '0' }] })).toEqual({ a: 400n, b: 600n });
    expect(shares(1000n, { type: 'adjustment', adjustments: [{ userId: 'a', adjustment: '-10.00' }, { userId: 'b', adjustment: '0' }] })).toEqual({ b: 1000n });
    expect(errorOf(() => computeShares(1000n, 2, { type: 'adjustment', adjustments: [{ userId: 'a', adjustment: '-10.02' }, { userId: 'b', adjustment: '0' }] })).code).toBe(
      'split.negative_share',
    );
  });

  it('refuses adjustments adding up to more than the amount', () => {
    const e = errorOf(() => computeShares(1000n, 2, { type: 'adjustment', adjustments: [{ userId: 'a', adjustment: '6' }, { userId: 'b', adjustment: '4.01' }] }));
    expect(e.code).toBe('split.adjustment_exceeds_amount');
    // exactly the amount is fine: the equal part is zero
    expect(shares(1000n, { type: 'adjustment', adjustments: [{ userId: 'a', adjustment: '6' }, { userId: 'b', adjustment: '4' }] })).toEqual({ a: 600n, b: 400n });
  });
});

describe('itemized', () => {
  const split: SplitSpec = {
    type: 'itemized',
    items: [
      { amount: '60.00', userIds: ['a', 'b'] },
      { amount: '25.00', weights: [{ userId: 'c', weight: '1.5' }, { userId: 'a', weight: 1n }] },
    ],
    tax: '10.00',
    tip: '5.00',
  };

  it('splits items, then tax and tip in proportion to each subtotal', () => {
    // subtotals a 40.00, b 30.00, c 15.00; tax+tip 15.00 → 7.0588, 5.2941, 2.6470 → 7.06, 5.29, 2.65
    expect(shares(10000n, split)).toEqual({ a: 4706n, b: 3529n, c: 1765n });
  });

  it('refuses items + tax + tip that differ from the amount', () => {
    const e = errorOf(() => computeShares(10001n, 2, split));
    expect(e.code).toBe('split.itemized_sum_mismatch');
    expect(e.details).toMatchObject({ expected: '100.01', actual: '100.00' });
  });

  it('refuses an item without users, or with both forms', () => {
    expect(errorOf(() => computeShares(100n, 2, { type: 'itemized', items: [{ amount: '1.00', userIds: [] }] })).code).toBe('split.item_no_users');
    expect(errorOf(() => computeShares(100n, 2, { type: 'itemized', items: [{ amount: '1.00' }] })).code).toBe('split.invalid_item');
    expect(errorOf(() => computeShares(100n, 2, { type: 'itemized', items: [{ amount: '1.00', userIds: ['a'], weights: [{ userId: 'a', weight: 1n }] }] })).code).toBe(
      'split.invalid_item',
    );
    expect(errorOf(() => computeShares(100n, 2, { type: 'itemized', items: [{ amount: '0', userIds: ['a'] }], tax: '1.00' })).code).toBe('split.zero_weights');
  });

  it('lets a user appear in several items', () => {
    expect(
      shares(300n, { type: 'itemized', items: [{ amount: '1.00', userIds: ['a'] }, { amount: '2.00', userIds: ['a', 'b'] }] }),
    ).toEqual({ a: 200n, b: 100n });
  });
});

describe('payers and computeSplit', () => {
  it('a single payer without an amount paid it all', () => {
    expect(computePayers(1234n, 2, [{ userId: 'p' }])).toEqual([{ userId: 'p', amount: 1234n }]);
  });

  it('several payers must add up exactly', () => {
    expect(computePayers(1000n, 2, [{ userId: 'q', amount: '4' }, { userId: 'p', amount: '6.00' }, { userId: 'r', amount: '0' }])).toEqual([
      { userId: 'p', amount: 600n },
      { userId: 'q', amount: 400n },
    ]);
    expect(errorOf(() => computePayers(1000n, 2, [{ userId: 'q', amount: '4' }, { userId: 'p', amount: '5.99' }])).code).toBe('split.payers_sum_mismatch');
    expect(errorOf(() => computePayers(1000n, 2, [{ userId: 'q', amount: '4' }, { userId: 'p' }])).code).toBe('split.payer_amount_required');
    expect(errorOf(() => computePayers(1000n, 2, [{ userId: 'q', amount: '5' }, { userId: 'q', amount: '5' }])).code).toBe('split.duplicate_payer');
    expect(errorOf(() => computePayers(1000n, 2, [])).code).toBe('split.no_payers');
    expect(errorOf(() => computePayers(1000n, 2, [{ userId: 'q', amount: '-10' }, { userId: 'p', amount: '20' }])).code).toBe('amount.negative');
  });

  it('computes a whole expense from wire strings', () => {
    const out = computeSplit({ amount: '10.00', currency: usd, split: { type: 'equal', userIds: ['b', 'a', 'c'] }, payers: [{ userId: 'a' }] });
    expect(out).toEqual({
      amount: 1000n,
      shares: [{ userId: 'a', amount: 334n }, { userId: 'b', amount: 333n }, { userId: 'c', amount: 333n }],
      payers: [{ userId: 'a', amount: 1000n }],
    });
  });

  it('refuses a zero or malformed amount and an unknown type', () => {
    expect(errorOf(() => computeSplit({ amount: '0.00', currency: usd, split: { type: 'equal', userIds: ['a'] }, payers: [{ userId: 'a' }] })).code).toBe('amount.not_positive');
    expect(errorOf(() => computeSplit({ amount: '1e3', currency: usd, split: { type: 'equal', userIds: ['a'] }, payers: [{ userId: 'a' }] })).details.field).toBe('amount');
    expect(errorOf(() => computeSplit({ amount: 10n ** 20n, currency: usd, split: { type: 'equal', userIds: ['a'] }, payers: [{ userId: 'a' }] })).code).toBe('amount.too_large');
    expect(
      errorOf(() => computeSplit({ amount: '1', currency: usd, split: { type: 'bogus' } as unknown as SplitSpec, payers: [{ userId: 'a' }] })).code,
    ).toBe('split.unknown_type');
    expect(errorOf(() => computeSplit({ amount: '1', currency: -1, split: { type: 'equal', userIds: ['a'] }, payers: [{ userId: 'a' }] })).code).toBe(
      'currency.invalid_places',
    );
  });

  it('is a MoneyError with a stable code and a readable message', () => {
    const e = errorOf(() => computePayers(1000n, 2, [{ userId: 'q', amount: '4' }, { userId: 'p', amount: '5.99' }]));
    expect(e.name).toBe('SplitError');
    expect(e.message).toBe("The payers' amounts add up to 9.99, not the expense's 10.00.");
  });
});
