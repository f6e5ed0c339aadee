/** `Retry-After` and retryable-status rules of the HTTP client, kept pure so they are easy to test (its backoff is src/timing/backoff.ts). */

/**
 * `Retry-After` as a delay in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3), or null
 * when absent or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return null;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/** Statuses worth another attempt: timeouts, rate limits and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
