import { nextDigestAt, quietHoursEnd } from './preference-schedule';

const at = (iso: string) => new Date(iso);
const NIGHT = { start: '22:00', end: '07:00' };

describe('quietHoursEnd', () => {
  it('is null outside the window, in the user\'s zone', () => {
    // 12:00 in Lisbon (WET, UTC+0) and 21:59 in New York (EST, UTC-5)
    expect(quietHoursEnd(at('2026-01-15T12:00:00Z'), 'Europe/Lisbon', NIGHT)).toBeNull();
    expect(quietHoursEnd(at('2026-01-16T02:59:00Z'), 'America/New_York', NIGHT)).toBeNull();
  });

  it('ends the next morning when the evening part of a window crossing midnight has begun', () => {
    // 22:30 in New York on 15 January is 03:30Z on the 16th; 07:00 EST on the 16th is 12:00Z
    expect(quietHoursEnd(at('2026-01-16T03:30:00Z'), 'America/New_York', NIGHT)).toEqual(at('2026-01-16T12:00:00Z'));
  });

  it('ends the same morning after midnight', () => {
    expect(quietHoursEnd(at('2026-01-16T05:00:00Z'), 'America/New_York', NIGHT)).toEqual(at('2026-01-16T12:00:00Z'));
  });

  it('includes the start and excludes the end', () => {
    expect(quietHoursEnd(at('2026-01-15T22:00:00Z'), 'UTC', NIGHT)).toEqual(at('2026-01-16T07:00:00Z'));
    expect(quietHoursEnd(at('2026-01-16T06:59:59Z'), 'UTC', NIGHT)).toEqual(at('2026-01-16T07:00:00Z'));
    expect(quietHoursEnd(at('2026-01-16T07:00:00Z'), 'UTC', NIGHT)).toBeNull();
  });

  it('handles a window within one day', () => {
    const lunch = { start: '12:30', end: '14:00' };
    expect(quietHoursEnd(at('2026-06-10T12:00:00Z'), 'Europe/Lisbon', lunch)).toEqual(at('2026-06-10T13:00:00Z')); // 13:00 WEST
    expect(quietHoursEnd(at('2026-06-10T11:29:00Z'), 'Europe/Lisbon', lunch)).toBeNull(); // 12:29 WEST
    expect(quietHoursEnd(at('2026-06-10T13:00:00Z'), 'Europe/Lisbon', lunch)).toBeNull(); // 14:00 WEST
  });

  it('ends at 07:00 summer time on the night Lisbon moves its clocks forward (last Sunday of March)', () => {
    // Saturday 28 March 2026 23:30 WET; on the 29th at 01:00 WET clocks jump to 02:00 WEST; 07:00 WEST is 06:00Z
    expect(quietHoursEnd(at('2026-03-28T23:30:00Z'), 'Europe/Lisbon', NIGHT)).toEqual(at('2026-03-29T06:00:00Z'));
  });

  it('ends at 07:00 winter time on the night Lisbon moves its clocks back (last Sunday of October)', () => {
    // 00:30 WEST on 25 October 2026 is 23:30Z on the 24th; at 02:00 WEST clocks go back to 01:00 WET; 07:00 WET is 07:00Z
    expect(quietHoursEnd(at('2026-10-24T23:30:00Z'), 'Europe/Lisbon', NIGHT)).toEqual(at('2026-10-25T07:00:00Z'));
  });

  it('ends when the clocks jump when its end time is skipped', () => {
    // quiet 00:00–01:30 on 29 March 2026 in Lisbon: 01:30 never happens; the window ends at the jump (01:00Z = 02:00 WEST)
    expect(quietHoursEnd(at('2026-03-29T00:45:00Z'), 'Europe/Lisbon', { start: '00:00', end: '01:30' })).toEqual(at('2026-03-29T01:00:00Z'));
  });

  it('ends at the first 01:30 when 01:30 happens twice, and at the second one while the repeated hour runs', () => {
    const q = { start: '00:00', end: '01:30' };
    // 00:30 WEST (23:30Z): the first 01:30 is WEST = 00:30Z
    expect(quietHoursEnd(at('2026-10-24T23:30:00Z'), 'Europe/Lisbon', q)).toEqual(at('2026-10-25T00:30:00Z'));
    // 01:10 WET, the hour's second pass (01:10Z): the second 01:30 is WET = 01:30Z
    expect(quietHoursEnd(at('2026-10-25T01:10:00Z'), 'Europe/Lisbon', q)).toEqual(at('2026-10-25T01:30:00Z'));
  });

  it('reads the window in UTC when the time zone is missing or unknown', () => {
    expect(quietHoursEnd(at('2026-01-15T23:00:00Z'), null, NIGHT)).toEqual(at('2026-01-16T07:00:00Z'));
    expect(quietHoursEnd(at('2026-01-15T23:00:00Z'), 'Mars/Olympus_Mons', NIGHT)).toEqual(at('2026-01-16T07:00:00Z'));
  });

  it('has no window when start equals end or a time is malformed', () => {
    expect(quietHoursEnd(at('2026-01-15T23:00:00Z'), 'UTC', { start: '07:00', end: '07:00' })).toBeNull();
    expect(quietHoursEnd(at('2026-01-15T23:00:00Z'), 'UTC', { start: '25:00', end: '07:00' })).toBeNull();
  });

  it('accepts PostgreSQL TIME text (HH:MM:SS)', () => {
    expect(quietHoursEnd(at('2026-01-15T23:00:00Z'), 'UTC', { start: '22:00:00', end: '07:00:00' })).toEqual(at('2026-01-16T07:00:00Z'));
  });
});

