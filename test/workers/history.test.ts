/**
 * Execution history in the tenant's Durable Object: its own SQL table, each filter the API offers
 * served by an index (checked with EXPLAIN QUERY PLAN), a filtered list one request to the object,
 * and expired rows cleaned up by the object, a bounded number per run.
 */
import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createWorker } from "../../src/adapters/cloudflare.ts";
import type { TenantNamespaceLike } from "../../src/backends/cloudflare/backend.ts";
import { kvCallDriver } from "../../src/backends/cloudflare/kv-calls.ts";
import { historyQuery } from "../../src/backends/cloudflare/sql-history.ts";
import { SqlKeyValue, type SqlStorageLike } from "../../src/backends/cloudflare/sql-kv.ts";
import { EXECUTION_KINDS, ExecutionHistory, type ExecutionStatus, type HistoryQuery } from "../../src/store/history.ts";
import { RecorderPlugin } from "../fixtures/webhook-kit.ts";
import { historySuite } from "../suites/history.suite.ts";
import { BASE, countingEnv, createTenant, tenantStub } from "./kit.ts";

const tenants = (env as { DVP_TENANT: TenantNamespaceLike }).DVP_TENANT;
const DAY = 86_400_000;

interface ObjectState {
  storage: { sql: SqlStorageLike };
}

/** `work` on the tenant object's own SQL storage. */
const inObject = <T>(tenantId: string, work: (sql: SqlStorageLike) => T) =>
  runInDurableObject(
    tenantStub(tenantId) as never,
    (_instance: unknown, state: ObjectState) => work(state.storage.sql),
  );

/** The object's store on a clock `ahead` ms later than the real one. */
const later = (sql: SqlStorageLike, ahead: number) => new SqlKeyValue(sql, { now: () => Date.now() + ahead });

historySuite({ describe, it, expect, runtime: "workerd" }, {
  name: "tenant-object",
  queries: true,
  create: (tenantId) => {
    const stub = tenants.get(tenants.idFromName(tenantId));
    return Promise.resolve({
      driver: kvCallDriver("tenant-object", (call) => stub.kv(call)),
      // Its clean-up, run on a clock past the retention (the alarm runs it on the real one).
      expire: () => inObject(tenantId, (sql) => void later(sql, 31 * DAY).purgeExpired(100_000)),
    });
  },
});

