/**
 * The one small key-value interface every storage backend implements (memory, Cloudflare KV,
 * Deno KV). Keys are strings of `:`-separated parts; values are strings (the layers above store
 * JSON). `list` returns keys in lexicographic order.
 */
export interface PutOptions {
  /** Expire the key after this many seconds. Cloudflare KV needs at least 60; drivers round up. */
  ttlSeconds?: number;
}

export interface ListOptions {
  prefix: string;
  /** From a previous page's `cursor`. */
  cursor?: string | null;
  /** Keys per page (default and maximum 1000). */
  limit?: number;
}

export interface ListPage {
  keys: string[];
  /** Pass back for the next page; null when this was the last. */
  cursor: string | null;
}

/** One key written by `claimWith`. */
export interface KeyWrite {
  key: string;
  value: string;
  ttlSeconds?: number;
}

/** What a history query selects (`queryHistory`); absent fields do not filter. */
export interface HistoryFilter {
  kind?: string;
  plugin?: string;
  status?: string;
  /** Records at most (the caller clamps it). */
  limit: number;
  /** Only keys after this one, i.e. older records: the last key of the previous page. */
  after?: string;
}

/** One history record as stored: its key and its value. */
export interface HistoryRow {
  key: string;
  value: string;
}

export interface KVDriver {
  /** For logs and docs: "memory", "cloudflare-kv", "deno-kv". */
  readonly name: string;
  /**
   * Whether `putIfAbsent` is atomic across every reader and writer. True for memory and
   * Deno KV; false for Cloudflare KV, which is eventually consistent (read-then-write).
   */
  readonly atomic: boolean;
  get(key: string): Promise<string | null>;
  /** Several keys in as few backend operations as the backend allows. */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  put(key: string, value: string, options?: PutOptions): Promise<void>;
  /** Write only if the key does not exist; true when this call wrote it (a claim). */
  putIfAbsent(key: string, value: string, options?: PutOptions): Promise<boolean>;
  /**
   * Write only if the key still holds `expected` (null: absent or expired); true when this call
   * wrote. Atomic, so a read-modify-write that lost a race can retry instead of undoing the
   * other write. Offered where the backend can compare and set (memory, Deno KV, a tenant's
   * Durable Object); Cloudflare KV cannot, and has none. A driver over several stores says per
   * key whether it applies (`canCompare`).
   */
  putIfUnchanged?(key: string, expected: string | null, value: string, options?: PutOptions): Promise<boolean>;
  /**
   * Delete only if the key still holds `expected`; true when this call deleted it. Atomic where
   * offered (memory, Deno KV), so a lock is released only by its holder: a run that outlived its
   * lease cannot free the lock another run has taken over since. Without it, callers read,
   * compare and delete (a window, on Cloudflare KV only).
   */
  deleteIfUnchanged?(key: string, expected: string): Promise<boolean>;
  /**
   * Write `claim` only if its key is absent and, in the same atomic commit, `writes` with it and
   * `deletes` removed; nothing when the claim is taken (false). One round trip where offered
   * (memory, a tenant's Durable Object): accepting a webhook is its dedupe row and its event in
   * one commit; a single plugin's final record is its ledger entry, the record and the event's
   * inbox marker removed, in one commit.
   */
  claimWith?(claim: KeyWrite, writes: readonly KeyWrite[], deletes?: readonly string[]): Promise<boolean>;
  /**
   * Whether `putIfUnchanged` and `deleteIfUnchanged` apply to `key`, for a driver that routes keys
   * to stores with and without them (the split driver: a tenant's authority has them, Cloudflare
   * KV not). Absent: they apply to every key when offered. Ask through `comparesAt()`.
   */
  canCompare?(key: string): boolean;
  delete(key: string): Promise<void>;
  list(options: ListOptions): Promise<ListPage>;
  /**
   * The keys and values of the execution-history records under `prefix` (`hist:<tenant>:`) that
   * match `filter`, newest first (key order), expired ones left out: one request to a store that
   * keeps history as an indexed table (a tenant's Durable Object). Null where the store under
   * `prefix` has no such query (a driver over several stores tells per prefix): the caller then
   * scans the keys. Absent: the caller scans the keys.
   */
  queryHistory?(prefix: string, filter: HistoryFilter): Promise<HistoryRow[] | null>;
}

/** Every key under `prefix`, page by page. */
export async function* listAll(driver: KVDriver, prefix: string, pageSize = 1000): AsyncGenerator<string> {
  let cursor: string | null = null;
  do {
    const page: ListPage = await driver.list({ prefix, cursor, limit: pageSize });
    yield* page.keys;
    cursor = page.cursor;
  } while (cursor);
}

/**
 * A requested TTL in milliseconds. Every driver refuses the same values the same way (the
 * conformance suite checks it): a RangeError unless the TTL is a positive, finite number.
 */
export function ttlMs(ttlSeconds: number): number {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`ttlSeconds must be a positive number, got ${ttlSeconds}`);
  }
  return Math.ceil(ttlSeconds * 1000);
}

/** The RangeError `ttlMs` throws for the first refused TTL among `writes`; null when all are fine. */
export function ttlProblem(...writes: (PutOptions | undefined)[]): RangeError | null {
  for (const w of writes) {
    if (w?.ttlSeconds === undefined) continue;
    try {
      ttlMs(w.ttlSeconds);
    } catch (error) {
      return error as RangeError;
    }
  }
  return null;
}

/** Whether `driver` can compare-and-set (`putIfUnchanged`, `deleteIfUnchanged`) at `key`. */
export function comparesAt(driver: KVDriver, key: string): boolean {
  return driver.putIfUnchanged !== undefined && driver.deleteIfUnchanged !== undefined &&
    (driver.canCompare?.(key) ?? true);
}
