/**
 * Spaces requests to the plan's rate limit and keeps a run inside its time limit. Ahrefs limits
 * requests per minute and its 429s carry no Retry-After, so a client that just retries with a
 * short backoff burns its retries inside the same window and stops. Instead every request waits
 * for its slot (60 000 / requests_per_minute ms after the previous one), and a 429 pauses the
 * pacer for a whole window. Nothing starts that could not finish before the deadline: the run
 * stops there, remembering its progress for the next run.
 */
import { AhrefsError, RATE_WINDOW_MS } from "./client.ts";

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export class Pacer {
  readonly intervalMs: number;
  #next = 0;
  constructor(
    requestsPerMinute: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
    /** No request starts after this instant (ms). */
    readonly deadline: number,
  ) {
    this.intervalMs = Math.ceil(RATE_WINDOW_MS / Math.max(1, requestsPerMinute));
  }

  /** Waits for the next request's slot; throws AhrefsError("deadline") when it would come too late. */
  async slot(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.#next);
    if (at > this.deadline) {
      throw new AhrefsError("deadline", 0, "the run's time limit is reached; the next run continues");
    }
    this.#next = at + this.intervalMs;
    if (at > now) await this.sleep(at - now, signal);
  }

  /** Whether `calls` more requests, paced, would all start before the deadline. */
  fits(calls: number): boolean {
    return Math.max(this.now(), this.#next) + (calls - 1) * this.intervalMs <= this.deadline;
  }

  /** After a 429: no request for `ms`. False (and no pause) when that would pass the deadline. */
  pause(ms: number): boolean {
    const until = this.now() + ms;
    if (until > this.deadline) return false;
    this.#next = Math.max(this.#next, until);
    return true;
  }
}
