import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createKernel, createScheduler, type ExecutionRecord, type Kernel } from "../../src/entries/runtime.ts";
import type { WorkMessage } from "../../src/queue.ts";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import {
  Plugin,
  type ScheduledTaskDefinition,
  type ScheduledTaskHooks,
  type TaskExecutionContext,
  type TaskResult,
} from "../../src/index.ts";
import { schedulerSuite } from "../suites/scheduler.suite.ts";

// The memory driver's expiry follows the test's clock.
schedulerSuite({ describe, it, expect, runtime: "node" }, { driver: (now) => createMemoryDriver({ now }) });

const TENANT = "77777777-7777-4777-8777-777777777777";

class Coin extends Plugin implements ScheduledTaskHooks {
  readonly name = "coin";
  readonly version = "1.0.0";
  runs: { slot: string; attempt: number }[] = [];
  outcomes: boolean[] = [];
  running = 0;
  overlapped = false;
  registerScheduledTasks(): ScheduledTaskDefinition[] {
    return [{
      taskId: "coin.flip",
      name: "Flip",
      schedule: { cronExpression: "*/5 * * * *" },
      maxRetries: 2,
      timeoutSeconds: 900,
    }];
  }
  async executeScheduledTask(_t: ScheduledTaskDefinition, _c: unknown, e: TaskExecutionContext): Promise<TaskResult> {
    if (this.running++) this.overlapped = true;
    this.runs.push({ slot: e.scheduledTime.toISOString(), attempt: e.attempt });
    await new Promise((resolve) => setTimeout(resolve, 1)); // long enough for a tick to start meanwhile
    this.running--;
    return { success: this.outcomes.shift() ?? true };
  }
}

/** When a tick or alarm comes (minutes and seconds after 00:00), how many at once, and whether the next overlaps it. */
const WAKE_UPS = {
  minute: fc.integer({ min: 0, max: 180 }),
  second: fc.integer({ min: 0, max: 59 }),
  copies: fc.integer({ min: 1, max: 3 }),
  overlap: fc.boolean(),
};

