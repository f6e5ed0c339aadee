/**
 * Storage faults: KV reads and writes that fail (before or after taking effect) or are slow, and a
 * queue binding that refuses. The invariants at risk: a webhook that could not be made durable is
 * answered 5xx (so the sender retries), and every webhook answered 2xx ends with exactly one
 * final record per plugin, once the faults lift and the sweeps or redeliveries ran.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CountingPlugin, ThrowingPlugin } from "./plugins.ts";
import type { Fault, KVOp } from "./faulty-driver.ts";
import { Rig, type TenantHandle } from "./rig.ts";
import { createTestQueue } from "./test-queue.ts";

let rig: Rig;
afterEach(() => rig?.expectNoSecretLeak());

async function expect5xx(result: { status: number; body: string }) {
  expect(result.status).toBeGreaterThanOrEqual(500);
  const problem = JSON.parse(result.body) as { status: number; title: string };
  expect(problem.status).toBe(result.status);
  expect(typeof problem.title).toBe("string");
}

/** The sender's side of Standard Webhooks: retry the same webhook-id until any 2xx. */
async function deliverWithRetries(r: Rig, tenant: TenantHandle, id: string, tries = 20): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < tries; i++) {
    const { status } = await r.send(tenant, { id });
    statuses.push(status);
    if (status < 300) return statuses;
    expect(status).toBeGreaterThanOrEqual(500); // only "retry later" answers may be retried
  }
  throw new Error(`webhook ${id} was never accepted: ${statuses.join(",")}`);
}

