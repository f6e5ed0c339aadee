/**
 * Where synced data lives in plugin storage (per tenant and plugin), per site and date:
 * - `daily:{site}:{date}` → the day's totals (clicks, impressions, ctr, position) and chunk count;
 * - `rows:{site}:{date}:{n}` → the day's rows in chunks of 200 (Deno KV values are capped at
 *   64 KiB; 200 rows of query+page stay well below).
 * Re-syncing a day overwrites its chunks and deletes any left over from a longer earlier run.
 */
import type { PluginStorage } from "@dvp/kernel";
import type { SearchAnalyticsRow } from "./client.ts";

export const CHUNK_ROWS = 200;

export interface DailyTotals {
  date: string;
  clicks: number;
  impressions: number;
  ctr: number;
  position: number;
  rows: number;
  chunks: number;
  syncedAt: string;
}

export interface StoredRow {
  /** The row's keys in the order of the configured dimensions (date removed). */
  keys: string[];
  clicks: number;
  impressions: number;
  ctr: number;
  position: number;
}

const site = (siteUrl: string) => encodeURIComponent(siteUrl);

/** The day's totals already stored for each of `dates` (null where none): one batch read. */
export async function loadTotals(
  storage: PluginStorage,
  siteUrl: string,
  dates: readonly string[],
): Promise<Map<string, DailyTotals | null>> {
  const found = await storage.getMany<DailyTotals>(dates.map((date) => `daily:${site(siteUrl)}:${date}`));
  return new Map(dates.map((date, i) => [date, found[i] ?? null]));
}

/** Storage operations `saveDay` makes: a put per chunk, a delete per leftover chunk, the totals. */
export function saveDayCost(rows: number, previous: DailyTotals | null): number {
  return Math.max(Math.ceil(rows / CHUNK_ROWS), previous?.chunks ?? 0) + 1;
}

/** Writes a day's chunks, deletes those a longer earlier sync left (`previous`), then its totals. */
export async function saveDay(
  storage: PluginStorage,
  siteUrl: string,
  totals: Omit<DailyTotals, "rows" | "chunks">,
  rows: StoredRow[],
  ttlSeconds: number,
  previous: DailyTotals | null,
): Promise<void> {
  const prefix = `rows:${site(siteUrl)}:${totals.date}:`;
  const chunks = Math.ceil(rows.length / CHUNK_ROWS);
  for (let n = 0; n < chunks; n++) {
    await storage.put(`${prefix}${String(n).padStart(4, "0")}`, rows.slice(n * CHUNK_ROWS, (n + 1) * CHUNK_ROWS), {
      ttlSeconds,
    });
  }
  for (let n = chunks; n < (previous?.chunks ?? 0); n++) await storage.delete(`${prefix}${String(n).padStart(4, "0")}`);
  await storage.put(
    `daily:${site(siteUrl)}:${totals.date}`,
    { ...totals, rows: rows.length, chunks } satisfies DailyTotals,
    {
      ttlSeconds,
    },
  );
}

/** The stored rows of one site and day. */
export async function loadRows(storage: PluginStorage, siteUrl: string, date: string): Promise<StoredRow[]> {
  const keys = await storage.list(`rows:${site(siteUrl)}:${date}:`);
  // One batch read (an operation per 100 keys on Workers KV), not a get per chunk.
  const chunks = await storage.getMany<StoredRow[]>(keys);
  return chunks.flatMap((c) => c ?? []);
}

/** Daily totals of one site, oldest first, the most recent `limit` days. */
export async function loadDaily(storage: PluginStorage, siteUrl: string, limit = 90): Promise<DailyTotals[]> {
  const keys = await storage.list(`daily:${site(siteUrl)}:`, 5000);
  const days = await storage.getMany<DailyTotals>(keys.slice(-limit));
  return days.filter((d): d is DailyTotals => d !== null);
}

export function toStoredRow(row: SearchAnalyticsRow, dateIndex: number): StoredRow {
  return {
    keys: (row.keys ?? []).filter((_, i) => i !== dateIndex),
    clicks: row.clicks,
    impressions: row.impressions,
    ctr: row.ctr,
    position: row.position,
  };
}
