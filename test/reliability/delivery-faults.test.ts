/**
 * Deliveries that repeat: a queue redelivering the same message (sequentially, concurrently, in
 * two isolates at once) and a CMS sending the same webhook-id again, concurrently, to two
 * isolates. The invariant at risk: exactly one 202 per webhook-id, and exactly one final record
 * per (event, plugin), however often and wherever the event was delivered.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createFakeClock } from "../../src/testing/clock.ts";
import { CountingPlugin, ThrowingPlugin } from "./plugins.ts";
import { Rig, START } from "./rig.ts";
import { createTestQueue, type TestQueue } from "./test-queue.ts";

let rigs: Rig[] = [];
afterEach(() => {
  for (const r of rigs) r.expectNoSecretLeak();
  rigs = [];
});

/** Two isolates of one deployment: one store, one clock, one queue; separate caches and plugin instances. */
function twoIsolates(queue?: TestQueue) {
  const clock = createFakeClock(START);
  const a = { good: new CountingPlugin("good"), flaky: new ThrowingPlugin("flaky", 0) };
  const b = { good: new CountingPlugin("good"), flaky: new ThrowingPlugin("flaky", 0) };
  const first = new Rig({ plugins: () => [a.good, a.flaky], clock, ...(queue ? { queue } : {}) });
  const second = new Rig({
    plugins: () => [b.good, b.flaky],
    clock,
    driver: first.driver,
    ...(queue ? { queue } : {}),
  });
  rigs = [first, second];
  const calls = (name: "good" | "flaky") => {
    const total = new Map<string, number>();
    for (const m of [a[name].calls, b[name].calls]) for (const [k, n] of m) total.set(k, (total.get(k) ?? 0) + n);
    return total;
  };
  return { clock, first, second, a, b, calls };
}

describe("redelivery and duplicates", () => {
  it("queue: every message delivered 4× at once across two isolates → one final record per plugin", async () => {
    const queue = createTestQueue();
    const t = twoIsolates(queue);
    const tenant = await t.first.tenant(["good", "flaky"]);
    t.a.flaky.failures = t.b.flaky.failures = 3; // some first attempts fail and are retried
    for (let i = 0; i < 20; i++) expect((await t.first.send(tenant)).status).toBe(202);
    const outcomes = await queue.deliver([t.first.runtime, t.second.runtime], 2);
    expect(queue.sent).toHaveLength(40); // one message per (event, plugin)
    expect(outcomes).toHaveLength(160);
    for (let round = 0; round < 6 && queue.pending.length; round++) {
      t.clock.advance(10 * 60_000);
      await queue.deliver([t.first.runtime, t.second.runtime], 2);
    }
    expect(queue.pending).toHaveLength(0);
    const byStatus = await t.first.expectEventInvariant([tenant]);
    expect(byStatus).toEqual({ succeeded: 40 });
    // Records are effectively-once; the plugin itself is at-least-once: two isolates that receive
    // the same message at the same moment may both run it before either has written its done-key.
    for (const n of t.calls("good").values()) expect([1, 2]).toContain(n);
  });

  it("queue: sequential redeliveries of a finished event run nothing again", async () => {
    const queue = createTestQueue();
    const t = twoIsolates(queue);
    const tenant = await t.first.tenant(["good", "flaky"]);
    for (let i = 0; i < 10; i++) await t.first.send(tenant);
    const messages = [...queue.sent];
    await t.first.drain();
    for (const m of messages) {
      expect(await t.second.runtime.consume([m])).toEqual([{ ack: true }]);
      expect(await t.first.runtime.consume([m])).toEqual([{ ack: true }]);
    }
    await t.first.expectEventInvariant([tenant]);
    expect([...t.calls("good").values()].every((n) => n === 1)).toBe(true);
    expect([...t.calls("flaky").values()].every((n) => n === 1)).toBe(true);
  });

  for (const mode of ["inbox", "queue"] as const) {
    it(`${mode}: one webhook-id sent 16× concurrently to two isolates → exactly one 202, the rest 200 duplicate`, async () => {
      const queue = mode === "queue" ? createTestQueue() : undefined;
      const t = twoIsolates(queue);
      const tenant = await t.first.tenant(["good", "flaky"]);
      for (let n = 0; n < 10; n++) {
        const id = `msg_dup_${n}`;
        const results = await Promise.all(
          Array.from({ length: 16 }, (_, i) => (i % 2 ? t.second : t.first).send(tenant, { id })),
        );
        const statuses = results.map((r) => r.status).sort();
        expect(statuses.filter((s) => s === 202), statuses.join()).toHaveLength(1);
        expect(statuses.filter((s) => s === 200)).toHaveLength(15);
        for (const r of results.filter((r) => r.status === 200)) {
          expect(JSON.parse(r.body)).toEqual({ id, status: "duplicate" });
        }
      }
      // The second isolate's answers count too: merge them into the first rig's bookkeeping.
      for (const [tenantId, events] of t.second.accepted) {
        for (const [id, plugins] of events) {
          if (!t.first.accepted.get(tenantId)?.has(id)) t.first.accepted.get(tenantId)!.set(id, plugins);
        }
      }
      await t.second.settle();
      await t.first.drain(12, [t.second]);
      await t.first.expectEventInvariant([tenant]);
      if (mode === "inbox") expect([...t.calls("good").values()].every((n) => n === 1)).toBe(true);
    });
  }
});
