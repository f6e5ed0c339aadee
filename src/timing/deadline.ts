/**
 * The one deadline of the kernel (DESIGN §6): a hook's time limit in dispatch, a task attempt's
 * or health check's in the scheduler, and each HTTP request's in the client. At the limit its
 * signal aborts (so work that listens stops) and `race` gives up waiting (so work that does not
 * listen cannot hold the caller).
 */

/** The reason a deadline's signal aborts with, and what `race` rejects with, at the limit. */
export class DeadlineExceeded extends Error {
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number) {
    super(message);
    this.name = "TimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

export interface Deadline {
  /** Aborts at the limit (reason: a DeadlineExceeded), or with the parent signal's reason when that aborts first. */
  readonly signal: AbortSignal;
  /** True once the limit passed before any parent abort. */
  readonly expired: boolean;
  /** Settles as `work` does, or rejects with the DeadlineExceeded when the limit passes first. */
  race<T>(work: T | PromiseLike<T>): Promise<T>;
  /** Stops the timer and the parent listener: call it when the work is over. */
  clear(): void;
}

export interface DeadlineOptions {
  /** The caller's signal: its abort aborts this deadline's signal too. */
  signal?: AbortSignal;
  /** The DeadlineExceeded's message (default `timed out after <ms> ms`). */
  message?: string;
}

export function startDeadline(timeoutMs: number, options: DeadlineOptions = {}): Deadline {
  const controller = new AbortController();
  const exceeded = new DeadlineExceeded(options.message ?? `timed out after ${timeoutMs} ms`, timeoutMs);
  let expired = false;
  let giveUp: ((reason: DeadlineExceeded) => void) | undefined;
  let limit: Promise<never> | undefined;
  const timer = setTimeout(() => {
    expired = !controller.signal.aborted;
    controller.abort(exceeded);
    giveUp?.(exceeded);
  }, Math.max(0, timeoutMs));
  const parent = options.signal;
  const onParentAbort = () => controller.abort(parent!.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    race<T>(work: T | PromiseLike<T>): Promise<T> {
      limit ??= new Promise<never>((_, reject) => {
        giveUp = reject;
        if (controller.signal.reason === exceeded) reject(exceeded);
      });
      return Promise.race([work, limit]);
    },
    clear() {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onParentAbort);
    },
  };
}

/**
 * `work` within `timeoutMs`: its value, or a DeadlineExceeded rejection at the limit. A value
 * that is not a thenable is in time already, and costs no timer (most hooks answer at once).
 */
export function withinDeadline<T>(work: T | PromiseLike<T>, timeoutMs: number, message?: string): Promise<T> {
  if (typeof (work as PromiseLike<T> | null)?.then !== "function") return Promise.resolve(work);
  const deadline = startDeadline(timeoutMs, message === undefined ? {} : { message });
  return deadline.race(work).finally(() => deadline.clear());
}
