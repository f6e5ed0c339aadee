/**
 * Running one attempt of a task or one health check under a time limit. The AbortSignal fires
 * at the limit and the attempt is over then, whether or not the plugin listens to the signal.
 */
import { errorMessage, PluginError } from "../errors.ts";
import type { TaskResult } from "../hooks.ts";
import type { BackoffPolicy } from "../timing/backoff.ts";
import { DeadlineExceeded, startDeadline } from "../timing/deadline.ts";

export interface AttemptOutcome<T> {
  /** The plugin's value, when it returned one in time. */
  value?: T;
  error?: string;
  /** The plugin threw a PluginError: a verdict, not a transient failure, so it is not retried. */
  permanent?: true;
  timedOut: boolean;
  durationMs: number;
}

export async function withDeadline<T>(
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T> | T,
): Promise<AttemptOutcome<T>> {
  const start = performance.now();
  const deadline = startDeadline(timeoutMs, { message: `timed out after ${timeoutMs / 1000} s` });
  const duration = () => Math.round(performance.now() - start);
  try {
    const value = await deadline.race(Promise.resolve().then(() => work(deadline.signal)));
    return { value, timedOut: false, durationMs: duration() };
  } catch (error) {
    if (error instanceof DeadlineExceeded && deadline.expired) {
      return { timedOut: true, error: error.message, durationMs: duration() };
    }
    return {
      error: errorMessage(error ?? "rejected with undefined"),
      ...(error instanceof PluginError ? { permanent: true as const } : {}),
      timedOut: false,
      durationMs: duration(),
    };
  } finally {
    deadline.clear();
  }
}

/**
 * A plugin's return value as a TaskResult, or the reason it is not one. Never throws: a proxy
 * that throws on access, a BigInt or a circular value escaping from here would leave the run's
 * lease to expire, recorded minutes later as "did not finish" (test/reliability/
 * tick-faults.test.ts). `data` is copied through JSON, so the stored record is plain JSON.
 */
export function checkTaskResult(value: unknown): { result: TaskResult } | { error: string } {
  try {
    if (!value || typeof value !== "object" || typeof (value as TaskResult).success !== "boolean") {
      return {
        error: `executeScheduledTask returned ${
          value === undefined ? "nothing" : describe(value)
        }; it must return a TaskResult ({ success: boolean, ... })`,
      };
    }
    const { success, data, errorMessage } = value as TaskResult;
    return {
      result: {
        success,
        ...(data && typeof data === "object" ? { data: JSON.parse(JSON.stringify(data)) } : {}),
        ...(typeof errorMessage === "string" ? { errorMessage } : {}),
      },
    };
  } catch (error) {
    return { error: `executeScheduledTask returned a value that cannot be read as JSON: ${errorMessage(error)}` };
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return typeof value === "bigint" ? `${value}n` : `a ${typeof value} that is not JSON`;
  }
}

/**
 * How a failed task attempt waits for its retry (with the scheduler's `retryBaseMs` as base):
 * doubled per attempt up to an hour, plus up to 50 % jitter so that tenants which failed together
 * (an API outage) do not retry together, and never sooner than the step.
 */
export const TASK_RETRY: Omit<BackoffPolicy, "baseDelayMs"> = { maxDelayMs: 3_600_000, jitter: [1, 1.5] };