describe('nextDigestAt', () => {
  it('immediate is now', () => {
    expect(nextDigestAt(at('2026-01-15T10:20:00Z'), 'Europe/Lisbon', 'immediate')).toEqual(at('2026-01-15T10:20:00Z'));
  });

  it('hourly is the next full hour of the local clock, strictly after now', () => {
    expect(nextDigestAt(at('2026-01-15T10:20:00Z'), 'Europe/Lisbon', 'hourly')).toEqual(at('2026-01-15T11:00:00Z'));
    expect(nextDigestAt(at('2026-01-15T11:00:00Z'), 'Europe/Lisbon', 'hourly')).toEqual(at('2026-01-15T12:00:00Z'));
    // India is UTC+5:30: 15:50 IST → 16:00 IST = 10:30Z
    expect(nextDigestAt(at('2026-01-15T10:20:00Z'), 'Asia/Kolkata', 'hourly')).toEqual(at('2026-01-15T10:30:00Z'));
  });

  it('hourly across the spring-forward jump in Lisbon', () => {
    // 00:30 WET on 29 March; the next full hour of the clock is 02:00 WEST (01:00Z), one hour later
    expect(nextDigestAt(at('2026-03-29T00:30:00Z'), 'Europe/Lisbon', 'hourly')).toEqual(at('2026-03-29T01:00:00Z'));
  });

  it('daily is today\'s 08:00 while it is to come, else tomorrow\'s', () => {
    expect(nextDigestAt(at('2026-01-15T07:59:00Z'), 'Europe/Lisbon', 'daily')).toEqual(at('2026-01-15T08:00:00Z'));
    expect(nextDigestAt(at('2026-01-15T08:00:00Z'), 'Europe/Lisbon', 'daily')).toEqual(at('2026-01-16T08:00:00Z'));
    // 23:00 in New York on the 15th (04:00Z on the 16th): 08:00 EST on the 16th = 13:00Z
    expect(nextDigestAt(at('2026-01-16T04:00:00Z'), 'America/New_York', 'daily')).toEqual(at('2026-01-16T13:00:00Z'));
  });

  it('daily over both DST changes in Lisbon', () => {
    // Saturday 28 March 09:00 WET → Sunday 29 March 08:00 WEST = 07:00Z
    expect(nextDigestAt(at('2026-03-28T09:00:00Z'), 'Europe/Lisbon', 'daily')).toEqual(at('2026-03-29T07:00:00Z'));
    // Saturday 24 October 09:00 WEST (08:00Z) → Sunday 25 October 08:00 WET = 08:00Z
    expect(nextDigestAt(at('2026-10-24T08:00:00Z'), 'Europe/Lisbon', 'daily')).toEqual(at('2026-10-25T08:00:00Z'));
  });

  it('weekly is the next Monday 08:00 local', () => {
    // Wednesday 14 January 2026 → Monday 19 January
    expect(nextDigestAt(at('2026-01-14T12:00:00Z'), 'Europe/Lisbon', 'weekly')).toEqual(at('2026-01-19T08:00:00Z'));
    // Monday 19 January 07:59 → that day; 08:00 → the Monday after
    expect(nextDigestAt(at('2026-01-19T07:59:00Z'), 'Europe/Lisbon', 'weekly')).toEqual(at('2026-01-19T08:00:00Z'));
    expect(nextDigestAt(at('2026-01-19T08:00:00Z'), 'Europe/Lisbon', 'weekly')).toEqual(at('2026-01-26T08:00:00Z'));
    // Sunday 29 March (the spring change) → Monday 30 March 08:00 WEST = 07:00Z
    expect(nextDigestAt(at('2026-03-29T00:30:00Z'), 'Europe/Lisbon', 'weekly')).toEqual(at('2026-03-30T07:00:00Z'));
  });

  it('uses UTC when the zone is unknown', () => {
    expect(nextDigestAt(at('2026-01-15T09:00:00Z'), 'Not/A_Zone', 'daily')).toEqual(at('2026-01-16T08:00:00Z'));
  });
});
