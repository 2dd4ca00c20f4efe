import { Frequency, occurrence, occurrenceIndexOnOrAfter, occurrencesBetween } from '@tally/money';

/** What planning reads of a template. Dates are UTC calendar dates `YYYY-MM-DD`. */
export interface ScheduleState {
  startDate: string;
  frequency: Frequency;
  interval: number;
  endDate: string | null;
  /** The index of the next occurrence not generated yet (nor skipped). */
  nextOccurrenceIndex: number;
  isPaused: boolean;
  pausedUntil: string | null;
}

export interface GenerationPlan {
  /** The pause ended (`pausedUntil` has come): the template resumes before generating. */
  resumes: boolean;
  /** The occurrences to generate now, oldest first, each with its index (from the anchor). */
  occurrences: { index: number; date: string }[];
  /** After them: the next index and its date (occurrence(start, f, interval, nextOccurrenceIndex)). */
  nextOccurrenceIndex: number;
  nextDueDate: string;
  /** The next occurrence is past the end date: nothing more will ever be generated. */
  ended: boolean;
}

/** The most occurrences one template generates per run; the rest wait for the next run. */
export const MAX_OCCURRENCES_PER_RUN = 50;

/** The next occurrence's index and date after skipping every one dated before `date` (a resume). */
export function skipBefore(s: Pick<ScheduleState, 'startDate' | 'frequency' | 'interval' | 'nextOccurrenceIndex'>, date: string): { nextOccurrenceIndex: number; nextDueDate: string } {
  const index = Math.max(s.nextOccurrenceIndex, occurrenceIndexOnOrAfter(s.startDate, s.frequency, s.interval, date));
  return { nextOccurrenceIndex: index, nextDueDate: occurrence(s.startDate, s.frequency, s.interval, index) };
}

/**
 * What one run generates for a template on `today` (UTC). Every occurrence from the next one up to
 * today (and the end date) is generated, at most `limit` of them, so a template that missed several
 * runs catches up, oldest first, and the rest come next run. Each date is computed from the start
 * date (the anchor), never from the previous occurrence: monthly from 31 January is 31 Jan, 28 Feb,
 * 31 Mar. A template paused until a date that has come resumes first; the occurrences dated before
 * that date are skipped, not back-filled (a pause means "not these"). A template paused without an
 * end, or until a later date, generates nothing.
 */
export function planGeneration(s: ScheduleState, today: string, limit = MAX_OCCURRENCES_PER_RUN): GenerationPlan {
  let next = s.nextOccurrenceIndex;
  let resumes = false;
  if (s.isPaused) {
    if (s.pausedUntil === null || s.pausedUntil > today) {
      const nextDueDate = occurrence(s.startDate, s.frequency, s.interval, next);
      return { resumes: false, occurrences: [], nextOccurrenceIndex: next, nextDueDate, ended: s.endDate !== null && nextDueDate > s.endDate };
    }
    resumes = true;
    next = skipBefore(s, s.pausedUntil).nextOccurrenceIndex;
  }
  const from = occurrence(s.startDate, s.frequency, s.interval, next);
  const to = s.endDate !== null && s.endDate < today ? s.endDate : today;
  const occurrences = from <= to && limit > 0
    ? occurrencesBetween(s.startDate, s.frequency, s.interval, from, to, limit).filter((o) => o.index >= next)
    : [];
  if (occurrences.length) next = occurrences[occurrences.length - 1].index + 1;
  const nextDueDate = occurrence(s.startDate, s.frequency, s.interval, next);
  return { resumes, occurrences, nextOccurrenceIndex: next, nextDueDate, ended: s.endDate !== null && nextDueDate > s.endDate };
}

/** Today's date in UTC (`YYYY-MM-DD`): recurring expenses live on UTC calendar dates (docs/adr/0014). */
export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}
