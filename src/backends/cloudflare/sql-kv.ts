/**
 * The key-value facade a tenant's Durable Object keeps over its SQLite storage: one table whose
 * primary key orders the keys (code point order, as KV's), so a prefix scan is an index range.
 * Every method is synchronous: the object runs one at a time, so a check and the write that
 * depends on it cannot interleave with another request; `transact` makes a multi-key write one
 * commit. Expired rows are hidden at once and deleted by `purgeExpired` (the object's alarm).
 */
import type { KeyWrite, ListOptions, ListPage, PutOptions } from "../../store/driver.ts";

type SqlValue = string | number | null | ArrayBuffer;

/** The part of `ctx.storage.sql` (SqlStorage) this uses. */
export interface SqlStorageLike {
  exec(query: string, ...bindings: SqlValue[]): { toArray(): Record<string, SqlValue>[] };
}

const LIST_MAX = 1000;
/** Above every code point a key uses: the end of a prefix's range. */
const END = "\u{10FFFF}";

export class SqlKeyValue {
  readonly #sql: SqlStorageLike;
  readonly #now: () => number;
  readonly #transact: <T>(work: () => T) => T;

  constructor(sql: SqlStorageLike, options: { now?: () => number; transact?: <T>(work: () => T) => T } = {}) {
    this.#sql = sql;
    this.#now = options.now ?? Date.now;
    this.#transact = options.transact ?? ((work) => work());
    sql.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER)");
    sql.exec("CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires) WHERE expires IS NOT NULL");
  }

  get(key: string): string | null {
    const rows = this.#sql.exec(
      "SELECT value FROM kv WHERE key = ? AND (expires IS NULL OR expires > ?)",
      key,
      this.#now(),
    ).toArray();
    return rows.length ? String(rows[0]!.value) : null;
  }

  getMany(keys: readonly string[]): (string | null)[] {
    return keys.map((key) => this.get(key));
  }

  put(key: string, value: string, options?: PutOptions): void {
    const expires = expiry(options?.ttlSeconds, this.#now());
    this.#sql.exec(
      "INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) " +
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
      key,
      value,
      expires,
    );
  }

  putIfAbsent(key: string, value: string, options?: PutOptions): boolean {
    if (this.get(key) !== null) return false;
    this.put(key, value, options);
    return true;
  }

  putIfUnchanged(key: string, expected: string | null, value: string, options?: PutOptions): boolean {
    if (this.get(key) !== expected) return false;
    this.put(key, value, options);
    return true;
  }

  deleteIfUnchanged(key: string, expected: string): boolean {
    if (this.get(key) !== expected) return false;
    this.delete(key);
    return true;
  }

  /** The claim, the writes and the deletes in one commit, or nothing when the claim is taken. */
  claimWith(claim: KeyWrite, writes: readonly KeyWrite[], deletes: readonly string[] = []): boolean {
    return this.#transact(() => {
      if (this.get(claim.key) !== null) return false;
      for (const w of [claim, ...writes]) this.put(w.key, w.value, w);
      for (const key of deletes) this.delete(key);
      return true;
    });
  }

  delete(key: string): void {
    this.#sql.exec("DELETE FROM kv WHERE key = ?", key);
  }

  list({ prefix, cursor, limit = LIST_MAX }: ListOptions): ListPage {
    const size = Math.min(Math.max(Math.floor(limit), 1), LIST_MAX);
    const rows = this.#sql.exec(
      `SELECT key FROM kv WHERE key ${cursor ? ">" : ">="} ? AND key < ? ` +
        "AND (expires IS NULL OR expires > ?) ORDER BY key LIMIT ?",
      cursor || prefix,
      prefix + END,
      this.#now(),
      size + 1,
    ).toArray();
    const keys = rows.slice(0, size).map((row) => String(row.key));
    return { keys, cursor: rows.length > size ? keys[keys.length - 1]! : null };
  }

  /** Every live key and value under `prefix`, in key order (for the object's own scans). */
  entries(prefix: string): [string, string][] {
    return this.#sql.exec(
      "SELECT key, value FROM kv WHERE key >= ? AND key < ? AND (expires IS NULL OR expires > ?) ORDER BY key",
      prefix,
      prefix + END,
      this.#now(),
    ).toArray().map((row) => [String(row.key), String(row.value)]);
  }

  /** Deletes up to `max` expired rows; how many it deleted. */
  purgeExpired(max = 1000): number {
    const rows = this.#sql.exec(
      "DELETE FROM kv WHERE key IN (SELECT key FROM kv WHERE expires <= ? LIMIT ?) RETURNING key",
      this.#now(),
      max,
    ).toArray();
    return rows.length;
  }

  /** When the earliest row expires, or null. */
  nextExpiry(): number | null {
    const rows = this.#sql.exec("SELECT MIN(expires) AS at FROM kv WHERE expires IS NOT NULL").toArray();
    const at = rows[0]?.at;
    return typeof at === "number" ? at : null;
  }
}

function expiry(ttlSeconds: number | undefined, now: number): number | null {
  if (ttlSeconds === undefined) return null;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`ttlSeconds must be a positive number, got ${ttlSeconds}`);
  }
  return now + Math.ceil(ttlSeconds * 1000);
}
