/**
 * Two ticks, each over 1,000 / 10,000 / 100,000 tenants.
 *
 * The due-index tick (memory and Deno KV, where the tick runs the jobs): one scheduler tick over
 * N tenants × 3 tasks, with 100 tasks due per tick (memory driver). The 100 due tasks run every minute and each bench iteration moves the
 * clock one minute on, so every iteration finds exactly 100 due; the other 3N - 100 tasks are
 * idle until June. The stores are seeded directly (sorted keys, one put each) from the states a
 * real enable/sync wrote for a template tenant, so 100k tenants take seconds, not minutes.
 *
 * Target: ≤ 50 ms per tick at 10,000 tenants, and flat in the number of idle tenants.
 *
 * The safety-net tick (Cloudflare, where each tenant's Durable Object runs its own jobs from its
 * alarm and there is no due index): the Worker's side of one Cron tick, which reads the cursor,
 * lists the next page of tenants (the default 40), asks each tenant's object to re-arm (one RPC each, stubbed
 * here: counted, not timed) and writes the cursor. The bench fails unless every tick does exactly
 * that. Target: flat in the number of tenants.
 */
import { bench, describe } from "vitest";
import { createKernel, createScheduler, type Kernel, type Scheduler } from "../../src/entries/runtime.ts";
import { createMemoryDriver, type MemoryDriver } from "../../src/entries/drivers.ts";
import {
  type HookContext,
  Plugin,
  type ScheduledTaskDefinition,
  type ScheduledTaskHooks,
  type TaskResult,
} from "../../src/index.ts";
import { schedKeys } from "../../src/scheduler/keys.ts";
import { DEFAULT_TENANTS_PER_TICK } from "../../src/scheduler/safety-net.ts";
import type { JobState } from "../../src/scheduler/state.ts";

const DUE_PER_TICK = 100;
const START = Date.parse("2026-01-05T00:01:00Z");
const IDLE_CRON = "0 6 1 6 *"; // 1 June: never reached while the bench runs

class BenchPlugin extends Plugin implements ScheduledTaskHooks {
  readonly name = "bench";
  readonly version = "1.0.0";
  runs = 0;
  registerScheduledTasks(): ScheduledTaskDefinition[] {
    return [
      { taskId: "bench.minutely", name: "Minutely", schedule: { cronExpression: "* * * * *" } },
      { taskId: "bench.daily", name: "Daily", schedule: { cronExpression: IDLE_CRON } },
      { taskId: "bench.weekly", name: "Weekly", schedule: { cronExpression: IDLE_CRON, timezone: "Europe/Berlin" } },
    ];
  }
  executeScheduledTask(_t: ScheduledTaskDefinition, _c: HookContext): Promise<TaskResult> {
    this.runs++;
    return Promise.resolve({ success: true });
  }
}

interface World {
  kernel: Kernel;
  scheduler: Scheduler;
  driver: MemoryDriver;
  plugin: BenchPlugin;
  clock: { time: number };
  ticks: number[];
}

const tenantId = (i: number) => `${i.toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`;

