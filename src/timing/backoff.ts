/**
 * The one backoff of the kernel: the HTTP client's retries, scheduled-task retries and event
 * retries all wait `backoffDelay` (DESIGN §6). Jitter is never optional: without it, every tenant
 * that failed in the same outage retries at the same instant and the outage comes back.
 */

export interface BackoffPolicy {
  /** The step of the first retry (ms), doubled per retry. */
  baseDelayMs: number;
  /** The largest step (ms). */
  maxDelayMs: number;
  /**
   * Where in `[low, high]` × step the wait falls, uniformly. Default `[0.5, 1]` ("equal jitter":
   * half fixed, half random, so waits spread out but never collapse to zero); `[1, 1.5]` never
   * waits less than the step.
   */
  jitter?: readonly [low: number, high: number];
  /** A number in [0, 1); default Math.random. Tests pass a fixed or seeded one. */
  random?: () => number;
}

export const EQUAL_JITTER: readonly [number, number] = [0.5, 1];

/** The wait before retry number `retry` (1 for the first retry), in whole ms. */
export function backoffDelay(retry: number, policy: BackoffPolicy): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const [low, high] = policy.jitter ?? EQUAL_JITTER;
  const random = (policy.random ?? Math.random)();
  return Math.round(step * (low + (high - low) * random));
}
