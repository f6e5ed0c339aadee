/**
 * What one sync run may write, and where a run that reached that bound stopped. A Workers
 * invocation may make 1,000 KV operations, the kernel's own included, and a site's rows cost a
 * put per 200 (store.ts): 200,000 rows a site, or a few sites of 5,000, are more than one run can
 * store. A run spends at most RUN_STORAGE_BUDGET operations; when the next day would pass it, the
 * run stops, records the days it stored under `sync:{start}:{end}` (one write), and fails, so the
 * scheduler's retry continues with the days left (fetching their sites again from Google).
 */
import type { PluginStorage } from "@dvp/kernel";

/** Storage operations one run's sync may make (the kernel's own come on top). */
const RUN_STORAGE_BUDGET = 600;
/** Rows stored per site and day: 500 chunks, so a day always fits in one run's budget. */
export const MAX_ROWS_PER_DAY = 100_000;

const TTL_SECONDS = 3 * 86_400;

export class SyncProgress {
  #left = RUN_STORAGE_BUDGET;
  #stored = false;
  #wroteDay = false;

  private constructor(
    private readonly storage: PluginStorage,
    private readonly key: string,
    private readonly done: Set<string>,
  ) {}

  /** The days earlier runs of this range stored (one read, counted against the budget). */
  static async load(storage: PluginStorage, range: { startDate: string; endDate: string }): Promise<SyncProgress> {
    const key = `sync:${range.startDate}:${range.endDate}`;
    const record = await storage.get<{ done: string[] }>(key);
    const progress = new SyncProgress(storage, key, new Set(record?.done ?? []));
    progress.#stored = record !== null;
    progress.#left -= 2; // this read and the record's final write
    return progress;
  }

  /** Whether `site` (every day of it, when `date` is absent) was stored by an earlier run. */
  isDone(site: string, date?: string): boolean {
    return this.done.has(`${site}\t`) || (date !== undefined && this.done.has(`${site}\t${date}`));
  }

  /**
   * Spends `operations` if the budget has them; false (nothing spent) when it has not. A run's
   * first day is always allowed: a day stored by an earlier version with more chunks than a
   * budget (their deletion is part of its cost) would otherwise stop every run at the same day.
   */
  spend(operations: number, day = false): boolean {
    if (operations > this.#left && !(day && !this.#wroteDay)) return false;
    this.#left -= operations;
    if (day) this.#wroteDay = true;
    return true;
  }

  markDay(site: string, date: string): void {
    this.done.add(`${site}\t${date}`);
  }

  markSite(site: string): void {
    for (const unit of [...this.done]) if (unit.startsWith(`${site}\t`)) this.done.delete(unit);
    this.done.add(`${site}\t`);
  }

  /** After a run that stopped at the budget: the days stored so far, for the retry. */
  async save(): Promise<void> {
    await this.storage.put(this.key, { done: [...this.done] }, { ttlSeconds: TTL_SECONDS });
  }

  /** After a run that got through every site: nothing is left to continue, so the record goes. */
  async clear(): Promise<void> {
    if (this.#stored) await this.storage.delete(this.key);
  }
}
