/**
 * The run lock of a scheduled job: taken over from a run whose lease ran out, exactly one of two
 * ticks holds it; taken by a late invocation, its lease runs from the real clock.
 */
import { expect, it } from "vitest";
import { createKernel, createScheduler } from "../../src/entries/runtime.ts";
import { Plugin } from "../../src/index.ts";
import { type JobState, JobStore } from "../../src/scheduler/state.ts";
import { schedKeys } from "../../src/scheduler/keys.ts";
import { createMemoryDriver } from "../../src/backends/memory.ts";
import type { KVDriver } from "../../src/store/driver.ts";

it("two ticks taking over an expired lock at once: one holds it, the other does not", async () => {
  const driver = createMemoryDriver();
  const state = { tenantId: "11111111-1111-4111-8111-111111111111", jobId: "p.task" } as JobState;
  const key = schedKeys.lock(state.tenantId, state.jobId);
  await driver.put(key, JSON.stringify({ executionId: "dead-run", until: 1_000 }));
  // Tick B reads the expired lock before tick A takes it over, and acts only after A has.
  let aTookIt!: () => void;
  const aFinished = new Promise<void>((resolve) => (aTookIt = resolve));
  const slowB: KVDriver = Object.assign(Object.create(driver), {
    get: async (k: string) => {
      const value = await driver.get(k);
      await aFinished;
      return value;
    },
  });
  const a = new JobStore(driver);
  const b = new JobStore(slowB);
  const bTaking = b.lock(state, "run-b", 5_000, 65_000);
  const aHeld = await a.lock(state, "run-a", 5_000, 65_000);
  aTookIt();
  const bHeld = await bTaking;
  expect([aHeld, bHeld]).toEqual([true, false]);
  expect(JSON.parse((await driver.get(key))!)).toMatchObject({ executionId: "run-a" });
});

it("a run that outlived its lease cannot free the lock of the run that took it over (A/B/C)", async () => {
  // Three invocations of one job on the atomic memory driver, each with its own store (isolate).
  const driver = createMemoryDriver();
  const state = { tenantId: "11111111-1111-4111-8111-111111111111", jobId: "p.task" } as JobState;
  const [a, b, c] = [new JobStore(driver), new JobStore(driver), new JobStore(driver)];
  expect(await a.lock(state, "run-a", 0, 60_000)).toBe(true);
  // A outlives its lease; B takes the lock over.
  expect(await b.lock(state, "run-b", 70_000, 130_000)).toBe(true);
  // A finishes late and releases "its" lock: it is B's now, so nothing is freed.
  const releasedByA = await a.unlock(state, "run-a");
  expect(JSON.parse((await driver.get(schedKeys.lock(state.tenantId, state.jobId)))!)).toMatchObject({
    executionId: "run-b",
  });
  // C, a minute later, finds B still running and does not start beside it.
  expect(await c.lock(state, "run-c", 71_000, 131_000)).toBe(false);
  // B releases its own lock; then C may run.
  expect(await b.unlock(state, "run-b")).toBe(true);
  expect(await c.lock(state, "run-c", 72_000, 132_000)).toBe(true);
  expect(releasedByA).toBe(false);
});

it("a tick that starts late (its time minutes behind the clock) still gets its whole lease", async () => {
  let release!: () => void;
  const running = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const inside = new Promise<void>((resolve) => (started = resolve));
  class Slow extends Plugin {
    readonly name = "slow";
    readonly version = "1.0.0";
    registerScheduledTasks() {
      return [{ taskId: "slow.job", name: "Job", schedule: { cronExpression: "* * * * *" }, timeoutSeconds: 60 }];
    }
    async executeScheduledTask() {
      started();
      await running;
      return { success: true };
    }
  }
  let clock = Date.parse("2026-11-24T06:00:30Z");
  const kernel = createKernel({ plugins: [new Slow()], now: () => clock, log: { level: "error" } });
  const scheduler = createScheduler(kernel);
  const tenant = "11111111-1111-4111-8111-111111111111";
  await kernel.putTenant(tenant, { slug: "late", plan: "pro" });
  await kernel.enable(tenant, "slow");
  clock = Date.parse("2026-11-24T06:11:00Z"); // the invocation for 06:01 starts ten minutes late
  const ticking = scheduler.tick(new Date("2026-11-24T06:01:00Z"));
  await inside; // the run holds its lock now
  const lock = JSON.parse((await kernel.driver.get(schedKeys.lock(tenant, "slow.job")))!) as { until: number };
  expect(lock.until).toBeGreaterThanOrEqual(clock + 60_000); // from the real clock, not from 06:01
  const slot = Date.parse("2026-11-24T06:01:00Z");
  const claim = JSON.parse((await kernel.driver.get(schedKeys.claim(tenant, "slow.job", slot, 1)))!) as { at: number };
  expect(claim.at).toBe(clock); // so is its claim: a concurrent tick does not take it for a dead one
  release();
  await ticking;
});

it("a missed slot's record that fails to write leaves the run's own record and its lock alone", async () => {
  class Five extends Plugin {
    readonly name = "five";
    readonly version = "1.0.0";
    runs: string[] = [];
    registerScheduledTasks() {
      return [{ taskId: "five.job", name: "Job", schedule: { cronExpression: "*/5 * * * *" } }];
    }
    executeScheduledTask(_t: unknown, _c: unknown, exec: { scheduledTime: Date }) {
      this.runs.push(exec.scheduledTime.toISOString());
      return Promise.resolve({ success: true });
    }
  }
  const plugin = new Five();
  let clock = Date.parse("2026-11-24T06:00:30Z");
  const inner = createMemoryDriver({ now: () => clock });
  let failMissed = true;
  const driver: KVDriver = Object.assign(Object.create(inner), {
    put: (key: string, value: string, options?: { ttlSeconds?: number }) => {
      if (failMissed && key.startsWith("hist:") && value.includes("missed (no tick came in time)")) {
        failMissed = false;
        return Promise.reject(new Error("KV 503"));
      }
      return inner.put(key, value, options);
    },
  });
  const kernel = createKernel({ driver, plugins: [plugin], now: () => clock, log: { level: "error", sink: () => {} } });
  const scheduler = createScheduler(kernel);
  const tenant = "11111111-1111-4111-8111-111111111111";
  await kernel.putTenant(tenant, { slug: "missed", plan: "pro" });
  await kernel.enable(tenant, "five");
  clock = Date.parse("2026-11-24T06:20:10Z"); // 06:05, 06:10 and 06:15 were missed
  await scheduler.tick(new Date(clock));
  clock = Date.parse("2026-11-24T06:25:10Z");
  await scheduler.tick(new Date(clock));
  expect(plugin.runs).toEqual(["2026-11-24T06:20:00.000Z", "2026-11-24T06:25:00.000Z"]);
  const records = await kernel.history.list(tenant, { kind: "task" });
  const finals = records.filter((r) => r.final).map((r) => `${r.scheduledTime} ${r.status}`).sort();
  expect(finals).toEqual([
    "2026-11-24T06:10:00.000Z skipped",
    "2026-11-24T06:15:00.000Z skipped",
    "2026-11-24T06:20:00.000Z succeeded",
    "2026-11-24T06:25:00.000Z succeeded",
  ]); // 06:05's record was the one that failed: claimed, so never written twice
});
