import { ScheduleState, planGeneration, skipBefore } from './recurrence-plan';

const monthly31: ScheduleState = { startDate: '2026-01-31', frequency: 'monthly', interval: 1, endDate: null, nextOccurrenceIndex: 0, isPaused: false, pausedUntil: null };

describe('planGeneration', () => {
  it('catches up every missed occurrence up to today, each from the anchor: 31 Jan, 28 Feb, 31 Mar (not 28 Mar)', () => {
    const p = planGeneration(monthly31, '2026-04-29');
    expect(p.occurrences).toEqual([{ index: 0, date: '2026-01-31' }, { index: 1, date: '2026-02-28' }, { index: 2, date: '2026-03-31' }]);
    expect(p).toMatchObject({ resumes: false, nextOccurrenceIndex: 3, nextDueDate: '2026-04-30', ended: false });
  });

  it('generates nothing before the next due date, and the due date itself on that day', () => {
    expect(planGeneration({ ...monthly31, nextOccurrenceIndex: 3 }, '2026-04-29').occurrences).toEqual([]);
    expect(planGeneration({ ...monthly31, nextOccurrenceIndex: 3 }, '2026-04-30').occurrences).toEqual([{ index: 3, date: '2026-04-30' }]);
  });

  it('goes on from where the last run stopped, never generating an index twice', () => {
    const first = planGeneration(monthly31, '2026-02-28');
    const second = planGeneration({ ...monthly31, nextOccurrenceIndex: first.nextOccurrenceIndex }, '2026-03-31');
    expect(first.occurrences.map((o) => o.index)).toEqual([0, 1]);
    expect(second.occurrences).toEqual([{ index: 2, date: '2026-03-31' }]);
  });

  it('respects the end date: the last occurrence on or before it, then ended', () => {
    const p = planGeneration({ ...monthly31, endDate: '2026-03-30' }, '2026-12-06');
    expect(p.occurrences.map((o) => o.date)).toEqual(['2026-01-31', '2026-02-28']);
    expect(p).toMatchObject({ nextDueDate: '2026-03-31', ended: true });
    const onEnd = planGeneration({ ...monthly31, endDate: '2026-03-31' }, '2026-12-06');
    expect(onEnd.occurrences.map((o) => o.date)).toEqual(['2026-01-31', '2026-02-28', '2026-03-31']);
    expect(onEnd.ended).toBe(true);
  });

  it('bounds one run (the rest next run), oldest first', () => {
    const daily: ScheduleState = { ...monthly31, frequency: 'daily', startDate: '2026-01-01' };
    const p = planGeneration(daily, '2026-12-31', 50);
    expect(p.occurrences).toHaveLength(50);
    expect(p.occurrences[0].date).toBe('2026-01-01');
    expect(p.occurrences[49].date).toBe('2026-02-19');
    expect(p).toMatchObject({ nextOccurrenceIndex: 50, nextDueDate: '2026-02-20', ended: false });
    const rest = planGeneration({ ...daily, nextOccurrenceIndex: 50 }, '2026-02-21', 50);
    expect(rest.occurrences.map((o) => o.date)).toEqual(['2026-02-20', '2026-02-21']);
  });

  it('a pause without an end, or until a later date, generates nothing', () => {
    expect(planGeneration({ ...monthly31, isPaused: true }, '2026-12-06')).toMatchObject({ resumes: false, occurrences: [], nextOccurrenceIndex: 0 });
    expect(planGeneration({ ...monthly31, isPaused: true, pausedUntil: '2026-12-07' }, '2026-12-06').occurrences).toEqual([]);
  });

  it('a pause that has ended resumes: the paused span is skipped, not back-filled; the pause day\'s own occurrence is generated', () => {
    // weekly from Monday 5 Jan; paused until Monday 26 Jan; today 28 Jan: 5 Jan was generated, 12 and 19 Jan are skipped
    const weekly: ScheduleState = { startDate: '2026-01-05', frequency: 'weekly', interval: 1, endDate: null, nextOccurrenceIndex: 1, isPaused: true, pausedUntil: '2026-01-26' };
    const p = planGeneration(weekly, '2026-01-28');
    expect(p.resumes).toBe(true);
    expect(p.occurrences).toEqual([{ index: 3, date: '2026-01-26' }]);
    expect(p).toMatchObject({ nextOccurrenceIndex: 4, nextDueDate: '2026-02-02' });
  });

  it('biweekly and every-n intervals count from the anchor too; yearly from 29 February comes back to the 29th in leap years', () => {
    const bi = planGeneration({ ...monthly31, frequency: 'biweekly', startDate: '2026-01-01' }, '2026-02-12');
    expect(bi.occurrences.map((o) => o.date)).toEqual(['2026-01-01', '2026-01-15', '2026-01-29', '2026-02-12']);
    const leap = planGeneration({ ...monthly31, frequency: 'yearly', startDate: '2024-02-29' }, '2028-03-01');
    expect(leap.occurrences.map((o) => o.date)).toEqual(['2024-02-29', '2025-02-28', '2026-02-28', '2027-02-28', '2028-02-29']);
    const every3 = planGeneration({ ...monthly31, interval: 3 }, '2026-12-31');
    expect(every3.occurrences.map((o) => o.date)).toEqual(['2026-01-31', '2026-04-30', '2026-07-31', '2026-10-31']);
  });
});

describe('skipBefore (resume)', () => {
  it('moves to the first occurrence on or after the date, never back', () => {
    expect(skipBefore(monthly31, '2026-03-01')).toEqual({ nextOccurrenceIndex: 2, nextDueDate: '2026-03-31' });
    expect(skipBefore({ ...monthly31, nextOccurrenceIndex: 5 }, '2026-03-01')).toEqual({ nextOccurrenceIndex: 5, nextDueDate: '2026-06-30' });
    expect(skipBefore(monthly31, '2026-01-01')).toEqual({ nextOccurrenceIndex: 0, nextDueDate: '2026-01-31' });
  });
});
