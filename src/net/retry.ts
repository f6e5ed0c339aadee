/** Backoff and `Retry-After` arithmetic for the HTTP client, kept pure so it is easy to test. */

export interface BackoffOptions {
  /** Delay before the first retry, before jitter (ms). */
  baseDelayMs: number;
  /** Largest backoff delay (ms). */
  maxDelayMs: number;
  /** A number in [0, 1); default Math.random. */
  random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": half the exponential step is fixed, half random, so
 * retries from many isolates spread out but never collapse to zero.
 * `retry` is 1 for the first retry.
 */
export function backoffDelay(retry: number, options: BackoffOptions): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  const random = options.random ?? Math.random;
  return Math.round(step / 2 + random() * (step / 2));
}

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
