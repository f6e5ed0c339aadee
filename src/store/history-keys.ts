/**
 * The layout of an execution-history key, `hist:<tenant>:<inverted time>:<kind>:<plugin>:<id>`:
 * newest first in key order, kind and plugin readable without the value. Shared by the key scan
 * (memory, Deno KV) and the tenant object's history table, which keeps these parts as columns.
 */
export const HISTORY_PREFIX = "hist:";

export interface HistoryKeyParts {
  tenantId: string;
  /** 13 digits, `invertedTime(ms)`: ascending is newest first. */
  inverted: string;
  kind: string;
  plugin: string;
  id: string;
}

/** The parts of a history key, or null for a key that is not one (a stray key under `hist:`). */
export function parseHistoryKey(key: string): HistoryKeyParts | null {
  if (!key.startsWith(HISTORY_PREFIX)) return null;
  const [tenantId, inverted, kind, plugin, ...rest] = key.slice(HISTORY_PREFIX.length).split(":");
  if (!tenantId || !inverted || !kind || !plugin || !rest.length) return null;
  return { tenantId, inverted, kind, plugin, id: rest.join(":") };
}

/** The last millisecond an inverted time can name (13 digits). */
const TIME_END = 9_999_999_999_999;

/** Zero-padded so that lexicographic order is numeric order, newest first. */
export function invertedTime(ms: number): string {
  return String(TIME_END - Math.floor(ms)).padStart(13, "0");
}

/** When a record was written, from its key's inverted time (ms since the epoch): `invertedTime` undone. */
export function historyKeyTime(inverted: string): number {
  return TIME_END - Number(inverted);
}
