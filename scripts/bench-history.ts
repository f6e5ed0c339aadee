/**
 * Part of `npm run bench`, under Deno (whose `node:sqlite` is the SQLite a tenant object runs):
 * the tenant's history filtered by a plugin with 2 records among 1,000 of another, through the
 * object's SQL store in-process (no RPC): the key scan it replaces (list pages of the tenant's
 * keys, then the values) against the one indexed query. Prints one JSON line. Over RPC the scan
 * is three requests to the object and the query one, which this leaves out.
 */
import { DatabaseSync } from "node:sqlite";
import { applyKvCall, kvCallDriver } from "../src/backends/cloudflare/kv-calls.ts";
import { SqlKeyValue, type SqlStorageLike } from "../src/backends/cloudflare/sql-kv.ts";
import { ExecutionHistory } from "../src/store/history.ts";

const db = new DatabaseSync(":memory:");
// As ctx.storage.sql: the statement runs at once, its rows (if any) read when asked.
const sql: SqlStorageLike = {
  exec(query, ...bindings) {
    const statement = db.prepare(query);
    const args = bindings as (string | number | null)[];
    const rows = /^\s*SELECT|RETURNING/i.test(query) ? statement.all(...args) : (statement.run(...args), []);
    return { toArray: () => rows as Record<string, string>[] };
  },
};
const transact = <T>(work: () => T): T => {
  db.exec("BEGIN");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
};
const store = new SqlKeyValue(sql, { transact });
const query = kvCallDriver("tenant-object", (call) => Promise.resolve(applyKvCall(store, call)));
const { queryHistory: _, ...scan } = query;

const tenantId = crypto.randomUUID();
const history = new ExecutionHistory(query);
const writes = [];
for (let i = 0; i < 1_002; i++) {
  const plugin = i === 100 || i === 900 ? "rare" : "busy";
  const input = { tenantId, kind: "hook" as const, plugin, name: "contentPublished", status: "succeeded" as const };
  writes.push(history.keyWrite(history.prepare({ ...input, final: true, durationMs: 12, data: { i } })));
}
const [claim, ...rest] = writes;
await query.claimWith!(claim!, rest);

const viaQuery = new ExecutionHistory(query);
const viaScan = new ExecutionHistory(scan);
for (const h of [viaQuery, viaScan]) {
  const found = await h.list(tenantId, { plugin: "rare" });
  if (found.length !== 2) throw new Error(`expected 2 records, got ${found.length}`);
}

/** Mean ms per list over `n` lists; the lower of three rounds, alternating with the other path. */
async function time(h: ExecutionHistory, n: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await h.list(tenantId, { plugin: "rare" });
  return (performance.now() - start) / n;
}
const rounds = { scan: [] as number[], query: [] as number[] };
for (let round = 0; round < 3; round++) {
  rounds.scan.push(await time(viaScan, 100));
  rounds.query.push(await time(viaQuery, 2_000));
}
const scanMs = Math.min(...rounds.scan);
const queryMs = Math.min(...rounds.query);
console.log(JSON.stringify({ records: 1_002, scan_ms: scanMs, query_ms: queryMs, ratio: queryMs / scanMs }));
