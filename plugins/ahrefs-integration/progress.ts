/**
 * How far a day's snapshots got, so the next run continues where the last one stopped (rate
 * limit, time limit, units, an outage) instead of starting over: `progress:{date}` holds the
 * targets finished for that date. It is deleted when the date is complete, so a manual re-run
 * on a finished day takes every snapshot again (overwriting), as before.
 */
import type { PluginStorage } from "../../src/store/plugin-storage.ts";

const PREFIX = "progress:";
/** An unfinished day is continued by the runs of the following days for this long, then dropped. */
export const CARRY_OVER_DAYS = 7;

export interface DayWork {
  date: string;
  /** Targets still to snapshot for `date`, in configured order. */
  targets: string[];
  done: string[];
}

/** The unfinished earlier days (oldest first), then `today`: what this run should do. */
export async function pendingWork(storage: PluginStorage, targets: string[], today: string): Promise<DayWork[]> {
  const work: DayWork[] = [];
  const oldest = new Date(Date.parse(`${today}T00:00:00Z`) - CARRY_OVER_DAYS * 86_400_000).toISOString().slice(0, 10);
  for (const key of await storage.list(PREFIX, 100)) {
    const date = key.slice(PREFIX.length);
    if (date >= today) continue;
    const done = (await storage.get<{ done: string[] }>(key))?.done ?? [];
    const left = targets.filter((t) => !done.includes(t));
    if (date < oldest || left.length === 0) await storage.delete(key);
    else work.push({ date, targets: left, done });
  }
  const record = await storage.get<{ done: string[] }>(PREFIX + today);
  // Written at once, so a run that stops before its first target is still continued tomorrow.
  if (!record) await storage.put(PREFIX + today, { done: [] }, { ttlSeconds: (CARRY_OVER_DAYS + 1) * 86_400 });
  const done = record?.done ?? [];
  work.push({ date: today, targets: targets.filter((t) => !done.includes(t)), done });
  return work;
}

/** Records `target` as finished for the day; the record goes when the day is complete. */
export async function markDone(storage: PluginStorage, day: DayWork, target: string, all: string[]): Promise<void> {
  day.done.push(target);
  if (all.every((t) => day.done.includes(t))) await storage.delete(PREFIX + day.date);
  else await storage.put(PREFIX + day.date, { done: day.done }, { ttlSeconds: (CARRY_OVER_DAYS + 1) * 86_400 });
}
