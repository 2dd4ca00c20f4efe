import { directTransfers, type ExpenseAmounts, netBalances, type SettlementAmounts } from './balances';
import { SplitError } from './errors';

const ua = (userId: string, amount: bigint) => ({ userId, amount });

describe('netBalances', () => {
  it('positive is owed, negative owes, per currency, zeros left out', () => {
    const expenses: ExpenseAmounts[] = [
      { currency: 'USD', payers: [ua('a', 3000n)], shares: [ua('a', 1000n), ua('b', 1000n), ua('c', 1000n)] },
      { currency: 'JPY', payers: [ua('b', 900n)], shares: [ua('a', 450n), ua('b', 450n)] },
      { currency: 'USD', payers: [ua('b', 600n), ua('c', 400n)], shares: [ua('a', 500n), ua('b', 500n)] },
    ];
    const settlements: SettlementAmounts[] = [{ payerId: 'c', payeeId: 'a', amount: 600n, currency: 'USD' }];
    expect(netBalances(expenses, settlements)).toEqual([
      { currency: 'JPY', balances: [ua('a', -450n), ua('b', 450n)] },
      // a: +3000 −1000 −500 −600 = 900; b: −1000 +600 −500 = −900; c: −1000 +400 +600 = 0
      { currency: 'USD', balances: [ua('a', 900n), ua('b', -900n)] },
    ]);
  });

  it('refuses an expense whose payers and shares differ, and a malformed settlement', () => {
    expect(() => netBalances([{ currency: 'USD', payers: [ua('a', 100n)], shares: [ua('a', 99n)] }])).toThrow(
      expect.objectContaining({ code: 'balance.unbalanced' }),
    );
    expect(() => netBalances([], [{ payerId: 'a', payeeId: 'a', amount: 1n, currency: 'USD' }])).toThrow(SplitError);
    expect(() => netBalances([], [{ payerId: 'a', payeeId: 'b', amount: 0n, currency: 'USD' }])).toThrow(SplitError);
  });
});

describe('directTransfers', () => {
  it('each sharer owes each payer in proportion to what they paid, netted per pair', () => {
    const expenses: ExpenseAmounts[] = [
      // a paid 60, b paid 40 of 100 shared by a, b, c equally (34, 33, 33)
      { currency: 'USD', payers: [ua('a', 6000n), ua('b', 4000n)], shares: [ua('a', 3334n), ua('b', 3333n), ua('c', 3333n)] },
      { currency: 'USD', payers: [ua('c', 1000n)], shares: [ua('a', 1000n)] },
    ];
    const [usd] = directTransfers(expenses);
    // b owes a 3333·0.6 ≈ 2000 (1999.8); a owes b 3334·0.4 ≈ 1334 (1333.6); c owes a 2000 (1999.8), c owes b 1333 (1333.2); a owes c 1000
    const total = (from: string, to: string) => usd.transfers.find((t) => t.from === from && t.to === to)?.amount;
    expect(usd.transfers.every((t) => t.amount > 0n)).toBe(true);
    expect(total('b', 'a')).toBeGreaterThanOrEqual(665n);
    expect(total('a', 'b')).toBeUndefined();
    // the transfers reproduce the net balances exactly
    const implied = new Map<string, bigint>();
    for (const t of usd.transfers) {
      implied.set(t.to, (implied.get(t.to) ?? 0n) + t.amount);
      implied.set(t.from, (implied.get(t.from) ?? 0n) - t.amount);
    }
    for (const b of netBalances(expenses)[0].balances) expect(implied.get(b.userId)).toBe(b.amount);
  });

  it('a settlement lowers the debt, and can reverse it', () => {
    const expenses: ExpenseAmounts[] = [{ currency: 'EUR', payers: [ua('a', 1000n)], shares: [ua('a', 500n), ua('b', 500n)] }];
    expect(directTransfers(expenses)).toEqual([{ currency: 'EUR', transfers: [{ from: 'b', to: 'a', amount: 500n }] }]);
    expect(directTransfers(expenses, [{ payerId: 'b', payeeId: 'a', amount: 500n, currency: 'EUR' }])).toEqual([{ currency: 'EUR', transfers: [] }]);
    expect(directTransfers(expenses, [{ payerId: 'b', payeeId: 'a', amount: 700n, currency: 'EUR' }])).toEqual([
      { currency: 'EUR', transfers: [{ from: 'a', to: 'b', amount: 200n }] },
    ]);
  });
});
