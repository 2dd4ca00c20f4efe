import { DateTime, IANAZone } from 'luxon';
import type { Frequency } from './preference-policy';

/** A quiet window in the user's wall-clock time, `HH:MM` 24 h; `start > end` crosses midnight (22:00–07:00). */
export interface QuietHours {
  start: string;
  end: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$/;
const HOUR_MS = 3_600_000;

/** Minutes after midnight of `HH:MM` (or PostgreSQL's `HH:MM:SS`); null when it is not a time of day. */
export function minutesOfDay(hhmm: string): number | null {
  const m = HHMM.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** The IANA zone, or UTC when it is null or not a zone the runtime knows. */
function zoneOf(timezone: string | null | undefined): IANAZone {
  return timezone && IANAZone.isValidZone(timezone) ? IANAZone.create(timezone) : IANAZone.create('UTC');
}

/**
 * The first instant after `after` at which the wall clock in `zone` shows `minutes` on the local day
 * `y-m-d`. On a day when that time is skipped (the clocks jump forward over it) it is the instant the
 * jump happens, the first one whose wall time is past it; on a day when it happens twice (the clocks go
 * back) the earlier occurrence still after `after`. Null when there is none after `after`.
 */
function wallTimeOn(zone: IANAZone, y: number, mo: number, d: number, minutes: number, after: number): number | null {
  const naive = Date.UTC(y, mo - 1, d, Math.floor(minutes / 60), minutes % 60);
  const before = zone.offset(naive - 12 * HOUR_MS);
  const later = zone.offset(naive + 12 * HOUR_MS);
  const candidates = [...new Set([before, later])]
    .map((o) => naive - o * 60_000)
    .filter((t) => zone.offset(t) * 60_000 === naive - t) // the wall clock really shows that time then
    .filter((t) => t > after)
    .sort((a, b) => a - b);
  if (candidates.length) return candidates[0];
  if (before === later) return null;
  // Skipped: find the transition (the first instant on the later offset) between the two.
  let lo = naive - before * 60_000 - 12 * HOUR_MS;
  let hi = naive - later * 60_000 + 12 * HOUR_MS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zone.offset(mid) === later) hi = mid;
    else lo = mid;
  }
  return hi > after ? hi : null;
}

/**
 * When the quiet hours around `now` end, or null when `now` is outside them. The window is read on the
 * wall clock of `timezone` (an IANA zone; UTC when null or unknown): it includes `start` and excludes
 * `end`, and crosses midnight when `start > end` (22:00–07:00 is quiet from 22:00 until 07:00 the next
 * morning). DST days are handled: an end time the clocks skip ends the window when they jump; an end
 * time that happens twice ends it at its first occurrence after `now`. `start === end` (or a malformed
 * time) is no window at all.
 */
export function quietHoursEnd(now: Date, timezone: string | null, quiet: QuietHours): Date | null {
  const start = minutesOfDay(quiet.start);
  const end = minutesOfDay(quiet.end);
  if (start === null || end === null || start === end) return null;
  const zone = zoneOf(timezone);
  const local = DateTime.fromMillis(now.getTime(), { zone });
  const m = local.hour * 60 + local.minute;
  const crosses = start > end;
  const inside = crosses ? m >= start || m < end : m >= start && m < end;
  if (!inside) return null;
  // The end is later today, unless we are in the evening part of a window that crosses midnight.
  const day = crosses && m >= start ? local.plus({ days: 1 }) : local;
  const t = wallTimeOn(zone, day.year, day.month, day.day, end, now.getTime());
  if (t !== null) return new Date(t);
  // Only when the end time happened already today (a second pass of a repeated hour): next day's.
  const next = day.plus({ days: 1 });
  const t2 = wallTimeOn(zone, next.year, next.month, next.day, end, now.getTime());
  return t2 === null ? null : new Date(t2);
}

/** 08:00 local: when daily and weekly digests go out. */
export const DIGEST_HOUR = 8;

/**
 * When the digest that `now` waits for goes out, strictly after `now`, in the user's `timezone`
 * (UTC when null or unknown):
 * - `immediate`: `now` (no digest, send at once);
 * - `hourly`: the next full hour of the local clock (10:20 → 11:00; 11:00 → 12:00);
 * - `daily`: the next 08:00 local (today's if it is still to come, else tomorrow's);
 * - `weekly`: the next Monday 08:00 local (today's if it is Monday before 08:00).
 */
export function nextDigestAt(now: Date, timezone: string | null, frequency: Frequency): Date {
  const zone = zoneOf(timezone);
  const local = DateTime.fromMillis(now.getTime(), { zone });
  switch (frequency) {
    case 'immediate':
      return new Date(now.getTime());
    case 'hourly':
      return local.startOf('hour').plus({ hours: 1 }).toJSDate();
    case 'daily':
    case 'weekly': {
      for (let i = 0; i <= 8; i++) {
        const day = local.plus({ days: i });
        if (frequency === 'weekly' && day.weekday !== 1) continue;
        const t = wallTimeOn(zone, day.year, day.month, day.day, DIGEST_HOUR * 60, now.getTime());
        if (t !== null) return new Date(t);
      }
      /* istanbul ignore next -- a week always has a Monday 08:00 after now */
      throw new Error(`no ${frequency} digest time after ${now.toISOString()}`);
    }
  }
}