describe("the tenant object's history table", () => {
  // Each filter combination the API offers, and the index that must answer it (its equalities, then the key).
  const cases: [HistoryQuery, string][] = [
    [{}, "PRIMARY KEY (key>? AND key<?)"],
    [{ kind: "hook" }, "INDEX history_kind (kind=? AND key>? AND key<?)"],
    [{ plugin: "alpha" }, "INDEX history_plugin (plugin=? AND key>? AND key<?)"],
    [{ status: "failed" }, "INDEX history_status (status=? AND key>? AND key<?)"],
    [{ kind: "hook", plugin: "alpha" }, "INDEX history_plugin_kind (plugin=? AND kind=? AND key>? AND key<?)"],
    [{ plugin: "alpha", status: "failed" }, "INDEX history_plugin_status (plugin=? AND status=? AND key>? AND key<?)"],
    [{ kind: "hook", status: "failed" }, "INDEX history_kind_status (kind=? AND status=? AND key>? AND key<?)"],
    [
      { kind: "hook", plugin: "alpha", status: "failed" },
      "INDEX history_plugin_kind (plugin=? AND kind=? AND key>? AND key<?)",
    ],
  ];

  it("answers every filter combination from an index range, newest first: no scan, no sort", async () => {
    const tenantId = crypto.randomUUID();
    const plans = await inObject(tenantId, (sql) => {
      new SqlKeyValue(sql); // creates the tables
      return cases.map(([filter]) => {
        const [query, bindings] = historyQuery(`hist:${tenantId}:`, { limit: 50, ...filter }, Date.now());
        return sql.exec(`EXPLAIN QUERY PLAN ${query}`, ...bindings).toArray().map((r) => String(r.detail)).join(" | ");
      });
    });
    // SEARCH: a range of that index, in its order (a SCAN or a TEMP B-TREE for ORDER BY would show).
    expect(plans).toEqual(cases.map(([, index]) => `SEARCH history USING ${index}`));
  });

  it("a query reads only the rows it returns: 1,500 records of another plugin are not read", async () => {
    const tenantId = crypto.randomUUID();
    const stub = tenants.get(tenants.idFromName(tenantId));
    const history = new ExecutionHistory(kvCallDriver("tenant-object", (call) => stub.kv(call)));
    const writes = [];
    for (let i = 0; i < 1_503; i++) {
      const rare = i % 500 === 250;
      const status: ExecutionStatus = rare && i > 1_000 ? "failed" : "succeeded";
      const input = { tenantId, kind: "hook" as const, plugin: rare ? "rare" : "busy", name: "h", status, final: true };
      writes.push(history.keyWrite(history.prepare(input)));
    }
    const [claim, ...rest] = writes;
    await stub.kv({ op: "claimWith", claim: claim!, writes: rest });
    const read = await inObject(tenantId, (sql) =>
      cases.map(([filter]) => {
        const rare = filter.plugin ? { ...filter, plugin: "rare" } : filter;
        const [query, bindings] = historyQuery(`hist:${tenantId}:`, { limit: 5, ...rare }, Date.now());
        const cursor = sql.exec(query, ...bindings) as ReturnType<SqlStorageLike["exec"]> & { rowsRead: number };
        return [cursor.toArray().length, cursor.rowsRead];
      }));
    expect(read.map(([rows]) => rows)).toEqual([5, 5, 3, 1, 3, 1, 1, 1]);
    // Each reads its matches (the limit caps them; all three filters read the plugin's 3 hooks) and
    // at most the index entry that ends the range: never the other plugin's 1,500.
    const extra = read.map(([rows, rowsRead], i) => rowsRead! - (i === 7 ? 3 : rows!));
    expect(extra.every((n) => n === 0 || n === 1)).toBe(true);
  });

  it("keeps the filtered parts as columns: kind, plugin, status and finality from the key and the record", async () => {
    const tenantId = crypto.randomUUID();
    const stub = tenants.get(tenants.idFromName(tenantId));
    const history = new ExecutionHistory(kvCallDriver("tenant-object", (call) => stub.kv(call)));
    const record = await history.record({
      tenantId,
      kind: "task",
      plugin: "beta",
      name: "t",
      status: "timed_out",
      final: false,
    });
    const rows = await inObject(tenantId, (sql) => ({
      history: sql.exec("SELECT at, kind, plugin, status, final, id FROM history").toArray(),
      kv: sql.exec("SELECT key FROM kv").toArray(),
    }));
    expect(rows.kv).toEqual([]);
    expect(rows.history).toEqual([{
      at: Date.parse(record.at),
      kind: "task",
      plugin: "beta",
      status: "timed_out",
      final: 0,
      id: record.id,
    }]);
  });

  it("a filtered list is one request to the object, however many records of other plugins it holds", async () => {
    const rare = new RecorderPlugin("rare");
    const busy = new RecorderPlugin("busy");
    const worker = createWorker({ plugins: () => [rare, busy] });
    const { env: counted, costs } = countingEnv();
    const send = async (request: Request) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(request, counted as never, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    const tenant = await createTenant(send);
    // 1,500 records of another plugin around 2 of this one, committed in one claim.
    const stub = tenants.get(tenants.idFromName(tenant.id));
    const history = new ExecutionHistory(kvCallDriver("tenant-object", (call) => stub.kv(call)));
    const writes = [];
    for (let i = 0; i < 1_502; i++) {
      const plugin = i === 100 || i === 1_400 ? "rare" : "busy";
      writes.push(
        history.keyWrite(
          history.prepare({ tenantId: tenant.id, kind: "hook", plugin, name: "h", status: "succeeded", final: true }),
        ),
      );
    }
    const [claim, ...rest] = writes;
    await stub.kv({ op: "claimWith", claim: claim!, writes: rest });

    costs.reset();
    const res = await send(
      new Request(`${BASE}/v1/tenants/${tenant.id}/executions?plugin=rare&status=succeeded&kind=hook`, {
        headers: { authorization: `Bearer ${tenant.token}` },
      }),
    );
    expect(res.status).toBe(200);
    const body = await res.json() as { executions: { plugin: string }[] };
    expect(body.executions.map((e) => e.plugin)).toEqual(["rare", "rare"]);
    expect(costs.objectRequests).toBe(1);
  });

  it("cleans up expired rows a bounded number per run, history and key-value rows alike", async () => {
    const tenantId = crypto.randomUUID();
    const stub = tenants.get(tenants.idFromName(tenantId));
    const history = new ExecutionHistory(kvCallDriver("tenant-object", (call) => stub.kv(call)), { retentionDays: 1 });
    for (let i = 0; i < 30; i++) {
      await history.record({
        tenantId,
        kind: EXECUTION_KINDS[i % 3]!,
        plugin: "alpha",
        name: "n",
        status: "succeeded",
        final: true,
      });
    }
    await stub.kv({ op: "put", key: `evt:${tenantId}:e1`, value: "{}", ttlSeconds: 3_600 });
    await stub.kv({ op: "put", key: `evt:${tenantId}:kept`, value: "{}" });
    const counts = await inObject(tenantId, (sql) => {
      const store = later(sql, 2 * DAY);
      const count = () => ({
        history: Number(sql.exec("SELECT COUNT(*) AS n FROM history").toArray()[0]!.n),
        kv: Number(sql.exec("SELECT COUNT(*) AS n FROM kv").toArray()[0]!.n),
      });
      const before = count();
      const nextExpiry = new SqlKeyValue(sql).nextExpiry();
      const runs: number[] = [];
      const soon: boolean[] = []; // whether the next clean-up comes soon (a minute), not in a day
      for (let i = 0; i < 3; i++) {
        runs.push(store.purgeExpired(20));
        soon.push(store.nextPurgeAt(0)! === 60_000);
      }
      return { before, runs, soon, after: count(), nextExpiry, nextAfter: store.nextExpiry() };
    });
    expect(counts.before).toEqual({ history: 30, kv: 2 });
    expect(counts.runs).toEqual([20, 11, 0]); // at most 20 per run
    expect(counts.soon).toEqual([true, false, false]); // soon again while a run stopped at its bound
    expect(counts.after).toEqual({ history: 0, kv: 1 });
    expect(counts.nextExpiry! - Date.now()).toBeLessThanOrEqual(3_600_000); // the event, before the history's day
    expect(counts.nextAfter).toBeNull();
  });

  it("history rows an earlier version kept in the kv table move to the history table", async () => {
    const tenantId = crypto.randomUUID();
    const key = `hist:${tenantId}:0000000000001:task:beta:r1`;
    const record = JSON.stringify({ id: "r1", status: "failed", final: true });
    const after = await inObject(tenantId, (sql) => {
      new SqlKeyValue(sql);
      sql.exec("INSERT INTO kv (key, value, expires) VALUES (?, ?, ?)", key, record, Date.now() + DAY);
      const store = new SqlKeyValue(sql); // the next instance
      return {
        kv: sql.exec("SELECT key FROM kv").toArray(),
        listed: store.queryHistory(`hist:${tenantId}:`, { plugin: "beta", status: "failed", limit: 5 }),
        expires: Number(sql.exec("SELECT expires FROM history").toArray()[0]!.expires) > Date.now(),
      };
    });
    expect(after).toEqual({ kv: [], listed: [{ key, value: record }], expires: true });
  });

  it("the object's alarm deletes expired history rows itself", async () => {
    const tenantId = crypto.randomUUID();
    const stub = tenantStub(tenantId);
    const key = `hist:${tenantId}:0000000000001:hook:alpha:r1`;
    const left = await runInDurableObject(stub as never, async (
      _instance: unknown,
      state: ObjectState & {
        storage: { setAlarm(at: number): Promise<void> };
      },
    ) => {
      // Written two days ago with a day's retention: expired a day ago.
      new SqlKeyValue(state.storage.sql, { now: () => Date.now() - 2 * DAY }).put(key, "{}", { ttlSeconds: 86_400 });
      await state.storage.setAlarm(Date.now() + 3_600_000); // run now below, as if that hour had passed
      return Number(state.storage.sql.exec("SELECT COUNT(*) AS n FROM history").toArray()[0]!.n);
    });
    expect(left).toBe(1);
    expect(await runDurableObjectAlarm(stub as never)).toBe(true);
    expect(await inObject(tenantId, (sql) => sql.exec("SELECT key FROM history").toArray())).toEqual([]);
  });
});
