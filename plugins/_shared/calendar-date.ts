/** Arithmetic on calendar dates (YYYY-MM-DD), which have no time zone once computed. */
const DAY = 86_400_000;

/** `date` (YYYY-MM-DD) moved by whole calendar days. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}
