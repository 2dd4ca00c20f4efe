import { InvalidAmountError, ProfileTotalsProjector, ZERO_TOTALS, fromMinorUnits, toMinorUnits } from './profile-totals.projector';

const p = new ProfileTotalsProjector();

describe('decimal strings ↔ minor units', () => {
  it('parses without floats', () => {
    expect(toMinorUnits('0')).toBe(0n);
    expect(toMinorUnits('12.3')).toBe(1230n);
    expect(toMinorUnits('12.30')).toBe(1230n);
    expect(toMinorUnits('0.05')).toBe(5n);
    expect(toMinorUnits('-0.05')).toBe(-5n);
    expect(toMinorUnits('9999999999999.99')).toBe(999999999999999n);
  });

  it('refuses what is not a 2-decimal amount', () => {
    for (const bad of ['1.005', '1e3', '.5', '1.', '', ' 1', '0x10', 'NaN', '12,50', '10000000000000.00']) {
      expect(() => toMinorUnits(bad)).toThrow(InvalidAmountError);
    }
    expect(() => toMinorUnits(12.5 as unknown as string)).toThrow(InvalidAmountError);
  });

  it('formats with exactly two decimals', () => {
    expect(fromMinorUnits(0n)).toBe('0.00');
    expect(fromMinorUnits(5n)).toBe('0.05');
    expect(fromMinorUnits(123456n)).toBe('1234.56');
    expect(fromMinorUnits(-5n)).toBe('-0.05');
  });
});

describe('ProfileTotalsProjector', () => {
  it('adds expenses exactly where floats would not (0.1 + 0.2)', () => {
    let t = p.applyExpenseCreated(ZERO_TOTALS, { amount: '0.10' });
    t = p.applyExpenseCreated(t, { amount: '0.20' });
    expect(t).toEqual({ totalExpenses: '0.30', expenseCount: 2, totalGroups: 0 });
  });

  it('sums many small amounts without drift', () => {
    let t = ZERO_TOTALS;
    for (let i = 0; i < 1000; i++) t = p.applyExpenseCreated(t, { amount: '0.01' });
    expect(t.totalExpenses).toBe('10.00');
    expect(t.expenseCount).toBe(1000);
  });

  it('subtracts deleted expenses and handles an amount change without changing the count', () => {
    let t = p.applyExpenseCreated(ZERO_TOTALS, { amount: '100.00' });
    t = p.applyExpenseCreated(t, { amount: '20.55' });
    t = p.applyExpenseDeleted(t, { amount: '100.00' });
    expect(t).toMatchObject({ totalExpenses: '20.55', expenseCount: 1 });
    t = p.applyExpenseAmountChanged(t, { previousAmount: '20.55', amount: '18.05' });
    expect(t).toMatchObject({ totalExpenses: '18.05', expenseCount: 1 });
  });

  it('never goes below zero (a delete of an expense it never counted)', () => {
    const t = p.applyExpenseDeleted({ totalExpenses: '5.00', expenseCount: 0, totalGroups: 0 }, { amount: '7.50' });
    expect(t).toEqual({ totalExpenses: '0.00', expenseCount: 0, totalGroups: 0 });
    expect(p.applyMembershipLeft(ZERO_TOTALS).totalGroups).toBe(0);
  });

  it('counts group memberships', () => {
    const t = p.applyMembershipLeft(p.applyMembershipJoined(p.applyMembershipJoined(ZERO_TOTALS)));
    expect(t.totalGroups).toBe(1);
  });

  it('refuses non-positive or malformed amounts and overflow of NUMERIC(15,2)', () => {
    expect(() => p.applyExpenseCreated(ZERO_TOTALS, { amount: '0.00' })).toThrow(InvalidAmountError);
    expect(() => p.applyExpenseCreated(ZERO_TOTALS, { amount: '-1.00' })).toThrow(InvalidAmountError);
    expect(() => p.applyExpenseCreated(ZERO_TOTALS, { amount: '1.234' })).toThrow(InvalidAmountError);
    expect(() => p.applyExpenseCreated({ ...ZERO_TOTALS, totalExpenses: '9999999999999.99' }, { amount: '0.01' })).toThrow(RangeError);
  });

  it('is pure: the input totals are not modified', () => {
    const t = { totalExpenses: '1.00', expenseCount: 1, totalGroups: 1 };
    p.applyExpenseCreated(t, { amount: '1.00' });
    p.applyMembershipJoined(t);
    expect(t).toEqual({ totalExpenses: '1.00', expenseCount: 1, totalGroups: 1 });
  });
});
