import fc from 'fast-check';
import { allocateInOrder } from './settlement-allocation';

const share = (id: string, open: bigint) => ({ shareId: id, expenseId: `e-${id}`, open });

describe('allocateInOrder', () => {
  it('pays shares in order, the last one partly', () => {
    expect(allocateInOrder(5000n, [share('a', 3334n), share('b', 3333n), share('c', 3333n)])).toEqual([
      { shareId: 'a', expenseId: 'e-a', amount: 3334n },
      { shareId: 'b', expenseId: 'e-b', amount: 1666n },
    ]);
  });

  it('pays everything open and leaves the rest unallocated when the amount is larger', () => {
    expect(allocateInOrder(10_000n, [share('a', 100n), share('b', 250n)]).map((x) => x.amount)).toEqual([100n, 250n]);
    expect(allocateInOrder(0n, [share('a', 100n)])).toEqual([]);
    expect(allocateInOrder(100n, [])).toEqual([]);
  });

  it('never pays more than the amount nor more than a share holds, and fills shares in order', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.array(fc.bigInt({ min: 1n, max: 10n ** 9n }), { maxLength: 30 }), (amount, opens) => {
      const shares = opens.map((o, i) => share(String(i), o));
      const out = allocateInOrder(amount, shares);
      const total = out.reduce((s, a) => s + a.amount, 0n);
      const open = opens.reduce((s, o) => s + o, 0n);
      expect(total).toBe(amount < open ? amount : open);
      out.forEach((a, i) => {
        expect(a.shareId).toBe(String(i));
        expect(a.amount > 0n && a.amount <= opens[i]).toBe(true);
        if (i < out.length - 1) expect(a.amount).toBe(opens[i]); // only the last can be partial
      });
    }));
  });
});
