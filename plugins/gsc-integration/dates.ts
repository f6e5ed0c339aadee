/**
 * Search Console's days are Pacific days: its "today", and the dates of `startDate`, `endDate`
 * and the `date` dimension, are calendar dates in America/Los_Angeles (DST included). A range
 * computed from the UTC date is a day ahead for the 7 or 8 hours after midnight UTC.
 * Intl.DateTimeFormat with a time zone works the same on workerd, Deno and Node.
 */
import { addDays } from "../_shared/calendar-date.ts";

export const GSC_TIME_ZONE = "America/Los_Angeles";

const PACIFIC = new Intl.DateTimeFormat("en-US", {
  timeZone: GSC_TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});

/** The calendar date (YYYY-MM-DD) of `instant` in Search Console's time zone. */
export function dateInZone(instant: Date): string {
  const parts: Record<string, string> = {};
  for (const { type, value } of PACIFIC.formatToParts(instant)) parts[type] = value;
  return `${parts.year}-${parts.month}-${parts.day}`;
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
