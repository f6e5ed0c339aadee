/**
 * The tenant object's execution history as its own SQL table: the key (whose order is newest
 * first), the parts a query filters on as columns (kind, plugin, status), and the record's JSON.
 * Each filter the history API offers, alone or combined, has an index whose leading columns are
 * its equalities and whose last is the key, so a query is an index range read newest first up to
 * its limit, however many records of other kinds, plugins or statuses the tenant has. Records
 * still arrive as key writes (`hist:` keys through the key-value facade), so the ledger commits a
 * final record in the same transaction as its done-key.
 */
import type { HistoryFilter, HistoryRow } from "../../store/driver.ts";
import { historyKeyTime, parseHistoryKey } from "../../store/history-keys.ts";
import type { SqlStorageLike } from "./sql-kv.ts";

/** Above every code point a key uses: the end of a prefix's range. */
const END = "\u{10FFFF}";

type Column = "kind" | "plugin" | "status";
const FILTERS: readonly Column[] = ["kind", "plugin", "status"];

/**
 * One index per filter combination the API offers but the three together (which reads the
 * plugin's rows of that kind, checking the status): its equality columns first, the key last, so
 * the rows come newest first with no sort. Every index is one more row written per record: this
 * is the set the filters need, no more. Named in the query (`INDEXED BY`): without statistics
 * SQLite would pick a one-column index for two filters.
 */
const INDEXES: { name: string; columns: readonly Column[] }[] = [
  { name: "history_kind", columns: ["kind"] },
  { name: "history_plugin", columns: ["plugin"] },
  { name: "history_status", columns: ["status"] },
  { name: "history_plugin_kind", columns: ["plugin", "kind"] },
  { name: "history_plugin_status", columns: ["plugin", "status"] },
  { name: "history_kind_status", columns: ["kind", "status"] },
];

/** The index for the filters given: the one on exactly them, else (all three) the first covering two. */
function historyIndexFor(filtered: readonly Column[]): string | null {
  if (!filtered.length) return null; // the primary key: newest first
  const exact = INDEXES.find((i) =>
    i.columns.length === filtered.length && i.columns.every((c) => filtered.includes(c))
  );
  return (exact ?? INDEXES.find((i) => i.columns.length === 2 && i.columns.every((c) => filtered.includes(c))))!.name;
}

export function createHistoryTable(sql: SqlStorageLike): void {
  // WITHOUT ROWID: the key is the table's own order, no second b-tree mapping it to a rowid.
  sql.exec(
    "CREATE TABLE IF NOT EXISTS history (key TEXT PRIMARY KEY, at INTEGER, kind TEXT, plugin TEXT, " +
      "status TEXT, final INTEGER, id TEXT, value TEXT NOT NULL, expires INTEGER) WITHOUT ROWID",
  );
  for (const { name, columns } of INDEXES) {
    sql.exec(`CREATE INDEX IF NOT EXISTS ${name} ON history (${columns.join(", ")}, key)`);
  }
  sql.exec("CREATE INDEX IF NOT EXISTS history_expires ON history (expires) WHERE expires IS NOT NULL");
}

/** Writes one record's row (a `hist:` key), its columns read from the key and the value. */
export function putHistoryRow(sql: SqlStorageLike, key: string, value: string, expires: number | null): void {
  const parts = parseHistoryKey(key);
  const record = recordFields(value);
  sql.exec(
    "INSERT INTO history (key, at, kind, plugin, status, final, id, value, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) " +
      "ON CONFLICT (key) DO UPDATE SET at = excluded.at, kind = excluded.kind, plugin = excluded.plugin, " +
      "status = excluded.status, final = excluded.final, id = excluded.id, value = excluded.value, " +
      "expires = excluded.expires",
    key,
    parts ? historyKeyTime(parts.inverted) : null,
    parts?.kind ?? null,
    parts?.plugin ?? null,
    record.status,
    record.final,
    parts?.id ?? null,
    value,
    expires,
  );
}

/** The query `queryHistory` runs, with its bindings (also what the plan tests explain). */
export function historyQuery(prefix: string, filter: HistoryFilter, now: number): [string, (string | number)[]] {
  const after = filter.after !== undefined && filter.after >= prefix;
  const where = [after ? "key > ?" : "key >= ?", "key < ?"];
  const bindings: (string | number)[] = [after ? filter.after! : prefix, prefix + END];
  const filtered = FILTERS.filter((column) => filter[column] !== undefined);
  for (const column of filtered) {
    where.push(`${column} = ?`);
    bindings.push(filter[column]!);
  }
  where.push("(expires IS NULL OR expires > ?)");
  bindings.push(now, Math.max(1, Math.floor(filter.limit)));
  const index = historyIndexFor(filtered);
  return [
    `SELECT key, value FROM history${index ? ` INDEXED BY ${index}` : ""} WHERE ${
      where.join(" AND ")
    } ORDER BY key LIMIT ?`,
    bindings,
  ];
}

export function queryHistoryRows(
  sql: SqlStorageLike,
  prefix: string,
  filter: HistoryFilter,
  now: number,
): HistoryRow[] {
  const [query, bindings] = historyQuery(prefix, filter, now);
  return sql.exec(query, ...bindings).toArray().map((row) => ({ key: String(row.key), value: String(row.value) }));
}

/** Status and finality from a record's JSON; nulls for a value that is not one. */
function recordFields(value: string): { status: string | null; final: number | null } {
  try {
    const record = JSON.parse(value) as { status?: unknown; final?: unknown };
    return {
      status: typeof record.status === "string" ? record.status : null,
      final: typeof record.final === "boolean" ? Number(record.final) : null,
    };
  } catch {
    return { status: null, final: null };
  }
}
