/**
 * Execution-history queries, one set of expectations on every store: memory on Node, the tenant's
 * Durable Object in workerd (its history table, one query per list) and Deno KV under `deno test`
 * (the key scan). Kind, plugin and status filter alone and together, newest first, the limit,
 * a plugin with few records among many, records committed by a claim (the ledger), retention.
 */
import type { KVDriver } from "../../src/entries/drivers.ts";
import {
  EXECUTION_KINDS,
  EXECUTION_STATUSES,
  ExecutionHistory,
  type ExecutionKind,
  type ExecutionRecord,
  type ExecutionStatus,
  type HistoryQuery,
} from "../../src/store/history.ts";
import type { Harness } from "./harness.ts";

export interface HistoryStoreUnderTest {
  name: string;
  /** A store (each test uses its own tenant) and how to put everything written so far past its retention. */
  create(tenantId: string): Promise<{ driver: KVDriver; expire(): Promise<void> }>;
  /** Whether the store answers a list with one query (`queryHistory`) rather than a key scan. */
  queries: boolean;
}

const PLUGINS = ["alpha", "beta", "gamma"] as const;

export function historySuite(h: Harness, target: HistoryStoreUnderTest): void {
  const { describe, it, expect } = h;

  const setup = async () => {
    const tenantId = crypto.randomUUID();
    const { driver, expire } = await target.create(tenantId);
    let time = Date.UTC(2026, 5, 1);
    // Each record a millisecond after the last: the key's inverted time orders them newest first.
    const history = new ExecutionHistory(driver, { now: () => (time += 1) });
    const write = (kind: ExecutionKind, plugin: string, status: ExecutionStatus, name = "n") =>
      history.record({ tenantId, kind, plugin, name, status, final: status !== "retrying" });
    return { tenantId, driver, history, write, expire };
  };
  const ids = (records: ExecutionRecord[]) => records.map((r) => r.id);
  const newestFirst = (records: ExecutionRecord[]) => [...records].reverse();
  const matches = (r: ExecutionRecord, q: HistoryQuery) =>
    (!q.kind || r.kind === q.kind) && (!q.plugin || r.plugin === q.plugin) && (!q.status || r.status === q.status);

  describe(`execution history queries: ${target.name} on ${h.runtime}`, () => {
    it("states whether it answers with one query or scans keys", async () => {
      const { driver } = await setup();
      expect(driver.queryHistory !== undefined).toBe(target.queries);
    });

    it("lists newest first, at most the limit, 50 by default", async () => {
      const { tenantId, history, write } = await setup();
      const written: ExecutionRecord[] = [];
      for (let i = 0; i < 60; i++) written.push(await write("hook", PLUGINS[i % 3]!, "succeeded"));
      expect(ids(await history.list(tenantId))).toEqual(ids(newestFirst(written)).slice(0, 50));
      expect(ids(await history.list(tenantId, { limit: 7 }))).toEqual(ids(newestFirst(written)).slice(0, 7));
      expect(await history.list(crypto.randomUUID())).toEqual([]);
    });

    it("filters by kind, plugin and status, alone and together, newest first", async () => {
      const { tenantId, history, write } = await setup();
      const written: ExecutionRecord[] = [];
      // Every (kind, plugin, status) twice, in an order that mixes them.
      for (let round = 0; round < 2; round++) {
        for (const status of EXECUTION_STATUSES) {
          for (const plugin of PLUGINS) {
            for (const kind of EXECUTION_KINDS) written.push(await write(kind, plugin, status));
          }
        }
      }
      for (const kind of [undefined, ...EXECUTION_KINDS]) {
        for (const plugin of [undefined, ...PLUGINS, "absent"]) {
          for (const status of [undefined, ...EXECUTION_STATUSES]) {
            const query: HistoryQuery = { limit: 500, kind, plugin, status };
            const expected = ids(newestFirst(written).filter((r) => matches(r, query)));
            expect({ query, got: ids(await history.list(tenantId, query)) }).toEqual({ query, got: expected });
          }
        }
      }
      // The limit applies after the filters.
      const failedBeta = newestFirst(written).filter((r) => r.plugin === "beta" && r.status === "failed");
      expect(ids(await history.list(tenantId, { plugin: "beta", status: "failed", limit: 2 })))
        .toEqual(ids(failedBeta).slice(0, 2));
    });

    it("pages older with the cursor of the page before, filters kept, until a page is not full", async () => {
      const { tenantId, history, write } = await setup();
      const written: ExecutionRecord[] = [];
      for (let i = 0; i < 23; i++) {
        written.push(await write(i % 2 ? "task" : "hook", PLUGINS[i % 3]!, i % 4 ? "succeeded" : "failed"));
      }
      for (const query of [{}, { kind: "hook" as const }, { plugin: "beta", status: "succeeded" as const }]) {
        const pages: string[][] = [];
        let before: string | undefined;
        do {
          const page = await history.page(tenantId, { ...query, limit: 4, ...(before ? { before } : {}) });
          pages.push(ids(page.records));
          before = page.next ?? undefined;
          if (page.records.length < 4) expect(page.next).toBeNull();
        } while (before && pages.length < 20);
        const expected = ids(newestFirst(written).filter((r) => matches(r, query)));
        expect({ query, pages: pages.flat() }).toEqual({ query, pages: expected });
        expect(pages.slice(0, -1).every((p) => p.length === 4)).toBe(true);
      }
    });

    it("finds a plugin's few records among a thousand of others", async () => {
      const { tenantId, history, write } = await setup();
      const rare: ExecutionRecord[] = [];
      for (let i = 0; i < 1_000; i++) {
        if (i % 400 === 7) rare.push(await write("hook", "rare", i === 7 ? "failed" : "succeeded"));
        await write(i % 2 ? "task" : "hook", "busy", "succeeded");
      }
      expect(ids(await history.list(tenantId, { plugin: "rare" }))).toEqual(ids(newestFirst(rare)));
      expect(ids(await history.list(tenantId, { plugin: "rare", status: "failed" }))).toEqual([rare[0]!.id]);
      expect(ids(await history.list(tenantId, { status: "failed" }))).toEqual([rare[0]!.id]);
    });

    it("lists a record committed with a claim (the ledger's final record) and a rewritten one once", async () => {
      const { tenantId, driver, history, write } = await setup();
      const prepared = history.prepare({
        tenantId,
        kind: "hook",
        plugin: "alpha",
        name: "h",
        status: "failed",
        final: true,
      });
      if (driver.claimWith) {
        expect(await driver.claimWith({ key: `evdone:${tenantId}:e1:alpha`, value: "1" }, [history.keyWrite(prepared)]))
          .toBe(true);
      } else {
        await history.write(prepared);
      }
      await history.write(prepared); // a retry writes the same record again
      const later = await write("task", "alpha", "succeeded");
      expect(ids(await history.list(tenantId, { plugin: "alpha" }))).toEqual([later.id, prepared.record.id]);
      expect(await history.list(tenantId, { status: "failed" })).toEqual([prepared.record]);
    });

    it("keeps records for the retention, then none are listed by any filter", async () => {
      const { tenantId, history, write, expire } = await setup();
      for (const status of EXECUTION_STATUSES) await write("task", "alpha", status);
      expect(await history.list(tenantId)).toHaveLength(EXECUTION_STATUSES.length);
      await expire();
      expect(await history.list(tenantId)).toEqual([]);
      expect(await history.list(tenantId, { plugin: "alpha", status: "failed" })).toEqual([]);
      expect(await history.list(tenantId, { kind: "task" })).toEqual([]);
    });
  });
}
