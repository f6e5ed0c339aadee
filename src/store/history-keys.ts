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

/** When a record was written, from its key's inverted time (ms since the epoch). */
export function historyKeyTime(inverted: string): number {
  return 9_999_999_999_999 - Number(inverted);
}
