/**
 * Faults inside plugins: a hook that throws, hangs, or hands back garbage. The invariant at risk:
 * the publish flow never breaks (202 regardless), the other plugins still run once, and every
 * (event, plugin) ends in exactly one final record, after the retries the pipeline allows.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CountingPlugin, GARBAGE, GarbagePlugin, HangingPlugin, ThrowingPlugin } from "./plugins.ts";
import { Rig } from "./rig.ts";
import { createTestQueue } from "./test-queue.ts";

let rig: Rig;
afterEach(() => rig?.expectNoSecretLeak());

describe("plugin faults", () => {
  for (const mode of ["inbox", "queue"] as const) {
    it(`${mode}: throwing and hanging plugins end failed/timed_out after 3 attempts; the good one runs once`, async () => {
      const good = new CountingPlugin("good");
      const thrower = new ThrowingPlugin("thrower");
      const flaky = new ThrowingPlugin("flaky", 1);
      const hanger = new HangingPlugin("hanger");
      rig = new Rig({
        plugins: () => [good, thrower, flaky, hanger],
        ...(mode === "queue" ? { queue: createTestQueue() } : {}),
      });
      const tenant = await rig.tenant(["good", "thrower", "flaky", "hanger"]);
      for (let i = 0; i < 5; i++) expect((await rig.send(tenant)).status).toBe(202);
      await rig.drain();

      const byStatus = await rig.expectEventInvariant([tenant]);
      expect(byStatus).toEqual({ succeeded: 10, failed: 5, timed_out: 5 });
      expect(good.repeated()).toEqual([]);
      expect([...good.calls.values()]).toEqual([1, 1, 1, 1, 1]);
      expect([...thrower.calls.values()]).toEqual([3, 3, 3, 3, 3]); // maxAttempts
      const records = await rig.records(tenant.id);
      const failed = records.find((r) => r.plugin === "thrower" && r.final)!;
      expect(failed).toMatchObject({ status: "failed", attempt: 3 });
      expect(failed.error).toContain("upstream exploded");
      // Each failure was logged with tenant, plugin and correlation fields.
      expect(rig.logs.find({ level: "error", plugin: "thrower", tenantId: tenant.id }).length).toBeGreaterThan(0);
    });
  }

  it("garbage returned from an action hook is a failed attempt, never a broken dispatch", async () => {
    const good = new CountingPlugin("good");
    const kinds = Object.keys(GARBAGE) as (keyof typeof GARBAGE)[];
    const garbage = kinds.map((kind, i) => new GarbagePlugin(`garbage-${i}`, kind));
    rig = new Rig({ plugins: () => [good, ...garbage] });
    const tenant = await rig.tenant(["good", ...garbage.map((g) => g.name)]);
    for (let i = 0; i < 3; i++) expect((await rig.send(tenant)).status).toBe(202);
    await rig.drain();
    await rig.expectEventInvariant([tenant]);
    expect([...good.calls.values()]).toEqual([1, 1, 1]);
    const finals = (await rig.records(tenant.id)).filter((r) => r.final);
    const statusOf = (kind: string) =>
      new Set(finals.filter((r) => r.plugin === `garbage-${kinds.indexOf(kind as never)}`).map((r) => r.status));
    // A plain value is an acceptable return (the hook's result is ignored); a failure is recorded as one.
    for (const kind of ["number", "string", "circular object", "bigint"]) {
      expect(statusOf(kind), kind).toEqual(new Set(["succeeded"]));
    }
    for (
      const kind of ["rejects with undefined", "rejects with a non-error", "throws null", "thenable whose then throws"]
    ) {
      expect(statusOf(kind), kind).toEqual(new Set(["failed"]));
    }
    expect(statusOf("thenable that never calls back")).toEqual(new Set(["timed_out"]));
    for (const kind of ["then getter that throws", "proxy that throws on every access"]) {
      expect(statusOf(kind), kind).toEqual(new Set(["failed"]));
    }
  });

  it("a plugin failing on every webhook of a burst does not delay the accepts", async () => {
    const thrower = new ThrowingPlugin("thrower");
    const hanger = new HangingPlugin("hanger");
    hanger.hookTimeoutMs = 200;
    rig = new Rig({ plugins: () => [thrower, hanger] });
    const tenant = await rig.tenant(["thrower", "hanger"]);
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 50 }, () => rig.send(tenant)));
    const elapsed = performance.now() - started;
    expect(results.every((r) => r.status === 202)).toBe(true);
    // Accepting is independent of dispatch: 50 accepts finish before one hook timeout would.
    expect(elapsed).toBeLessThan(hanger.hookTimeoutMs * 5);
    // Two retry sweeps of 50 events, each waiting out the 200 ms limit: side by side they take
    // about a second; one after another they took 20 s (and a scheduled invocation is cut off).
    const drainStart = performance.now();
    await rig.drain();
    expect(performance.now() - drainStart).toBeLessThan(5_000);
    const byStatus = await rig.expectEventInvariant([tenant]);
    expect(byStatus).toEqual({ failed: 50, timed_out: 50 });
  });
});
