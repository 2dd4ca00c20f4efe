import { PAYMENT_STATUSES } from '@tally/contracts';
import { nextPaymentStatus } from './payment-status';

describe('nextPaymentStatus', () => {
  const allowed: [string, string][] = [
    ['pending', 'processing'], ['pending', 'completed'], ['pending', 'failed'], ['pending', 'cancelled'],
    ['processing', 'completed'], ['processing', 'failed'], ['processing', 'cancelled'],
    ['completed', 'refunded'],
  ];

  it.each(allowed)('moves %s → %s', (from, to) => {
    expect(nextPaymentStatus(from, to)).toBe(to);
  });

  it('refuses every other pair, including staying put and going back', () => {
    for (const from of PAYMENT_STATUSES) {
      for (const to of PAYMENT_STATUSES) {
        if (allowed.some(([a, b]) => a === from && b === to)) continue;
        expect({ from, to, next: nextPaymentStatus(from, to) }).toEqual({ from, to, next: null });
      }
    }
  });

  it('never moves a late or out-of-order report back: processing after completed, completed after refunded', () => {
    expect(nextPaymentStatus('completed', 'processing')).toBeNull();
    expect(nextPaymentStatus('refunded', 'completed')).toBeNull();
    expect(nextPaymentStatus('failed', 'completed')).toBeNull();
    expect(nextPaymentStatus('cancelled', 'processing')).toBeNull();
    expect(nextPaymentStatus('pending', 'refunded')).toBeNull();
  });

  it('never throws on what it does not know', () => {
    for (const [a, b] of [['pending', 'succeeded'], ['nope', 'completed'], [undefined, null], [42, {}], ['PENDING', 'PROCESSING']] as [unknown, unknown][]) {
      expect(() => nextPaymentStatus(a, b)).not.toThrow();
      expect(nextPaymentStatus(a, b)).toBeNull();
    }
  });
});
