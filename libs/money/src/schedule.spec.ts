import fc from 'fast-check';
import { MoneyError } from './errors';
import { FREQUENCIES, budgetPeriodOn, occurrence, occurrenceIndexOnOrAfter, occurrencesBetween, periodContaining } from './schedule';

describe('schedule: occurrences never drift', () => {
  it('monthly from the 31st clamps to each month end and comes back to the 31st', () => {
    const dates = [0, 1, 2, 3, 4, 12, 13].map((n) => occurrence('2027-01-31', 'monthly', 1, n));
    expect(dates).toEqual(['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30', '2027-05-31', '2028-01-31', '2028-02-29']);
  });

  it('yearly from 29 February is 28 February in common years and 29 in leap years', () => {
    expect([0, 1, 2, 3, 4].map((n) => occurrence('2024-02-29', 'yearly', 1, n))).toEqual([
      '2024-02-29', '2025-02-28', '2026-02-28', '2027-02-28', '2028-02-29',
    ]);
  });

  it('weekly, biweekly, daily and intervals multiply the step', () => {
    expect(occurrence('2026-12-28', 'weekly', 1, 1)).toBe('2027-01-04');
    expect(occurrence('2026-12-28', 'biweekly', 1, 1)).toBe('2027-01-11');
    expect(occurrence('2026-12-28', 'weekly', 2, 1)).toBe('2027-01-11');
    expect(occurrence('2026-12-31', 'daily', 3, 2)).toBe('2027-01-06');
    expect(occurrence('2026-08-31', 'monthly', 3, 2)).toBe('2027-02-28');
  });

  it('refuses what is not a date or a schedule', () => {
    expect(() => occurrence('2026-02-30', 'monthly', 1, 0)).toThrow(MoneyError);
    expect(() => occurrence('2026-1-3', 'monthly', 1, 0)).toThrow(MoneyError);
    expect(() => occurrence('2026-01-03', 'hourly' as never, 1, 0)).toThrow(MoneyError);
    expect(() => occurrence('2026-01-03', 'daily', 0, 0)).toThrow(MoneyError);
    expect(() => occurrence('2026-01-03', 'daily', 1.5, 0)).toThrow(MoneyError);
    expect(() => occurrence('2026-01-03', 'daily', 1, -1)).toThrow(MoneyError);
  });

  it('lists the occurrences in a window, inclusive, bounded', () => {
    expect(occurrencesBetween('2027-01-31', 'monthly', 1, '2027-02-01', '2027-04-30')).toEqual([
      { index: 1, date: '2027-02-28' }, { index: 2, date: '2027-03-31' }, { index: 3, date: '2027-04-30' },
    ]);
    expect(occurrencesBetween('2027-01-31', 'monthly', 1, '2026-01-01', '2027-01-31')).toEqual([{ index: 0, date: '2027-01-31' }]);
    expect(occurrencesBetween('2027-01-01', 'daily', 1, '2027-01-01', '2030-01-01', 5)).toHaveLength(5);
  });

  it('property: the index found for a date is the first occurrence on or after it', () => {
    const day = fc.integer({ min: 0, max: 365 * 60 }).map((n) => new Date(Date.UTC(1990, 0, 1) + n * 86_400_000).toISOString().slice(0, 10));
    fc.assert(
      fc.property(day, day, fc.constantFrom(...FREQUENCIES), fc.integer({ min: 1, max: 13 }), (anchor, date, f, interval) => {
        const n = occurrenceIndexOnOrAfter(anchor, f, interval, date);
        expect(occurrence(anchor, f, interval, n) >= date).toBe(true);
        if (n > 0) expect(occurrence(anchor, f, interval, n - 1) < date).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('schedule: budget periods', () => {
  it('a monthly budget from the 31st has periods that tile the calendar with no gap', () => {
    expect(periodContaining('2027-01-31', 'monthly', '2027-02-27')).toEqual({ index: 0, start: '2027-01-31', end: '2027-02-28' });
    expect(periodContaining('2027-01-31', 'monthly', '2027-02-28')).toEqual({ index: 1, start: '2027-02-28', end: '2027-03-31' });
    expect(periodContaining('2027-01-31', 'monthly', '2027-01-30')).toBeNull();
  });

  it('weekly and yearly periods', () => {
    expect(periodContaining('2026-12-07', 'weekly', '2026-12-20')).toEqual({ index: 1, start: '2026-12-14', end: '2026-12-21' });
    expect(periodContaining('2026-01-01', 'yearly', '2026-12-31')).toEqual({ index: 0, start: '2026-01-01', end: '2027-01-01' });
  });

  it('property: every date on or after the anchor is in exactly the period returned', () => {
    const day = fc.integer({ min: 0, max: 365 * 40 }).map((n) => new Date(Date.UTC(2000, 0, 1) + n * 86_400_000).toISOString().slice(0, 10));
    fc.assert(
      fc.property(day, day, fc.constantFrom('weekly', 'monthly', 'yearly' as const), (anchor, date, period) => {
        const p = periodContaining(anchor, period, date);
        if (date < anchor) return expect(p).toBeNull();
        expect(p!.start <= date && date < p!.end).toBe(true);
        expect(p!.start).toBe(occurrence(anchor, period, 1, p!.index));
        expect(p!.end).toBe(occurrence(anchor, period, 1, p!.index + 1));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('schedule: a budget period cut at its end date', () => {
  it('is the period containing the date, its end moved to the day after the end date when that comes first', () => {
    expect(budgetPeriodOn('2026-01-31', 'monthly', null, '2026-03-10')).toEqual({ start: '2026-02-28', end: '2026-03-31' });
    expect(budgetPeriodOn('2026-01-31', 'monthly', '2026-03-15', '2026-03-10')).toEqual({ start: '2026-02-28', end: '2026-03-16' });
    expect(budgetPeriodOn('2026-01-31', 'monthly', '2026-03-15', '2026-03-15')).toEqual({ start: '2026-02-28', end: '2026-03-16' });
    expect(budgetPeriodOn('2026-01-01', 'yearly', '2026-12-31', '2026-12-31')).toEqual({ start: '2026-01-01', end: '2027-01-01' });
  });

  it('is null before the start date and after the end date', () => {
    expect(budgetPeriodOn('2026-01-31', 'monthly', '2026-03-15', '2026-03-16')).toBeNull();
    expect(budgetPeriodOn('2026-01-31', 'weekly', null, '2026-01-30')).toBeNull();
  });
});
