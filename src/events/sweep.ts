/**
 * Which unfinished events are due to be re-driven: their inbox markers (`inbox:<tenant>:<event>`,
 * `{ due, drives? }`) under `prefix` whose time has come. The processor's sweep runs them (without
 * a queue) or sends their unfinished (event, plugin) pairs to the queue again (`drives`: how often
 * it did so); on Cloudflare each tenant's object sweeps only its own (its alarm), on Deno and in
 * memory the tick sweeps all.
 */
import type { KVDriver } from "../store/driver.ts";
import { parseInboxKey } from "./keys.ts";

/**
 * Pages of 1,000 inbox markers a sweep over every tenant reads at most (the tick, for a store's
 * per-invocation limits). One tenant's sweep (its Durable Object's alarm, on its own storage)
 * reads them all: its alarm is armed for the earliest marker, wherever it sorts, and a due marker
 * the sweep never reached would fire the alarm again at once, in a loop, and never be re-driven.
 */
const SWEEP_MAX_PAGES = 3;

export interface DueEvent {
  tenantId: string;
  eventId: string;
  /** Re-drives through the queue so far. */
  drives: number;
}

/** An inbox marker's due time (ms) and its re-drives so far; a garbled one is due now. */
export function parseInboxMarker(raw: string): { due: number; drives: number } {
  try {
    const marker = JSON.parse(raw) as { due?: unknown; drives?: unknown };
    const due = Number(marker.due ?? 0);
    return { due: Number.isFinite(due) ? due : 0, drives: Number(marker.drives ?? 0) || 0 };
  } catch {
    return { due: 0, drives: 0 };
  }
}

export async function listDueInbox(
  driver: KVDriver,
  prefix: string,
  now: number,
  limit: number,
  maxPages = SWEEP_MAX_PAGES,
): Promise<DueEvent[]> {
  const due: DueEvent[] = [];
  // Markers are in key order, not due order: page on past markers that are not due yet, so a
  // thousand of them cannot hold back the due ones of later tenants (bounded, for KV's limits).
  let cursor: string | null = null;
  for (let pages = 0; pages < maxPages && due.length < limit; pages++) {
    const page = await driver.list({ prefix, cursor, limit: 1000 });
    if (page.keys.length === 0) break;
    const markers = await driver.getMany(page.keys);
    for (let i = 0; i < page.keys.length && due.length < limit; i++) {
      const parsed = parseInboxKey(page.keys[i]!);
      const raw = markers[i];
      if (!parsed || raw === null || raw === undefined) continue;
      const { due: at, drives } = parseInboxMarker(raw);
      if (at <= now) due.push({ ...parsed, drives });
    }
    cursor = page.cursor;
    if (!cursor) break;
  }
  return due;
}
