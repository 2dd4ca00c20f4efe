/**
 * A settlement's due date from the API: `YYYY-MM-DD` is the end of that day in UTC (a settlement due
 * "today" is not overdue until the day is over); a date-time is that instant. Null when the calendar
 * date does not exist (2026-02-30), which `Date` would otherwise roll over into March.
 */
export function parseDueDate(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return null;
  const at = text.length === 10 ? new Date(Date.UTC(y, mo - 1, d, 23, 59, 59, 999)) : new Date(text);
  return Number.isNaN(at.getTime()) ? null : at;
}
