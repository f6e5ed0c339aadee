/**
 * An in-memory driver for tests, benchmarks and embedding. Keys are kept sorted so `list` is a
 * binary search plus a slice, whatever the number of keys; expiry follows the given clock.
 * The order is code point order, as Cloudflare KV and Deno KV sort (by UTF-8 bytes).
 */
import { type KVDriver, type ListOptions, type ListPage, type PutOptions, ttlMs, ttlProblem } from "../store/driver.ts";
import { codePointCompare, SortedKeys } from "../store/sorted-keys.ts";

export interface MemoryDriverOptions {
  /** The clock that expiry follows (ms since the epoch). */
  now?: () => number;
}

export interface MemoryDriver extends KVDriver {
  /** Backend operations so far, for tests that count reads. */
  readonly stats: { reads: number; writes: number; lists: number; deletes: number };
  /** Remove everything. */
  clear(): void;
}

export function createMemoryDriver(options: MemoryDriverOptions = {}): MemoryDriver {
  const now = options.now ?? Date.now;
  const values = new Map<string, { value: string; expiresAt: number }>();
  const sorted = new SortedKeys(codePointCompare);
  const stats = { reads: 0, writes: 0, lists: 0, deletes: 0 };

  const live = (key: string): string | null => {
    const entry = values.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= now()) {
      remove(key);
      return null;
    }
    return entry.value;
  };
  const remove = (key: string): void => {
    if (values.delete(key)) sorted.remove(key);
  };
  const write = (key: string, value: string, opts?: PutOptions): void => {
    const ttl = opts?.ttlSeconds;
    const expiresAt = ttl === undefined ? Infinity : now() + ttlMs(ttl);
    if (!values.has(key)) sorted.insert(key);
    values.set(key, { value, expiresAt });
  };

  return {
    name: "memory",
    atomic: true,
    stats,
    clear() {
      values.clear();
      sorted.clear();
    },
    get(key) {
      stats.reads++;
      return Promise.resolve(live(key));
    },
    getMany(keys) {
      stats.reads++;
      return Promise.resolve(keys.map(live));
    },
    put(key, value, opts) {
      const bad = ttlProblem(opts);
      if (bad) return Promise.reject(bad);
      stats.writes++;
      write(key, value, opts);
      return Promise.resolve();
    },
    putIfAbsent(key, value, opts) {
      const bad = ttlProblem(opts);
      if (bad) return Promise.reject(bad);
      stats.writes++;
      if (live(key) !== null) return Promise.resolve(false);
      write(key, value, opts);
      return Promise.resolve(true);
    },
    putIfUnchanged(key, expected, value, opts) {
      const bad = ttlProblem(opts);
      if (bad) return Promise.reject(bad);
      stats.writes++;
      if (live(key) !== expected) return Promise.resolve(false);
      write(key, value, opts);
      return Promise.resolve(true);
    },
    claimWith(claim, writes, deletes = []) {
      const all = [claim, ...writes];
      const bad = ttlProblem(...all);
      if (bad) return Promise.reject(bad);
      stats.writes++;
      if (live(claim.key) !== null) return Promise.resolve(false);
      for (const w of all) write(w.key, w.value, w);
      for (const key of deletes) remove(key);
      return Promise.resolve(true);
    },
    deleteIfUnchanged(key, expected) {
      stats.deletes++;
      if (live(key) !== expected) return Promise.resolve(false);
      remove(key);
      return Promise.resolve(true);
    },
    delete(key) {
      stats.deletes++;
      remove(key);
      return Promise.resolve();
    },
    list({ prefix, cursor, limit = 1000 }: ListOptions): Promise<ListPage> {
      stats.lists++;
      const size = Math.min(Math.max(limit, 1), 1000);
      const keys: string[] = [];
      const t = now();
      let more = false;
      for (const key of sorted.from(cursor ?? prefix)) {
        if (key === cursor) continue;
        if (!key.startsWith(prefix)) break;
        if (keys.length === size) {
          more = true;
          break;
        }
        if (values.get(key)!.expiresAt > t) keys.push(key);
      }
      return Promise.resolve({ keys, cursor: more && keys.length ? keys[keys.length - 1]! : null });
    },
  };
}