describe("storage faults", () => {
  for (const mode of ["inbox", "queue"] as const) {
    const queueOpt = () => (mode === "queue" ? { queue: createTestQueue() } : {});

    it(`${mode}: the event write fails → 503; the sender's retry is accepted and dispatched once`, async () => {
      const counter = new CountingPlugin();
      rig = new Rig({ plugins: () => [counter], ...queueOpt() });
      const tenant = await rig.tenant(["counter"]);
      rig.driver.inject({ ops: ["put", "putIfAbsent"], key: /^(evt|inbox):/, error: "KV write failed", times: 1 });
      const first = await rig.send(tenant, { id: "msg_a" });
      await expect5xx(first);
      expect(first.body).toContain("not-durable");
      expect((await rig.send(tenant, { id: "msg_a" })).status).toBe(202);
      await rig.drain();
      await rig.expectEventInvariant([tenant]);
      expect([...counter.calls.values()]).toEqual([1]);
    });

    it(`${mode}: the tenant read fails on a cold cache → 5xx problem, nothing recorded`, async () => {
      const counter = new CountingPlugin();
      rig = new Rig({ plugins: () => [counter], ...queueOpt() });
      const tenant = await rig.tenant(["counter"]);
      rig.kernel.tenants.invalidate();
      rig.driver.inject({ ops: ["get"], key: /^tenant:/, error: "KV read failed", times: 1 });
      const refused = await rig.send(tenant, { id: "msg_b" });
      expect(refused.status).toBe(503); // "retry later"
      await expect5xx(refused);
      await deliverWithRetries(rig, tenant, "msg_b");
      await rig.drain();
      await rig.expectEventInvariant([tenant]);
    });

    it(`${mode}: ambiguous writes (committed, answer lost) never lose an event the sender saw 2xx for`, async () => {
      const counter = new CountingPlugin();
      rig = new Rig({ plugins: () => [counter], ...queueOpt() });
      const tenant = await rig.tenant(["counter"]);
      for (const op of ["put", "putIfAbsent"] as KVOp[]) {
        for (const prefix of ["evt", "inbox"]) {
          const id = `msg_${op}_${prefix}`;
          rig.driver.inject({ ops: [op], key: new RegExp(`^${prefix}:`), error: "timeout", after: true, times: 1 });
          await deliverWithRetries(rig, tenant, id);
          rig.driver.clear();
        }
      }
      await rig.drain();
      await rig.expectEventInvariant([tenant]);
      expect(counter.repeated()).toEqual([]);
    });

    it(`${mode}: dispatch-side writes and reads fail at random (30%), then heal: one final record per plugin`, async () => {
      const good = new CountingPlugin("good");
      const flaky = new ThrowingPlugin("flaky", 7);
      rig = new Rig({ plugins: () => [good, flaky], ...queueOpt(), seed: 42 });
      const tenants = [await rig.tenant(["good", "flaky"]), await rig.tenant(["good"])];
      const storm: Fault = rig.driver.inject({
        ops: ["put", "putIfAbsent", "getMany", "delete"],
        key: /^(evdone|evtry|hist):/,
        error: "KV unavailable",
        probability: 0.3,
      });
      for (let i = 0; i < 40; i++) expect((await rig.send(tenants[i % 2]!)).status).toBe(202);
      await rig.drain(4);
      rig.driver.remove(storm);
      await rig.drain(20);
      expect(rig.driver.stats.injected).toBeGreaterThan(10);
      const byStatus = await rig.expectEventInvariant(tenants);
      expect(byStatus.succeeded).toBeGreaterThanOrEqual(55);
    });

    for (const after of [false, true]) {
      // Failing: no compensating delete can help, as every delete of a done-key fails too.
      // Committed but reported failed: undoing the done-key would let the plugin run again.
      const how = after ? "commits but reports a failure" : "fails, and deletes fail too";
      it(`${mode}: the final record's write ${how}: one record, the plugin ran once`, async () => {
        const counter = new CountingPlugin();
        rig = new Rig({ plugins: () => [counter], ...queueOpt() });
        const tenant = await rig.tenant(["counter"]);
        if (!after) rig.driver.inject({ ops: ["delete"], key: /^evdone:/, error: "KV delete failed" });
        const recordWrite = rig.driver.inject({
          ops: ["put"],
          key: /^hist:/,
          error: "KV write failed",
          after,
          times: 1,
        });
        expect((await rig.send(tenant, { id: `msg_final_${after}` })).status).toBe(202);
        await rig.drain();
        expect(recordWrite.times).toBe(0); // the fault was hit
        await rig.expectEventInvariant([tenant]);
        expect([...counter.calls.values()]).toEqual([1]);
        expect(counter.repeated()).toEqual([]);
      });
    }

    it(`${mode}: slow KV (every operation 1–15 ms) under 100 concurrent webhooks`, async () => {
      const a = new CountingPlugin("a");
      const b = new CountingPlugin("b");
      rig = new Rig({ plugins: () => [a, b], ...queueOpt() });
      const tenants = await Promise.all([rig.tenant(["a", "b"]), rig.tenant(["a"]), rig.tenant(["b"])]);
      for (let ms = 1; ms <= 15; ms += 7) {
        rig.driver.inject({
          ops: ["get", "getMany", "put", "putIfAbsent", "delete", "list"],
          delayMs: ms,
          probability: 0.5,
        });
      }
      rig.kernel.tenants.invalidate();
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => rig.send(tenants[i % 3]!)));
      expect(results.every((r) => r.status === 202)).toBe(true);
      await rig.drain();
      const byStatus = await rig.expectEventInvariant(tenants);
      expect(byStatus).toEqual({ succeeded: 34 + 33 + 33 + 34 });
      expect([...a.repeated(), ...b.repeated()]).toEqual([]);
    });
  }

  it("queue: the queue binding refuses → 503, the claim is released, the retry is accepted", async () => {
    const counter = new CountingPlugin();
    const queue = createTestQueue();
    rig = new Rig({ plugins: () => [counter], queue });
    const tenant = await rig.tenant(["counter"]);
    queue.down = true;
    await expect5xx(await rig.send(tenant, { id: "msg_q" }));
    queue.down = false;
    expect((await rig.send(tenant, { id: "msg_q" })).status).toBe(202);
    await rig.drain();
    await rig.expectEventInvariant([tenant]);
    expect(queue.sent).toHaveLength(1);
  });
});
