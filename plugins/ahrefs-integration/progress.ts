/**
 * How far a day's snapshots got, so the next run continues where the last one stopped (rate
 * limit, time limit, units, an outage) instead of starting over: `progress:{date}` holds the
 * targets finished for that date. It is deleted when the date is complete, so a manual re-run
 * on a finished day takes every snapshot again (overwriting).
 *
 * Workers KV takes about one write per second per key and 1,000 operations per invocation, and a
 * run at 6,000 requests a minute finishes a target every 10 ms: the record is written at most
 * every few seconds while the run goes on, and once more when it ends. A write that fails (a KV
 * 429) is logged and retried with the next one; at worst a later run fetches a few targets again.
 */
import type { PluginStorage } from "@dvp/kernel";
import { addDays } from "../_shared/calendar-date.ts";

const PREFIX = "progress:";
/** An unfinished day is continued by the runs of the following days for this long, then dropped. */
export const CARRY_OVER_DAYS = 7;
/** While a run goes on, a day's record is written at most this often (≤ 108 writes in a 540 s run). */
const PROGRESS_INTERVAL_MS = 5_000;
/** Never two writes of one key closer than this, the last one included: Workers KV's rate per key. */
const KEY_WRITE_GAP_MS = 1_000;

export interface DayWork {
  date: string;
  /** Targets still to snapshot for `date`, in configured order. */
  targets: string[];
  done: string[];
}

export interface ProgressOptions {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** A write that failed; the record is written again with the next write (or at the end). */
  onWriteError: (key: string, error: unknown) => void;
}

export class Progress {
  readonly #lastWrite = new Map<string, number>();
  readonly #dirty = new Set<DayWork>();

  constructor(
    private readonly storage: PluginStorage,
    /** Every configured target: a day is complete when all are done. */
    private readonly targets: string[],
    private readonly options: ProgressOptions,
  ) {}

  /** The unfinished earlier days (oldest first), then `today`: what this run should do. */
  async load(today: string): Promise<DayWork[]> {
    const oldest = addDays(today, -CARRY_OVER_DAYS);
    const earlier = (await this.storage.list(PREFIX, 100)).filter((key) => key.slice(PREFIX.length) < today);
    const records = await this.storage.getMany<{ done: string[] }>([...earlier, PREFIX + today]);
    const work: DayWork[] = [];
    for (const [i, key] of earlier.entries()) {
      const date = key.slice(PREFIX.length);
      const done = records[i]?.done ?? [];
      const left = this.targets.filter((t) => !done.includes(t));
      if (date < oldest || left.length === 0) await this.#write(key, null);
      else work.push({ date, targets: left, done });
    }
    const record = records[earlier.length];
    const done = record?.done ?? [];
    const day = { date: today, targets: this.targets.filter((t) => !done.includes(t)), done };
    // Written at once, so a run that stops before its first target is still continued tomorrow.
    if (!record) await this.#save(day);
    work.push(day);
    return work;
  }

  /** Records `target` as finished for the day; the record is written when its interval has passed. */
  async markDone(day: DayWork, target: string): Promise<void> {
    day.done.push(target);
    this.#dirty.add(day);
    for (const dirty of [...this.#dirty]) {
      const last = this.#lastWrite.get(PREFIX + dirty.date);
      if (last === undefined || this.options.now() - last >= PROGRESS_INTERVAL_MS) await this.#save(dirty);
    }
  }

  /** When the run stops or finishes: writes what is not written yet, a second after a key's last write. */
  async close(): Promise<void> {
    for (const day of [...this.#dirty]) {
      const last = this.#lastWrite.get(PREFIX + day.date);
      const wait = last === undefined ? 0 : last + KEY_WRITE_GAP_MS - this.options.now();
      if (wait > 0) await this.options.sleep(wait);
      await this.#save(day);
    }
  }

  /** The day's record, or its deletion once every target is done; it stays pending if the write fails. */
  async #save(day: DayWork): Promise<void> {
    this.#dirty.delete(day);
    const complete = this.targets.every((t) => day.done.includes(t));
    if (!(await this.#write(PREFIX + day.date, complete ? null : { done: [...day.done] }))) this.#dirty.add(day);
  }

  async #write(key: string, value: { done: string[] } | null): Promise<boolean> {
    this.#lastWrite.set(key, this.options.now());
    try {
      if (value === null) await this.storage.delete(key);
      else await this.storage.put(key, value, { ttlSeconds: (CARRY_OVER_DAYS + 1) * 86_400 });
      return true;
    } catch (error) {
      this.options.onWriteError(key, error);
      return false;
    }
  }
}