describe("scheduler invariants under random ticks (duplicated, concurrent, late, missing)", () => {
  it("one attempt per (slot, attempt), consecutive attempts, at most one final record per slot, no overlap", async () => {
    const tickGroups = fc.array(
      fc.record(WAKE_UPS),
      { minLength: 1, maxLength: 60 },
    );
    await fc.assert(
      fc.asyncProperty(tickGroups, fc.array(fc.boolean(), { maxLength: 80 }), async (groups, outcomes) => {
        let time = Date.parse("2026-01-05T00:00:30Z");
        const plugin = new Coin();
        plugin.outcomes = [...outcomes];
        const kernel = createKernel({ plugins: [plugin], now: () => time, log: { level: "error" } });
        const scheduler = createScheduler(kernel, { random: () => 0.5 });
        await kernel.putTenant(TENANT, { slug: "coin", plan: "free" });
        await kernel.enable(TENANT, "coin");
        const sorted = [...groups].sort((a, b) => a.minute - b.minute || a.second - b.second);
        // Some groups start while earlier ones are still running (a slow tick, a second isolate).
        // A run cannot outlive its lease (its deadline aborts it first), so the fake clock never
        // moves past the lease (15 min + 1 min) of a group still in flight.
        let inFlight: { at: number; done: Promise<unknown> }[] = [];
        for (const { minute, second, copies, overlap } of sorted) {
          time = Date.parse("2026-01-05T00:00:00Z") + minute * 60_000 + second * 1000;
          await Promise.all(inFlight.filter((g) => g.at < time - 10 * 60_000).map((g) => g.done));
          inFlight = inFlight.filter((g) => g.at >= time - 10 * 60_000);
          const at = time;
          const done = Promise.all(Array.from({ length: copies }, () => scheduler.tick(new Date(at))));
          if (overlap) inFlight.push({ at, done });
          else await done;
        }
        await Promise.all(inFlight.map((g) => g.done));
        await expectInvariants(kernel, plugin);
      }),
      { numRuns: 60 },
    );
  });

  it("the same without a due index: random alarms (doubled, concurrent) fanning out to a queue that redelivers", async () => {
    const alarms = fc.array(
      fc.record({
        ...WAKE_UPS,
        // What the queue does with the messages sent so far: nothing yet, deliver them, or deliver them twice.
        deliver: fc.constantFrom(0, 1, 2),
        lose: fc.boolean(),
      }),
      { minLength: 1, maxLength: 60 },
    );
    await fc.assert(
      fc.asyncProperty(
        alarms,
        fc.array(fc.boolean(), { maxLength: 80 }),
        fc.constantFrom(0, 1),
        async (groups, outcomes, inline) => {
          let time = Date.parse("2026-01-05T00:00:30Z");
          const plugin = new Coin();
          plugin.outcomes = [...outcomes];
          const sent: WorkMessage[] = [];
          const queue = { send: (m: WorkMessage) => Promise.resolve(void sent.push(m)) };
          const kernel = createKernel({ plugins: [plugin], now: () => time, log: { level: "error" } });
          const scheduler = createScheduler(kernel, {
            random: () => 0.5,
            dueIndex: false,
            queue,
            maxInlinePerAlarm: inline,
          });
          await kernel.putTenant(TENANT, { slug: "coin", plan: "free" });
          await kernel.enable(TENANT, "coin");
          const sorted = [...groups].sort((a, b) => a.minute - b.minute || a.second - b.second);
          let inFlight: { at: number; done: Promise<unknown> }[] = [];
          for (const { minute, second, copies, overlap, deliver, lose } of sorted) {
            time = Date.parse("2026-01-05T00:00:00Z") + minute * 60_000 + second * 1000;
            await Promise.all(inFlight.filter((g) => g.at < time - 10 * 60_000).map((g) => g.done));
            inFlight = inFlight.filter((g) => g.at >= time - 10 * 60_000);
            const at = time;
            const batch = sent.splice(0);
            const work = [
              ...Array.from({ length: copies }, () => scheduler.runTenant(TENANT, new Date(at))),
              ...(lose
                ? []
                : Array.from({ length: deliver }, () => batch).flat().map((m) => scheduler.handleMessage(m))),
            ];
            const done = Promise.all(work);
            if (overlap) inFlight.push({ at, done });
            else await done;
          }
          await Promise.all(inFlight.map((g) => g.done));
          for (const m of sent.splice(0)) await scheduler.handleMessage(m);
          await expectInvariants(kernel, plugin);
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** One attempt per (slot, attempt), no overlap, at most one final record per slot, consecutive attempts. */
async function expectInvariants(kernel: Kernel, plugin: Coin): Promise<void> {
  const records = (await kernel.history.list(TENANT, { kind: "task", limit: 500 })) as ExecutionRecord[];
  const seen = new Set<string>();
  for (const run of plugin.runs) {
    const id = `${run.slot}#${run.attempt}`;
    expect(seen.has(id)).toBe(false);
    seen.add(id);
  }
  expect(plugin.overlapped).toBe(false);
  const bySlot = new Map<string, ExecutionRecord[]>();
  for (const r of records) bySlot.set(r.scheduledTime!, [...(bySlot.get(r.scheduledTime!) ?? []), r]);
  for (const [, list] of bySlot) {
    expect(list.filter((r) => r.final)).toHaveLength(list.some((r) => r.final) ? 1 : 0);
    const attempts = list.filter((r) => r.status !== "skipped").map((r) => r.attempt!).sort((a, b) => a - b);
    const ranAttempts = [...new Set(attempts)];
    expect(ranAttempts).toEqual(ranAttempts.map((_, i) => i + 1)); // 1, 2, 3 … without gaps
    expect(Math.max(0, ...attempts)).toBeLessThanOrEqual(3); // maxRetries 2
  }
  // Every attempt that ran left exactly one record (a superseded retry adds its final record).
  const attemptRecords = records.filter((r) => r.status !== "skipped" && !r.reason?.startsWith("gave up"));
  expect(attemptRecords).toHaveLength(plugin.runs.length);
}

describe("fan-out from an alarm where the store cannot compare and set", () => {
  it("the alarm runs the jobs it cannot park itself, rather than send them and find them due again at once", async () => {
    const inner = createMemoryDriver();
    const { putIfUnchanged: _p, deleteIfUnchanged: _d, ...driver } = inner;
    const plugin = new Coin();
    const sent: WorkMessage[] = [];
    let time = Date.parse("2026-01-05T00:04:30Z");
    const kernel = createKernel({ driver, plugins: [plugin], now: () => time, log: { level: "error" } });
    const queue = { send: (m: WorkMessage) => Promise.resolve(void sent.push(m)) };
    const scheduler = createScheduler(kernel, { dueIndex: false, queue, maxInlinePerAlarm: 0 });
    await kernel.putTenant(TENANT, { slug: "coin", plan: "free" });
    await kernel.enable(TENANT, "coin");
    time = Date.parse("2026-01-05T00:05:00Z");
    expect(await scheduler.runTenant(TENANT, new Date(time))).toMatchObject({ due: 1, ran: 1, enqueued: 0 });
    expect(sent).toEqual([]);
  });
});

describe("a tenant its authority cannot read for a moment (a KV replica behind, a cached miss)", () => {
  const setUp = async () => {
    const driver = createMemoryDriver();
    const plugin = new Coin();
    let time = Date.parse("2026-01-05T00:04:30Z");
    const kernel = createKernel({ driver, plugins: [plugin], now: () => time, log: { level: "error" } });
    const scheduler = createScheduler(kernel);
    await kernel.putTenant(TENANT, { slug: "coin", plan: "free" });
    await kernel.enable(TENANT, "coin");
    const doc = (await driver.get(`tenant:${TENANT}`))!;
    const hide = async () => {
      await driver.delete(`tenant:${TENANT}`);
      kernel.tenants.invalidate(TENANT);
    };
    const show = async () => {
      await driver.put(`tenant:${TENANT}`, doc);
      kernel.tenants.invalidate(TENANT);
    };
    return { plugin, kernel, scheduler, hide, show, at: (iso: string) => (time = Date.parse(iso)) };
  };

  it("keeps the tenant's jobs: once it is seen again, the slot it missed is recorded and the next one runs", async () => {
    const { plugin, kernel, scheduler, hide, show, at } = await setUp();
    await hide();
    await scheduler.tick(new Date(at("2026-01-05T00:05:00Z")));
    await show();
    await scheduler.tick(new Date(at("2026-01-05T00:10:00Z")));
    expect(plugin.runs.map((r) => r.slot)).toEqual(["2026-01-05T00:10:00.000Z"]);
    const records = await kernel.history.list(TENANT, { kind: "task" });
    expect(records.map((r) => [r.scheduledTime, r.status]).sort()).toEqual([
      ["2026-01-05T00:05:00.000Z", "skipped"],
      ["2026-01-05T00:10:00.000Z", "succeeded"],
    ]);
  });

  it("a tenant deleted through the kernel takes its jobs with it", async () => {
    const { kernel, scheduler } = await setUp();
    expect(await scheduler.tasks(TENANT)).toHaveLength(1);
    await kernel.deleteTenant(TENANT);
    expect(await kernel.driver.list({ prefix: `sched:state:${TENANT}:` })).toEqual({ keys: [], cursor: null });
  });
});
