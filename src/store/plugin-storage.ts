/**
 * Storage a plugin gets for one tenant: JSON values under a prefix only that plugin and tenant
 * reach, so one tenant's data cannot be read through another's plugin instance.
 */
import { KernelError } from "../errors.ts";
import type { KVDriver, PutOptions } from "./driver.ts";
import { keys } from "./keys.ts";

/** The most keys one backend list call (and so one `listPage`) returns. */
export const STORAGE_PAGE_MAX = 1000;

/** One page of a plugin's keys: pass `cursor` back to `listPage` for the next; null after the last. */
export interface PluginStoragePage {
  keys: string[];
  cursor: string | null;
}

export interface PluginStorage {
  get<T = unknown>(key: string): Promise<T | null>;
  /**
   * Several values at once, in the order of `keys` (null where there is none). Fewer backend
   * operations than one `get` each: on Cloudflare KV, one per 100 distinct keys.
   */
  getMany<T = unknown>(keys: readonly string[]): Promise<(T | null)[]>;
  put(key: string, value: unknown, options?: PutOptions): Promise<void>;
  /** Write only if absent; true when this call wrote it. */
  putIfAbsent(key: string, value: unknown, options?: PutOptions): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Delete `key` only if it still holds `expected` (compared as JSON text); true when this call
   * deleted it. Present only where the backend compares and deletes in one atomic step (memory,
   * Deno KV). Absent where plugin data is on Cloudflare KV: a read there can be up to a minute
   * stale (a location serves what it cached), so a read-compare-delete would only look like a
   * check. Fall back to `delete` and accept that a write racing it can be lost.
   */
  deleteIfUnchanged?(key: string, expected: unknown): Promise<boolean>;
  /**
   * Every key (without the private prefix) under `prefix`, in order, or the first `limit` of
   * them. It pages through the backend: one list operation per 1,000 keys, so a large prefix
   * costs several; `listPage` walks it a page at a time instead.
   */
  list(prefix?: string, limit?: number): Promise<string[]>;
  /** One page (at most `limit`, 1 to 1,000, default 1,000) of the keys under `prefix`, in order. */
  listPage(options?: { prefix?: string; cursor?: string | null; limit?: number }): Promise<PluginStoragePage>;
}

export function createPluginStorage(driver: KVDriver, tenantId: string, plugin: string): PluginStorage {
  const base = keys.pluginData(tenantId, plugin);
  const decode = <T>(raw: string | null) => raw === null ? null : (JSON.parse(raw) as T);
  const page = async (prefix: string, cursor: string | null, limit: number): Promise<PluginStoragePage> => {
    const answer = await driver.list({ prefix: base + prefix, cursor, limit });
    return {
      // The backend lists under base + prefix only; the filter keeps that true whatever cursor came back.
      keys: answer.keys.filter((key) => key.startsWith(base)).map((key) => key.slice(base.length)),
      cursor: answer.cursor,
    };
  };
  // Offered only where the store that holds plugin data compares atomically (memory, Deno KV): on
  // Cloudflare plugin data lives in KV, whose split driver has no compare there (`atomic` is false).
  const compareAndDelete = driver.atomic && driver.deleteIfUnchanged ? driver.deleteIfUnchanged.bind(driver) : null;
  return {
    ...(compareAndDelete && {
      deleteIfUnchanged: (key: string, expected: unknown) => compareAndDelete(base + key, JSON.stringify(expected)),
    }),
    async get<T>(key: string) {
      return decode<T>(await driver.get(base + key));
    },
    async getMany<T>(wanted: readonly string[]) {
      if (wanted.length === 0) return [];
      return (await driver.getMany(wanted.map((key) => base + key))).map((raw) => decode<T>(raw));
    },
    put: (key, value, options) => driver.put(base + key, JSON.stringify(value), options),
    putIfAbsent: (key, value, options) => driver.putIfAbsent(base + key, JSON.stringify(value), options),
    delete: (key) => driver.delete(base + key),
    async list(prefix = "", limit = Infinity) {
      const out: string[] = [];
      if (!(limit >= 1)) return out;
      let cursor: string | null = null;
      do {
        const next: PluginStoragePage = await page(prefix, cursor, Math.min(STORAGE_PAGE_MAX, limit - out.length));
        out.push(...next.keys);
        cursor = next.cursor;
      } while (cursor && out.length < limit);
      return out.length > limit ? out.slice(0, limit) : out;
    },
    listPage({ prefix = "", cursor = null, limit = STORAGE_PAGE_MAX } = {}) {
      if (!Number.isInteger(limit) || limit < 1 || limit > STORAGE_PAGE_MAX) {
        return Promise.reject(
          new KernelError("ERR_VALIDATION", `storage.listPage: limit must be an integer from 1 to ${STORAGE_PAGE_MAX}`),
        );
      }
      return page(prefix, cursor, limit);
    },
  };
}
