/**
 * Which unfinished events are due to be re-driven: their inbox markers (`inbox:<tenant>:<event>`,
 * `{ due }`) under `prefix` whose time has come. The processor's sweep runs them; on Cloudflare
 * each tenant's object sweeps only its own (its alarm), on Deno and in memory the tick sweeps all.
 */
import type { KVDriver } from "../store/driver.ts";
import { parseInboxKey } from "./keys.ts";

/** Pages of 1,000 inbox markers one sweep reads at most. */
const SWEEP_MAX_PAGES = 3;

export async function listDueInbox(
  driver: KVDriver,
  prefix: string,
  now: number,
  limit: number,
): Promise<{ tenantId: string; eventId: string }[]> {
  const due: { tenantId: string; eventId: string }[] = [];
  // Markers are in key order, not due order: page on past markers that are not due yet, so a
  // thousand of them cannot hold back the due ones of later tenants (bounded, for KV's limits).
  let cursor: string | null = null;
  for (let pages = 0; pages < SWEEP_MAX_PAGES && due.length < limit; pages++) {
    const page = await driver.list({ prefix, cursor, limit: 1000 });
    if (page.keys.length === 0) break;
    const markers = await driver.getMany(page.keys);
    for (let i = 0; i < page.keys.length && due.length < limit; i++) {
      const parsed = parseInboxKey(page.keys[i]!);
      const raw = markers[i];
      if (!parsed || raw === null || raw === undefined) continue;
      let at = 0;
      try {
        at = Number((JSON.parse(raw) as { due?: number }).due ?? 0);
      } catch { /* a garbled marker is due now */ }
      if (at <= now) due.push(parsed);
    }
    cursor = page.cursor;
    if (!cursor) break;
  }
  return due;
}
