import { DateTime } from 'luxon';
import { MoneyError } from './errors';

/**
 * Calendar arithmetic for money that repeats: recurring expenses and transactions (their occurrences)
 * and budgets (their periods). Dates are calendar dates, `YYYY-MM-DD`, with no time and no zone.
 *
 * The rule (documented in README "Money"): the n-th occurrence is always computed from the **anchor**
 * (the start date), never from the previous occurrence, so a schedule never drifts. A day that does
 * not exist in a month is clamped to that month's last day: monthly from 31 January gives 28 (29)
 * February, 31 March, 30 April, 31 May...; yearly from 29 February gives 28 February in common years
 * and 29 February again in leap years. Luxon's `plus({ months })` clamps exactly this way.
 */
export const FREQUENCIES = ['daily', 'weekly', 'biweekly', 'monthly', 'yearly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** The longest interval multiplier a schedule takes (a day every 1000 days is already odd). */
export const MAX_INTERVAL = 1000;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date (`YYYY-MM-DD`), validated; throws MoneyError for anything else. */
export function parseDate(date: string): DateTime {
  const d = DATE.test(date) ? DateTime.fromISO(date, { zone: 'utc' }) : null;
  if (!d || !d.isValid) throw new MoneyError('invalid_date', `not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  return d;
}

function toDate(d: DateTime): string {
  return d.toISODate() as string;
}

function step(frequency: Frequency, units: number): Record<string, number> {
  switch (frequency) {
    case 'daily':
      return { days: units };
    case 'weekly':
      return { weeks: units };
    case 'biweekly':
      return { weeks: 2 * units };
    case 'monthly':
      return { months: units };
    case 'yearly':
      return { years: units };
  }
}

function checkSchedule(frequency: Frequency, interval: number, n: number): void {
  if (!FREQUENCIES.includes(frequency)) throw new MoneyError('invalid_schedule', `unknown frequency: ${String(frequency)}`);
  if (!Number.isSafeInteger(interval) || interval < 1 || interval > MAX_INTERVAL) throw new MoneyError('invalid_schedule', `interval must be an integer from 1 to ${MAX_INTERVAL}`);
  if (!Number.isSafeInteger(n) || n < 0) throw new MoneyError('invalid_schedule', 'an occurrence index is a non-negative integer');
}

/** The n-th occurrence (0 = the anchor itself) of a schedule every `interval` × `frequency` from `anchor`. */
export function occurrence(anchor: string, frequency: Frequency, interval: number, n: number): string {
  checkSchedule(frequency, interval, n);
  return toDate(parseDate(anchor).plus(step(frequency, n * interval)));
}

/**
 * The index of the first occurrence on or after `date` (0 when `date` is on or before the anchor).
 * occurrence(anchor, f, i, occurrenceIndexOnOrAfter(anchor, f, i, date)) >= date, and the one before it < date.
 */
export function occurrenceIndexOnOrAfter(anchor: string, frequency: Frequency, interval: number, date: string): number {
  checkSchedule(frequency, interval, 0);
  const a = parseDate(anchor);
  const d = parseDate(date);
  if (d <= a) return 0;
  // An estimate from the elapsed time, then corrected by at most a few steps either way (clamping
  // makes month lengths uneven, so the estimate can be one off).
  const unit = frequency === 'daily' ? 'days' : frequency === 'monthly' ? 'months' : frequency === 'yearly' ? 'years' : 'weeks';
  const per = frequency === 'biweekly' ? 2 * interval : interval;
  let n = Math.max(0, Math.floor(d.diff(a, unit).get(unit) / per));
  while (n > 0 && occurrence(anchor, frequency, interval, n - 1) >= date) n--;
  while (occurrence(anchor, frequency, interval, n) < date) n++;
  return n;
}

/** The occurrences from `from` to `to` (both inclusive, `YYYY-MM-DD`), at most `limit` of them, with their indexes. */
export function occurrencesBetween(
  anchor: string,
  frequency: Frequency,
  interval: number,
  from: string,
  to: string,
  limit = 1000,
): { index: number; date: string }[] {
  parseDate(to);
  const out: { index: number; date: string }[] = [];
  for (let n = occurrenceIndexOnOrAfter(anchor, frequency, interval, from); out.length < limit; n++) {
    const date = occurrence(anchor, frequency, interval, n);
    if (date > to) break;
    out.push({ index: n, date });
  }
  return out;
}

/** Budget periods: weekly, monthly or yearly, anchored on the budget's start date. */
export const BUDGET_PERIODS = ['weekly', 'monthly', 'yearly'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/**
 * The period of a budget that contains `date`: [start, end) as calendar dates (end exclusive), and its
 * index (0 = the first period, from the anchor). Periods follow the occurrence rule above, so a
 * monthly budget from the 31st runs 31 Jan – 27 Feb, 28 Feb – 30 Mar, 31 Mar – 29 Apr... Null when
 * `date` is before the anchor.
 */
export function periodContaining(anchor: string, period: BudgetPeriod, date: string): { index: number; start: string; end: string } | null {
  if (!BUDGET_PERIODS.includes(period)) throw new MoneyError('invalid_schedule', `unknown budget period: ${String(period)}`);
  if (date < toDate(parseDate(anchor))) return null;
  parseDate(date);
  let n = occurrenceIndexOnOrAfter(anchor, period, 1, date);
  if (occurrence(anchor, period, 1, n) > date) n--;
  return { index: n, start: occurrence(anchor, period, 1, n), end: occurrence(anchor, period, 1, n + 1) };
}

/**
 * The period of a budget that contains `date`, cut at the budget's `endDate` (inclusive; null: no
 * end): [start, end) as calendar dates, so its last period ends the day after `endDate`. Null before
 * the anchor or after the end date. Both expense-service (a budget's current period) and
 * analytics-service (what its spending is summed over) read periods from here.
 */
export function budgetPeriodOn(anchor: string, period: BudgetPeriod, endDate: string | null, date: string): { start: string; end: string } | null {
  if (endDate !== null && date > toDate(parseDate(endDate))) return null;
  const p = periodContaining(anchor, period, date);
  if (!p) return null;
  const afterEnd = endDate === null ? null : toDate(parseDate(endDate).plus({ days: 1 }));
  return { start: p.start, end: afterEnd !== null && afterEnd < p.end ? afterEnd : p.end };
}
