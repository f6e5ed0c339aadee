/**
 * Search Console's days are Pacific days: its "today", and the dates of `startDate`, `endDate`
 * and the `date` dimension, are calendar dates in America/Los_Angeles (DST included). A range
 * computed from the UTC date is a day ahead for the 7 or 8 hours after midnight UTC.
 * Intl.DateTimeFormat with a time zone works the same on workerd, Deno and Node.
 */
export const GSC_TIME_ZONE = "America/Los_Angeles";

const DAY = 86_400_000;
const formats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (YYYY-MM-DD) of `instant` in `timeZone`. */
export function dateInZone(instant: Date, timeZone: string = GSC_TIME_ZONE): string {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    formats.set(timeZone, format);
  }
  const parts: Record<string, string> = {};
  for (const { type, value } of format.formatToParts(instant)) parts[type] = value;
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** `date` (YYYY-MM-DD) moved by whole calendar days. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** The run's range: `rangeDays` days ending `endOffsetDays` before the Pacific date of `runAt`. */
export function syncRange(
  runAt: Date,
  endOffsetDays: number,
  rangeDays: number,
): { startDate: string; endDate: string } {
  const endDate = addDays(dateInZone(runAt), -endOffsetDays);
  return { startDate: addDays(endDate, -(rangeDays - 1)), endDate };
}
