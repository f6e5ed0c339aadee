/**
 * The key-value facade a tenant's Durable Object keeps over its SQLite storage: tables whose
 * primary key orders the keys (code point order, as KV's), so a prefix scan is an index range.
 * Execution history (`hist:` keys) has its own table with indexed columns (sql-history.ts);
 * every other key is a row of `kv`. Which table a key lives in is this file's concern only: every
 * method takes and answers keys, and a listing that spans both merges them in key order.
 * Every method is synchronous: the object runs one at a time, so a check and the write that
 * depends on it cannot interleave with another request; `transact` makes a multi-key write one
 * commit (a history row included). Expired rows are hidden at once and deleted by `purgeExpired`
 * (the object's alarm).
 */
import {
  type HistoryFilter,
  type HistoryRow,
  type KeyWrite,
  type ListOptions,
  type ListPage,
  type PutOptions,
  ttlMs,
} from "../../store/driver.ts";
import { HISTORY_PREFIX } from "../../store/history-keys.ts";
import { createHistoryTable, putHistoryRow, queryHistoryRows } from "./sql-history.ts";

type SqlValue = string | number | null | ArrayBuffer;

/** The part of `ctx.storage.sql` (SqlStorage) this uses. */
export interface SqlStorageLike {
  exec(query: string, ...bindings: SqlValue[]): { toArray(): Record<string, SqlValue>[] };
}

const LIST_MAX = 1000;
/** Expired rows one clean-up deletes at most: a bounded run of the object's alarm. */
const PURGE_MAX = 1000;
/** Expired rows are cleaned up at most this often… */
const PURGE_EVERY_MS = 86_400_000;
/** …unless the last run left some: then again this soon. */
const PURGE_BACKLOG_MS = 60_000;
/** Above every code point a key uses: the end of a prefix's range. */
const END = "\u{10FFFF}";

export class SqlKeyValue {
  readonly #sql: SqlStorageLike;
  readonly #now: () => number;
  readonly #transact: <T>(work: () => T) => T;
  /** Whether the last clean-up stopped at its bound, leaving expired rows. */
  #backlog = false;

  constructor(sql: SqlStorageLike, options: { now?: () => number; transact?: <T>(work: () => T) => T } = {}) {
    this.#sql = sql;
    this.#now = options.now ?? Date.now;
    this.#transact = options.transact ?? ((work) => work());
    sql.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER)");
    sql.exec("CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires) WHERE expires IS NOT NULL");
    createHistoryTable(sql);
    this.#transact(() => this.#moveHistoryRows());
  }

  /**
   * History rows an earlier version kept in `kv` move to the history table, once (a range read
   * that finds nothing afterwards), so no record is hidden by where it was written.
   */
  #moveHistoryRows(): void {
    const range = [HISTORY_PREFIX, HISTORY_PREFIX + END] as const;
    const rows = this.#sql.exec("SELECT key, value, expires FROM kv WHERE key >= ? AND key < ?", ...range).toArray();
    if (!rows.length) return;
    for (const row of rows) {
      putHistoryRow(
        this.#sql,
        String(row.key),
        String(row.value),
        typeof row.expires === "number" ? row.expires : null,
      );
    }
    this.#sql.exec("DELETE FROM kv WHERE key >= ? AND key < ?", ...range);
  }

  get(key: string): string | null {
    const rows = this.#sql.exec(
      `SELECT value FROM ${tableOf(key)} WHERE key = ? AND (expires IS NULL OR expires > ?)`,
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
    if (tableOf(key) === "history") return putHistoryRow(this.#sql, key, value, expires);
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
    this.#sql.exec(`DELETE FROM ${tableOf(key)} WHERE key = ?`, key);
  }

  list({ prefix, cursor, limit = LIST_MAX }: ListOptions): ListPage {
    const size = Math.min(Math.max(Math.floor(limit), 1), LIST_MAX);
    const rows = this.#range(prefix, "key", cursor ?? null, size + 1);
    const keys = rows.slice(0, size).map((row) => String(row.key));
    return { keys, cursor: rows.length > size ? keys[keys.length - 1]! : null };
  }

  /** Every live key and value under `prefix`, in key order (for the object's own scans). */
  entries(prefix: string): [string, string][] {
    return this.#range(prefix, "key, value", null, -1).map((row) => [String(row.key), String(row.value)]);
  }

  /** Live rows under `prefix` after `cursor`, in key order, from each table the prefix reaches (-1: no limit). */
  #range(prefix: string, columns: string, cursor: string | null, limit: number) {
    const parts = tablesUnder(prefix).map((table) =>
      `SELECT ${columns} FROM ${table} WHERE key ${cursor ? ">" : ">="} ? AND key < ? ` +
      "AND (expires IS NULL OR expires > ?)"
    );
    const bindings = tablesUnder(prefix).flatMap(() => [cursor || prefix, prefix + END, this.#now()]);
    return this.#sql.exec(`${parts.join(" UNION ALL ")} ORDER BY key LIMIT ?`, ...bindings, limit).toArray();
  }

  /** The history records under `prefix` that match `filter`, newest first: one indexed query. */
  queryHistory(prefix: string, filter: HistoryFilter): HistoryRow[] {
    return queryHistoryRows(this.#sql, prefix, filter, this.#now());
  }

  /** Deletes up to `max` expired rows over both tables; how many it deleted. */
  purgeExpired(max = PURGE_MAX): number {
    let deleted = 0;
    for (const table of TABLES) {
      if (deleted >= max) break;
      deleted += this.#sql.exec(
        `DELETE FROM ${table} WHERE key IN (SELECT key FROM ${table} WHERE expires <= ? LIMIT ?) RETURNING key`,
        this.#now(),
        max - deleted,
      ).toArray().length;
    }
    this.#backlog = deleted >= max;
    return deleted;
  }

  /**
   * When the object should next clean up: soon while the last clean-up stopped at its bound (a
   * tenant that writes more than a run deletes in a day still gets to the end), else at the
   * earliest expiry but at most daily; null when nothing expires.
   */
  nextPurgeAt(now: number): number | null {
    const expiry = this.nextExpiry();
    if (expiry === null) return null;
    return this.#backlog ? now + PURGE_BACKLOG_MS : Math.max(expiry, now + PURGE_EVERY_MS);
  }

  /** When the earliest row expires, or null. */
  nextExpiry(): number | null {
    let next: number | null = null;
    for (const table of TABLES) {
      const at = this.#sql.exec(`SELECT MIN(expires) AS at FROM ${table} WHERE expires IS NOT NULL`).toArray()[0]?.at;
      if (typeof at === "number" && (next === null || at < next)) next = at;
    }
    return next;
  }
}

const TABLES = ["kv", "history"] as const;
type Table = (typeof TABLES)[number];

const tableOf = (key: string): Table => (key.startsWith(HISTORY_PREFIX) ? "history" : "kv");

/** The tables holding keys under `prefix`: `hist:…` only history, a prefix of `hist:` (`""`) both. */
function tablesUnder(prefix: string): Table[] {
  if (prefix.startsWith(HISTORY_PREFIX)) return ["history"];
  return HISTORY_PREFIX.startsWith(prefix) ? ["kv", "history"] : ["kv"];
}

function expiry(ttlSeconds: number | undefined, now: number): number | null {
  if (ttlSeconds === undefined) return null;
  return now + ttlMs(ttlSeconds);
}