async function seed(tenants: number): Promise<World> {
  const clock = { time: START - 60_000 };
  const template = createKernel({ plugins: [new BenchPlugin()], now: () => clock.time, log: { level: "error" } });
  createScheduler(template);
  const T = tenantId(0);
  await template.putTenant(T, { slug: "bench", plan: "pro" });
  await template.enable(T, "bench");
  const tenantDoc = (await template.driver.get(`tenant:${T}`))!;
  const states = new Map<string, JobState>();
  for (const key of (await template.driver.list({ prefix: schedKeys.statePrefix(T) })).keys) {
    const state = JSON.parse((await template.driver.get(key))!) as JobState;
    states.set(state.jobId, state);
  }
  const idleNext = Date.parse("2026-06-01T06:00:00Z");
  const entries: [string, string][] = [];
  for (let i = 0; i < tenants; i++) {
    const id = tenantId(i);
    entries.push([`tenant:${id}`, tenantDoc.replaceAll(T, id)]);
    for (const [jobId, base] of states) {
      const due = jobId === "bench.minutely" && i < DUE_PER_TICK;
      const nextDue = due ? START : idleNext;
      const minute = Math.ceil(nextDue / 60_000);
      const state: JobState = {
        ...base,
        tenantId: id,
        task: {
          ...base.task,
          schedule: due ? base.task.schedule : { ...base.task.schedule, cronExpression: IDLE_CRON },
        },
        nextDue,
        dueMinute: minute,
      };
      entries.push([schedKeys.state(id, jobId), JSON.stringify(state)]);
      entries.push([schedKeys.due(minute, id, jobId), ""]);
    }
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const driver = createMemoryDriver({ now: () => clock.time });
  for (const [key, value] of entries) await driver.put(key, value); // in order: appends only
  const plugin = new BenchPlugin();
  const kernel = createKernel({ driver, plugins: [plugin], now: () => clock.time, log: { level: "error" } });
  const scheduler = createScheduler(kernel, { maxInlinePerTick: DUE_PER_TICK, concurrency: 16 });
  return { kernel, scheduler, driver, plugin, clock, ticks: [] };
}

/** One tick one minute after the last; fails the bench if it did not run exactly the 100 due. */
async function tick(world: World): Promise<void> {
  world.clock.time += 60_000;
  const report = await world.scheduler.tick(new Date(world.clock.time));
  if (report.ran !== DUE_PER_TICK || report.due !== DUE_PER_TICK) {
    throw new Error(`expected ${DUE_PER_TICK} due and run, got ${JSON.stringify(report)}`);
  }
  world.ticks.push(report.durationMs);
}

function summary(label: string, world: World): void {
  const sorted = [...world.ticks].sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
  const { reads, writes, lists, deletes } = world.driver.stats;
  const perTick = (n: number) => (n / world.ticks.length).toFixed(0);
  console.log(
    `${label}: ${world.ticks.length} ticks, median ${p(0.5)} ms, p95 ${p(0.95)} ms; per tick ${perTick(reads)} reads, ${
      perTick(writes)
    } writes, ${perTick(deletes)} deletes, ${perTick(lists)} lists`,
  );
}

// Vitest runs no beforeAll hooks in bench mode: each world is seeded in the task's setup (once)
// and dropped after its run, so only one world is in memory at a time.
for (const tenants of [1_000, 10_000, 100_000]) {
  describe(`tick: ${tenants.toLocaleString("en")} tenants × 3 tasks, ${DUE_PER_TICK} due`, () => {
    let world: World | undefined;
    bench(`tick (${tenants} tenants)`, () => tick(world!), {
      time: 2_000,
      warmupIterations: 2,
      async setup(_task, mode) {
        if (world) {
          if (mode === "run") resetCounters(world);
          return;
        }
        const started = performance.now();
        world = await seed(tenants);
        console.log(`seeded ${tenants} tenants in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        await tick(world); // warm: isolate caches, croner patterns
        resetCounters(world);
      },
      teardown(_task, mode) {
        if (mode !== "run" || !world) return;
        summary(`${tenants} tenants`, world);
        world = undefined;
      },
    });
  });
}

function resetCounters(world: World): void {
  world.ticks.length = 0;
  Object.assign(world.driver.stats, { reads: 0, writes: 0, lists: 0, deletes: 0 });
}

// ── The safety net (no due index) ──────────────────────────────────────────────────────────────

const NET_PAGE = DEFAULT_TENANTS_PER_TICK;

interface Net {
  scheduler: Scheduler;
  driver: MemoryDriver;
  asked: number;
  ticks: number;
}

async function seedNet(tenants: number): Promise<Net> {
  const driver = createMemoryDriver();
  const doc = JSON.stringify({ id: tenantId(0), slug: "bench", plan: "pro", plugins: {} });
  for (let i = 0; i < tenants; i++) await driver.put(`tenant:${tenantId(i)}`, doc.replaceAll(tenantId(0), tenantId(i)));
  const kernel = createKernel({ driver, plugins: [new BenchPlugin()], log: { level: "error" } });
  const net: Net = { scheduler: undefined!, driver, asked: 0, ticks: 0 };
  net.scheduler = createScheduler(kernel, {
    dueIndex: false,
    safetyNet: {
      rearm: () => (net.asked++, Promise.resolve({ rearmed: false, synced: [] })),
    },
  });
  return net;
}

/** One safety-net tick; fails the bench unless it asked one page and touched KV three times. */
async function netTick(net: Net): Promise<void> {
  const before = { ...net.driver.stats, asked: net.asked };
  const report = await net.scheduler.tick(new Date());
  const { reads, lists, writes, deletes } = net.driver.stats;
  const work = {
    asked: net.asked - before.asked,
    reads: reads - before.reads,
    lists: lists - before.lists,
    writes: writes - before.writes + deletes - before.deletes,
  };
  if (
    report.safetyNet?.tenants !== NET_PAGE ||
    JSON.stringify(work) !== JSON.stringify({ asked: NET_PAGE, reads: 1, lists: 1, writes: 1 })
  ) {
    throw new Error(
      `expected one page of ${NET_PAGE} and 1 read, 1 list, 1 write; got ${JSON.stringify({ report, work })}`,
    );
  }
  net.ticks++;
}

for (const tenants of [1_000, 10_000, 100_000]) {
  describe(`safety net tick: ${tenants.toLocaleString("en")} tenants, ${NET_PAGE} objects asked per tick (1 KV read, 1 list, 1 write)`, () => {
    let net: Net | undefined;
    bench(`safety net (${tenants} tenants)`, () => netTick(net!), {
      time: 1_000,
      warmupIterations: 2,
      async setup() {
        net ??= await seedNet(tenants);
      },
      teardown(_task, mode) {
        if (mode !== "run" || !net) return;
        console.log(`safety net, ${tenants} tenants: ${net.ticks} ticks, each ${NET_PAGE} objects asked`);
        net = undefined;
      },
    });
  });
}
