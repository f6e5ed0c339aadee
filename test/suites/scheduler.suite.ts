/**
 * The scheduler on a real backend (memory on Node, Cloudflare KV in workerd, Deno KV under
 * Deno), with a controllable clock: the kernel's `now` and explicit tick times. Cron, interval
 * and time-zone slots (DST included), once per slot under duplicated and concurrent ticks,
 * coalescing after an outage, retries, timeouts, overlap, disabling, health cycles, run-now and
 * queue fan-out. Each test gets its own key namespace inside the shared backend.
 */
import {
  createKernel,
  createScheduler,
  type ExecutionRecord,
  generateMasterKey,
  type SchedulerOptions,
} from "../../src/entries/runtime.ts";
import {
  type HealthCheckDefinition,
  type HealthCheckResult,
  type HealthMonitorHooks,
  type HealthStatus,
  type HealthStatusChange,
  type HealthStatusHooks,
  type HookContext,
  type LogRecord,
  Plugin,
  type ScheduledTaskDefinition,
  type ScheduledTaskHooks,
  type TaskExecutionContext,
  type TaskResult,
} from "../../src/index.ts";
import type { KVDriver } from "../../src/entries/drivers.ts";
import type { WorkMessage } from "../../src/queue.ts";
import { scheduleText, SlotClock } from "../../src/scheduler/index.ts";
import { schedKeys } from "../../src/scheduler/keys.ts";
import type { Harness } from "./harness.ts";
import { countingDriver, namespacedDriver } from "./storage.suite.ts";

export interface SchedulerTarget {
  /** The backend under test; `now` is the test's clock (the memory driver's expiry follows it). */
  driver(now: () => number): KVDriver | Promise<KVDriver>;
}

const TENANT = "33333333-3333-4333-8333-333333333333";
const TENANT_2 = "44444444-4444-4444-8444-444444444444";
const ISO = (ms: number) => new Date(ms).toISOString();

interface Run {
  taskId: string;
  scheduledTime: string;
  actualTime: string;
  attempt: number;
  executionId: string;
  tenantId: string | null;
  correlationId: string | null;
  signal: AbortSignal;
  ctx: HookContext;
}

type Behaviour = (run: Run) => TaskResult | Promise<TaskResult>;

const TASK_CONFIG = {
  type: "object",
  properties: {
    cron: { type: "string", default: "0 6 * * *" },
    timezone: { type: "string", default: "UTC" },
    label: { type: "string", default: "x" },
  },
} as const;

/** A plugin whose tasks come from a function of its config, and whose runs are scripted. */
class TaskPlugin extends Plugin implements ScheduledTaskHooks {
  readonly version = "1.0.0";
  override CONFIG_SCHEMA = TASK_CONFIG;
  runs: Run[] = [];
  behave: Behaviour = () => ({ success: true, data: { ok: 1 } });
  constructor(
    readonly name: string,
    private readonly defs: (config: Record<string, unknown>) => ScheduledTaskDefinition[],
  ) {
    super();
  }
  async registerScheduledTasks(ctx: HookContext): Promise<ScheduledTaskDefinition[]> {
    return this.defs(await this.getConfig(ctx.tenantId));
  }
  executeScheduledTask(
    task: ScheduledTaskDefinition,
    ctx: HookContext,
    e: TaskExecutionContext,
  ): Promise<TaskResult> {
    const run: Run = {
      taskId: task.taskId,
      scheduledTime: e.scheduledTime.toISOString(),
      actualTime: e.actualTime.toISOString(),
      attempt: e.attempt,
      executionId: e.executionId,
      tenantId: e.tenantId,
      correlationId: e.correlationId,
      signal: e.signal,
      ctx,
    };
    this.runs.push(run);
    return Promise.resolve(this.behave(run));
  }
}

/** Health checks from config; each call answers the next scripted status. */
class Monitor extends Plugin implements HealthMonitorHooks {
  readonly name = "monitor";
  readonly version = "1.0.0";
  script: (HealthStatus | "hang" | "throw" | "bigint")[] = [];
  calls: { checkType: string; target: string; signal?: AbortSignal }[] = [];
  registerHealthChecks(): HealthCheckDefinition[] {
    return [{ checkType: "uptime", target: "https://site.example/" }];
  }
  executeHealthCheck(_ctx: HookContext, checkType: string, target: string, signal?: AbortSignal) {
    this.calls.push({ checkType, target, signal });
    const next = this.script.shift() ?? "healthy";
    if (next === "hang") return new Promise<HealthCheckResult>(() => {});
    if (next === "throw") return Promise.reject(new Error("connection refused"));
    if (next === "bigint") return Promise.resolve({ status: "healthy", details: { bytes: 10n } } as HealthCheckResult);
    return Promise.resolve({ status: next, latencyMs: 12, message: `it is ${next}`, details: { code: 200 } });
  }
}

class Watcher extends Plugin implements HealthStatusHooks {
  readonly name = "watcher";
  readonly version = "1.0.0";
  changes: HealthStatusChange[] = [];
  /** Whether ctx.signal was already aborted when each notification came (it must not be). */
  abortedOnArrival: boolean[] = [];
  healthStatusChanged(ctx: HookContext, change: HealthStatusChange): void {
    this.abortedOnArrival.push(ctx.signal?.aborted ?? false);
    this.changes.push(change);
  }
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

export function schedulerSuite(h: Harness, target: SchedulerTarget): void {
  const { describe, it, expect } = h;

  async function setup(
    plugins: Plugin[],
    options: SchedulerOptions & { start?: string; tenants?: string[] } = {},
  ) {
    let time = Date.parse(options.start ?? "2026-01-05T00:00:30Z");
    const backend = await target.driver(() => time);
    const driver = countingDriver(namespacedDriver(backend, `sc:${crypto.randomUUID().slice(0, 8)}:`));
    const logs: LogRecord[] = [];
    const kernel = createKernel({
      driver,
      masterKeys: generateMasterKey("k1"),
      plugins,
      now: () => time,
      log: { sink: (r) => void logs.push(r) },
    });
    const scheduler = createScheduler(kernel, { random: () => 0, ...options });
    for (const [i, id] of (options.tenants ?? [TENANT]).entries()) {
      await kernel.putTenant(id, { slug: `tenant-${i}`, plan: "pro" });
    }
    const at = (iso: string) => {
      time = Date.parse(iso);
      return new Date(time);
    };
    const tick = (iso: string) => scheduler.tick(at(iso));
    const records = async (tenant = TENANT) =>
      (await kernel.history.list(tenant, { kind: "task", limit: 500 })).reverse() as ExecutionRecord[];
    return { kernel, scheduler, driver, logs, at, tick, records };
  }

  const daily = (cron = "0 6 * * *", extra: Partial<ScheduledTaskDefinition> = {}) => (name: string) =>
    new TaskPlugin(name, (config) => [{
      taskId: `${name}.sync`,
      name: "Sync",
      schedule: { cronExpression: (config.cron as string) ?? cron, timezone: config.timezone as string },
      ...extra,
    }]);

  describe("schedules", () => {
    it("a bad cron expression, time zone, interval or task id is an error naming the plugin and task", async () => {
      const plugin = daily()("cfg");
      const { kernel, scheduler } = await setup([plugin]);
      await kernel.enable(TENANT, "cfg");
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ cron: "61 * * * *" }, /plugin cfg: task cfg\.sync: invalid cron expression "61 \* \* \* \*"/],
        [{ cron: "0 6 * *" }, /plugin cfg: task cfg\.sync: .*must have 5 fields/],
        [{ timezone: "Mars/Olympus_Mons" }, /plugin cfg: task cfg\.sync: timezone "Mars\/Olympus_Mons" is not an IANA/],
      ];
      for (const [config, message] of cases) {
        await expect(kernel.setConfig(TENANT, "cfg", config)).rejects.toMatchObject({
          code: "ERR_TASK_INVALID",
          message: expect.stringMatching(message),
        });
      }
      const bad = (defs: ScheduledTaskDefinition[]) => new TaskPlugin("bad", () => defs);
      for (
        const [defs, message] of [
          [[{ taskId: "bad.t", name: "T", schedule: { intervalSeconds: 30 } }], /task bad\.t: intervalSeconds must be/],
          [
            [{ taskId: "sync", name: "T", schedule: { intervalSeconds: 60 } }],
            /task sync: taskId must be namespaced "bad\.<task>"/,
          ],
          [[{ taskId: "bad.t", name: "T", schedule: {} }], /task bad\.t: schedule needs exactly one of/],
          [
            [{ taskId: "bad.t", name: "T", schedule: { cronExpression: "* * * * *" }, timeoutSeconds: 0 }],
            /timeoutSeconds/,
          ],
        ] as [ScheduledTaskDefinition[], RegExp][]
      ) {
        const other = await setup([bad(defs)]);
        await expect(other.kernel.enable(TENANT, "bad")).rejects.toMatchObject({
          code: "ERR_TASK_INVALID",
          message: expect.stringMatching(message),
        });
        expect(await other.scheduler.tasks(TENANT)).toEqual([]);
        expect(other.logs.find((r) => r.msg === "could not sync a plugin's schedules")).toMatchObject({
          plugin: "bad",
        });
      }
      // The last good schedule is still in place after the rejected changes.
      expect((await scheduler.tasks(TENANT)).map((t) => t.schedule.cronExpression)).toEqual(["0 6 * * *"]);
    });

    it("cron slots follow the time zone through daylight-saving changes (Berlin, New York)", () => {
      const slots = (cron: string, timezone: string, from: string, n: number) => {
        const clock = new SlotClock({ cronExpression: cron, timezone });
        const out: string[] = [];
        let t = Date.parse(from);
        for (let i = 0; i < n; i++) out.push(ISO(t = clock.nextAfter(t)!));
        return out;
      };
      // Berlin springs forward on 2026-03-29 (02:00 → 03:00) and falls back on 2026-10-25.
      expect(slots("0 6 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", 3)).toEqual([
        "2026-03-28T05:00:00.000Z",
        "2026-03-29T04:00:00.000Z",
        "2026-03-30T04:00:00.000Z",
      ]);
      // 02:30 does not exist on 29 March: the run moves to the first valid time after the gap.
      expect(slots("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 2)).toEqual([
        "2026-03-29T01:00:00.000Z",
        "2026-03-30T00:30:00.000Z",
      ]);
      // 02:30 happens twice on 25 October: a fixed-time job runs once.
      expect(slots("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2)).toEqual([
        "2026-10-25T00:30:00.000Z",
        "2026-10-26T01:30:00.000Z",
      ]);
      expect(slots("0 6 * * *", "America/New_York", "2026-03-07T00:00:00Z", 2)).toEqual([
        "2026-03-07T11:00:00.000Z",
        "2026-03-08T10:00:00.000Z",
      ]);
      expect(slots("0 6 * * *", "America/New_York", "2026-10-31T00:00:00Z", 2)).toEqual([
        "2026-10-31T10:00:00.000Z",
        "2026-11-01T11:00:00.000Z",
      ]);
      expect(slots("*/15 * * * *", "UTC", "2026-01-01T00:07:00Z", 2)).toEqual([
        "2026-01-01T00:15:00.000Z",
        "2026-01-01T00:30:00.000Z",
      ]);
      const clock = new SlotClock({ cronExpression: "0 6 * * *", timezone: "UTC" });
      expect(ISO(clock.latestAtOrBefore(Date.parse("2026-01-02T06:00:00Z"))!)).toBe("2026-01-02T06:00:00.000Z");
      expect(ISO(clock.latestAtOrBefore(Date.parse("2026-01-02T05:59:59Z"))!)).toBe("2026-01-01T06:00:00.000Z");
    });

    it("ticks run a Berlin task at 06:00 local on both sides of the spring change", async () => {
      const plugin = daily()("tz");
      const { kernel, scheduler, tick } = await setup([plugin], { start: "2026-03-27T12:00:00Z" });
      await kernel.setConfig(TENANT, "tz", { timezone: "Europe/Berlin" });
      await kernel.enable(TENANT, "tz");
      const [view] = await scheduler.tasks(TENANT);
      expect(view).toMatchObject({
        taskId: "tz.sync",
        scheduleText: "every day at 06:00 (Europe/Berlin)",
        nextRunAt: "2026-03-28T05:00:00.000Z",
        maxRetries: 3,
        timeoutSeconds: 300,
        lastResult: null,
      });
      for (
        const t of ["2026-03-28T04:59:00Z", "2026-03-28T05:00:00Z", "2026-03-28T05:01:00Z", "2026-03-29T04:00:00Z"]
      ) await tick(t);
      await tick("2026-03-29T05:00:00Z"); // 07:00 in Berlin now: nothing
      expect(plugin.runs.map((r) => r.scheduledTime)).toEqual(["2026-03-28T05:00:00.000Z", "2026-03-29T04:00:00.000Z"]);
      expect((await scheduler.tasks(TENANT))[0]!.nextRunAt).toBe("2026-03-30T04:00:00.000Z");
    });

    it("interval tasks run every N seconds on whole minutes, phase-shifted per tenant", async () => {
      const plugin = new TaskPlugin(
        "every",
        () => [{ taskId: "every.poll", name: "Poll", schedule: { intervalSeconds: 300 } }],
      );
      const { kernel, scheduler, tick } = await setup([plugin], { start: "2026-01-05T00:00:30Z" });
      await kernel.enable(TENANT, "every");
      const [view] = await scheduler.tasks(TENANT);
      expect(view!.scheduleText).toBe("every 5 minutes");
      const first = Date.parse(view!.nextRunAt!);
      expect(first % 60_000).toBe(0);
      expect(first).toBeGreaterThan(Date.parse("2026-01-05T00:00:30Z"));
      expect(first).toBeLessThanOrEqual(Date.parse("2026-01-05T00:05:30Z"));
      await tick(ISO(first - 60_000));
      expect(plugin.runs).toHaveLength(0);
      for (let t = first; t < first + 15 * 60_000; t += 60_000) await tick(ISO(t));
      expect(plugin.runs.map((r) => r.scheduledTime)).toEqual([0, 5, 10].map((m) => ISO(first + m * 60_000)));
    });

    it("describes schedules in words", () => {
      expect(scheduleText({ cronExpression: "0 6 * * *" })).toBe("every day at 06:00 (UTC)");
      expect(scheduleText({ cronExpression: "*/5 * * * *", timezone: "UTC" })).toBe("every 5 minutes (UTC)");
      expect(scheduleText({ cronExpression: "* * * * *" })).toBe("every minute (UTC)");
      expect(scheduleText({ cronExpression: "30 9 * * 1", timezone: "Europe/Berlin" })).toBe(
        "every Monday at 09:30 (Europe/Berlin)",
      );
      expect(scheduleText({ cronExpression: "0 8 * * 1-5" })).toBe("every Monday to Friday at 08:00 (UTC)");
      expect(scheduleText({ cronExpression: "15 * * * *" })).toBe("every hour at minute 15 (UTC)");
      expect(scheduleText({ cronExpression: "0 3 1 * *" })).toBe("on day 1 of every month at 03:00 (UTC)");
      expect(scheduleText({ cronExpression: "@daily" })).toBe("every day at 00:00 (UTC)");
      expect(scheduleText({ cronExpression: "0 6 * 2 *" })).toBe('cron "0 6 * 2 *" (UTC)');
      expect(scheduleText({ intervalSeconds: 60 })).toBe("every minute");
      expect(scheduleText({ intervalSeconds: 7200 })).toBe("every 2 hours");
      expect(scheduleText({ intervalSeconds: 86_400 })).toBe("every day");
      expect(scheduleText({ intervalSeconds: 90 })).toBe("every 90 seconds");
    });
  });

  describe("once per slot", () => {
    it("a duplicated tick runs a slot once", async () => {
      const plugin = daily()("dup");
      const { kernel, tick, records } = await setup([plugin]);
      await kernel.enable(TENANT, "dup");
      const first = await tick("2026-01-05T06:00:00Z");
      const again = await tick("2026-01-05T06:00:00Z");
      const late = await tick("2026-01-05T06:00:40Z");
      expect(first).toMatchObject({ due: 1, ran: 1, failed: 0, skipped: 0, enqueued: 0, deferred: 0 });
      expect(again).toMatchObject({ due: 0, ran: 0 });
      expect(late).toMatchObject({ due: 0, ran: 0 });
      expect(plugin.runs).toHaveLength(1);
      expect((await records()).map((r) => [r.status, r.final, r.scheduledTime])).toEqual([
        ["succeeded", true, "2026-01-05T06:00:00.000Z"],
      ]);
    });

    it("concurrent ticks (Promise.all) run a slot once", async () => {
      const plugin = daily("* * * * *")("race");
      const { kernel, at, scheduler, records } = await setup([plugin]);
      await kernel.setConfig(TENANT, "race", { cron: "* * * * *" });
      await kernel.enable(TENANT, "race");
      const now = at("2026-01-05T00:01:00Z");
      const reports = await Promise.all([scheduler.tick(now), scheduler.tick(now), scheduler.tick(now)]);
      expect(reports.reduce((n, r) => n + r.ran, 0)).toBe(1);
      expect(plugin.runs).toHaveLength(1);
      expect(await records()).toHaveLength(1);
    });

    it("after a 3-hour outage each task runs once, for its latest slot", async () => {
      const plugin = new TaskPlugin("out", () => [
        { taskId: "out.five", name: "Five", schedule: { cronExpression: "*/5 * * * *" } },
        { taskId: "out.hourly", name: "Hourly", schedule: { cronExpression: "0 * * * *" } },
        { taskId: "out.poll", name: "Poll", schedule: { intervalSeconds: 600 } },
      ]);
      const { kernel, tick, records } = await setup([plugin], { start: "2026-01-05T00:00:30Z" });
      await kernel.enable(TENANT, "out");
      const report = await tick("2026-01-05T03:02:00Z");
      expect(report).toMatchObject({ due: 3, ran: 3 });
      const byTask = Object.fromEntries(plugin.runs.map((r) => [r.taskId, r.scheduledTime]));
      expect(byTask["out.five"]).toBe("2026-01-05T03:00:00.000Z");
      expect(byTask["out.hourly"]).toBe("2026-01-05T03:00:00.000Z");
      const poll = Date.parse(byTask["out.poll"]!);
      expect(poll).toBeLessThanOrEqual(Date.parse("2026-01-05T03:02:00Z"));
      expect(poll).toBeGreaterThan(Date.parse("2026-01-05T02:52:00Z"));
      expect(plugin.runs).toHaveLength(3);
      const all = await records();
      const ran = all.filter((r) => r.status === "succeeded");
      expect(ran).toHaveLength(3);
      for (const r of ran) expect(r.reason).toMatch(/^coalesced the missed slots since 2026-01-05T0[01]:\d\d:00.000Z$/);
      // Each missed slot still has its own final record, naming the run that replaced it.
      const skipped = all.filter((r) => r.status === "skipped");
      expect(skipped.filter((r) => r.name === "out.five")).toHaveLength(35); // 00:05 … 02:55
      expect(skipped.filter((r) => r.name === "out.hourly").map((r) => r.scheduledTime).sort()).toEqual([
        "2026-01-05T01:00:00.000Z",
        "2026-01-05T02:00:00.000Z",
      ]);
      for (const r of skipped) {
        expect(r.reason).toMatch(
          /^missed \(no tick came in time\): replaced by the run for 2026-01-05T0[23]:\d\d:\d\d/,
        );
      }
      const slots = all.filter((r) => r.final).map((r) => `${r.name}|${r.scheduledTime}`);
      expect(new Set(slots).size).toBe(slots.length);
      expect(await tick("2026-01-05T03:03:00Z")).toMatchObject({ ran: 0 });
      expect(plugin.runs).toHaveLength(3);
    });

    it("overlapping ticks do not overlap a task: the slot that came due meanwhile is skipped with its reason", async () => {
      const plugin = daily("* * * * *", { timeoutSeconds: 600 })("slow");
      const { kernel, tick, records } = await setup([plugin]);
      await kernel.setConfig(TENANT, "slow", { cron: "* * * * *" });
      await kernel.enable(TENANT, "slow");
      const release = gate();
      plugin.behave = async () => {
        await release.opened;
        return { success: true };
      };
      const first = tick("2026-01-05T00:01:00Z");
      await until(() => plugin.runs.length === 1, "the first run to start");
      const second = await tick("2026-01-05T00:02:00Z");
      expect(second).toMatchObject({ ran: 0, skipped: 1 });
      expect(plugin.runs).toHaveLength(1);
      release.open();
      expect(await first).toMatchObject({ ran: 1 });
      expect(await tick("2026-01-05T00:02:30Z")).toMatchObject({ ran: 0, skipped: 0 });
      await tick("2026-01-05T00:03:00Z");
      expect(plugin.runs.map((r) => r.scheduledTime)).toEqual(["2026-01-05T00:01:00.000Z", "2026-01-05T00:03:00.000Z"]);
      // One final record per slot (two were written in the same millisecond: order by slot).
      const history = (await records()).sort((a, b) => a.scheduledTime!.localeCompare(b.scheduledTime!));
      expect(history.map((r) => [r.scheduledTime, r.status, r.final])).toEqual([
        ["2026-01-05T00:01:00.000Z", "succeeded", true],
        ["2026-01-05T00:02:00.000Z", "skipped", true],
        ["2026-01-05T00:03:00.000Z", "succeeded", true],
      ]);
      expect(history[1]!.reason).toMatch(
        /^still running: another run of this task \(execution [0-9a-f-]{36}\) holds its lock until 2026-01-05T00:12:00.000Z$/,
      );
    });
  });

  describe("no overlap under racing ticks", () => {
    it("a late tick for one slot and a tick for the next, at once, never run the task side by side", async () => {
      const plugin = daily("*/5 * * * *", { timeoutSeconds: 600 })("racer");
      const { kernel, scheduler, at, records } = await setup([plugin]);
      await kernel.setConfig(TENANT, "racer", { cron: "*/5 * * * *" });
      await kernel.enable(TENANT, "racer");
      const release = gate();
      let running = 0, overlapped = false;
      plugin.behave = async () => {
        if (running++) overlapped = true;
        await release.opened;
        running--;
        return { success: true };
      };
      // Both read the job before either has written anything: they claim different slots.
      at("2026-01-05T00:10:00Z");
      const late = scheduler.tick(new Date("2026-01-05T00:05:00Z"));
      const next = scheduler.tick(new Date("2026-01-05T00:10:00Z"));
      await until(() => plugin.runs.length >= 1, "a run to start");
      // The tick that lost the race finishes (skipping); the other waits for the gate.
      const first = await Promise.race([
        late,
        next,
        new Promise((r) => setTimeout(() => r("both still running"), 2000)),
      ]);
      release.open();
      await Promise.all([late, next]);
      expect(first).toMatchObject({ skipped: 1, ran: 0 });
      expect(overlapped).toBe(false);
      expect(plugin.runs).toHaveLength(1);
      const history = await records();
      expect(history.map((r) => r.status).sort()).toEqual(["skipped", "succeeded"]);
      expect(history.find((r) => r.status === "skipped")!.reason).toMatch(/^still running: /);
    });
    it("runNow is refused (and recorded) while a scheduled run of the task is going", async () => {
      const plugin = daily("0 6 * * *", { timeoutSeconds: 600 })("busy-now");
      const { kernel, scheduler, tick, records } = await setup([plugin]);
      await kernel.enable(TENANT, "busy-now");
      const release = gate();
      plugin.behave = async () => {
        await release.opened;
        return { success: true };
      };
      const scheduled = tick("2026-01-05T06:00:00Z");
      await until(() => plugin.runs.length === 1, "the scheduled run to start");
      const refused = await scheduler.runNow(TENANT, "busy-now.sync");
      expect(refused).toMatchObject({ success: false, errorMessage: expect.stringMatching(/is already running/) });
      release.open();
      await scheduled;
      expect(plugin.runs).toHaveLength(1);
      expect((await records()).map((r) => r.status).sort()).toEqual(["skipped", "succeeded"]);
      expect(await scheduler.runNow(TENANT, "busy-now.sync")).toMatchObject({ success: true });
    });
  });

  describe("execution", () => {
    it("passes a TaskExecutionContext and records the TaskResult", async () => {
      const plugin = daily()("ctx");
      const { kernel, tick, records } = await setup([plugin]);
      await kernel.enable(TENANT, "ctx");
      await tick("2026-01-05T06:00:00Z");
      const [run] = plugin.runs;
      expect(run).toMatchObject({
        taskId: "ctx.sync",
        scheduledTime: "2026-01-05T06:00:00.000Z",
        actualTime: "2026-01-05T06:00:00.000Z",
        attempt: 1,
        tenantId: TENANT,
      });
      expect(run!.executionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(run!.correlationId).toBe(run!.executionId);
      expect(run!.signal.aborted).toBe(false);
      expect(run!.ctx.causationId).toBe(run!.executionId);
      expect(run!.ctx.tenantSlug).toBe("tenant-0");
      const [record] = await records();
      expect(record).toMatchObject({
        id: run!.executionId,
        kind: "task",
        plugin: "ctx",
        name: "ctx.sync",
        status: "succeeded",
        final: true,
        attempt: 1,
        data: { ok: 1 },
        scheduledTime: "2026-01-05T06:00:00.000Z",
      });
      expect(typeof record!.durationMs).toBe("number");
    });

    it("retries a failing task with increasing attempts and backoff, and stops at maxRetries", async () => {
      const plugin = daily()("flaky");
      const { kernel, scheduler, tick, records } = await setup([plugin], { retryBaseSeconds: 60 });
      await kernel.enable(TENANT, "flaky");
      plugin.behave = (run) => {
        throw new Error(`upstream 503 on attempt ${run.attempt}`);
      };
      // random() = 0: waits of 1, 2 and 4 minutes after attempts 1, 2 and 3.
      for (let m = 0; m <= 30; m++) await tick(ISO(Date.parse("2026-01-05T06:00:00Z") + m * 60_000));
      expect(plugin.runs.map((r) => [r.attempt, r.actualTime])).toEqual([
        [1, "2026-01-05T06:00:00.000Z"],
        [2, "2026-01-05T06:01:00.000Z"],
        [3, "2026-01-05T06:03:00.000Z"],
        [4, "2026-01-05T06:07:00.000Z"],
      ]);
      expect(new Set(plugin.runs.map((r) => r.scheduledTime))).toEqual(new Set(["2026-01-05T06:00:00.000Z"]));
      expect(new Set(plugin.runs.map((r) => r.executionId)).size).toBe(4);
      const history = await records();
      expect(history.map((r) => [r.attempt, r.status, r.final])).toEqual([
        [1, "retrying", false],
        [2, "retrying", false],
        [3, "retrying", false],
        [4, "failed", true],
      ]);
      expect(history[3]!.error).toBe("upstream 503 on attempt 4");
      expect(history[0]!.reason).toBe("retry as attempt 2 at 2026-01-05T06:01:00.000Z");
      const [view] = await scheduler.tasks(TENANT);
      expect(view!.lastResult).toMatchObject({ status: "failed", final: true, attempt: 4 });
      expect(view!.nextRunAt).toBe("2026-01-06T06:00:00.000Z");
    });

    it("a result with success: false is a failed attempt, and jitter spreads the retry", async () => {
      const plugin = daily("0 6 * * *", { maxRetries: 1 })("soft");
      const { kernel, scheduler, tick, records } = await setup([plugin], { random: () => 1, retryBaseSeconds: 60 });
      await kernel.enable(TENANT, "soft");
      plugin.behave = () => ({ success: false, errorMessage: "quota exceeded", data: { remaining: 0 } });
      await tick("2026-01-05T06:00:00Z");
      // 60 s × 1.5 with full jitter: due at 06:01:30, so the 06:02 tick runs it.
      expect((await scheduler.tasks(TENANT))[0]!.nextRunAt).toBe("2026-01-05T06:01:30.000Z");
      await tick("2026-01-05T06:01:00Z");
      await tick("2026-01-05T06:02:00Z");
      await tick("2026-01-05T06:10:00Z");
      expect(plugin.runs.map((r) => r.attempt)).toEqual([1, 2]);
      expect((await records()).map((r) => [r.status, r.final, r.error, r.data])).toEqual([
        ["retrying", false, "quota exceeded", { remaining: 0 }],
        ["failed", true, "quota exceeded", { remaining: 0 }],
      ]);
    });

    it("a retry that would run after the next slot gives way to it: the old slot's failure is final", async () => {
      const plugin = daily("*/5 * * * *")("busy");
      const { kernel, tick, records } = await setup([plugin], { retryBaseSeconds: 600 });
      await kernel.setConfig(TENANT, "busy", { cron: "*/5 * * * *" });
      await kernel.enable(TENANT, "busy");
      plugin.behave = (
        run,
      ) => (run.scheduledTime.endsWith("05:00.000Z") ? { success: false, errorMessage: "flaky" } : { success: true });
      await tick("2026-01-05T00:05:00Z"); // fails; its retry would be at 00:15
      await tick("2026-01-05T00:10:00Z");
      await tick("2026-01-05T00:15:00Z");
      expect(plugin.runs.map((r) => [r.scheduledTime, r.attempt])).toEqual([
        ["2026-01-05T00:05:00.000Z", 1],
        ["2026-01-05T00:10:00.000Z", 1],
        ["2026-01-05T00:15:00.000Z", 1],
      ]);
      const finals = (await records()).filter((r) => r.final).sort((a, b) =>
        a.scheduledTime!.localeCompare(b.scheduledTime!)
      );
      expect(finals.map((r) => [r.scheduledTime, r.status])).toEqual([
        ["2026-01-05T00:05:00.000Z", "failed"],
        ["2026-01-05T00:10:00.000Z", "succeeded"],
        ["2026-01-05T00:15:00.000Z", "succeeded"],
      ]);
      expect(finals[0]).toMatchObject({
        attempt: 1,
        error: "flaky",
        reason: "gave up before attempt 2: the next slot (2026-01-05T00:10:00.000Z) is already due",
      });
    });

    it("a timeout fires the signal and records a failure", async () => {
      const plugin = daily("0 6 * * *", { timeoutSeconds: 0.05, maxRetries: 0 })("slowpoke");
      const { kernel, tick, records } = await setup([plugin]);
      await kernel.enable(TENANT, "slowpoke");
      let abortedBy: unknown;
      plugin.behave = (run) =>
        new Promise<TaskResult>((resolve) => {
          run.signal.addEventListener("abort", () => {
            abortedBy = run.signal.reason;
            resolve({ success: true }); // too late: the attempt is already over
          });
        });
      const report = await tick("2026-01-05T06:00:00Z");
      expect(report).toMatchObject({ ran: 0, failed: 1 });
      expect(plugin.runs[0]!.signal.aborted).toBe(true);
      expect((abortedBy as Error).name).toBe("TimeoutError");
      const [record] = await records();
      expect(record).toMatchObject({ status: "timed_out", final: true, attempt: 1, error: "timed out after 0.05 s" });
    });

    it("a run whose invocation died is a failed attempt once its lease runs out, then retried", async () => {
      const plugin = daily("0 6 * * *", { timeoutSeconds: 60 })("lost");
      const { kernel, tick, records } = await setup([plugin]);
      await kernel.enable(TENANT, "lost");
      const never = gate();
      plugin.behave = async () => {
        await never.opened;
        return { success: true };
      };
      void tick("2026-01-05T06:00:00Z"); // stands for an invocation that was cut off mid-run
      await until(() => plugin.runs.length === 1, "the run to start");
      plugin.behave = () => ({ success: true });
      expect(await tick("2026-01-05T06:01:00Z")).toMatchObject({ ran: 0, failed: 0 }); // lease: 60 s + 60 s grace
      const report = await tick("2026-01-05T06:02:00Z");
      expect(report).toMatchObject({ failed: 1 });
      await tick("2026-01-05T06:03:00Z");
      expect(plugin.runs.map((r) => r.attempt)).toEqual([1, 2]);
      const history = await records();
      expect(history.slice(0, 2).map((r) => [r.attempt, r.status, r.final])).toEqual([
        [1, "retrying", false],
        [2, "succeeded", true],
      ]);
      expect(history[0]!.error).toMatch(/did not finish: its lease ran out/);
      never.open();
    });

    it("a plugin disabled between ticks runs nothing, and re-enabling does not replay missed slots", async () => {
      const plugin = daily()("off");
      const { kernel, scheduler, tick } = await setup([plugin]);
      await kernel.enable(TENANT, "off");
      await tick("2026-01-05T06:00:00Z");
      await kernel.disable(TENANT, "off");
      expect(await scheduler.tasks(TENANT)).toEqual([]);
      expect(await tick("2026-01-06T06:00:00Z")).toMatchObject({ due: 0, ran: 0 });
      expect(await tick("2026-01-07T06:00:00Z")).toMatchObject({ due: 0, ran: 0 });
      expect(plugin.runs).toHaveLength(1);
      await kernel.enable(TENANT, "off");
      expect((await scheduler.tasks(TENANT))[0]!.nextRunAt).toBe("2026-01-08T06:00:00.000Z");
      await tick("2026-01-08T06:00:00Z");
      expect(plugin.runs.map((r) => r.scheduledTime)).toEqual(["2026-01-05T06:00:00.000Z", "2026-01-08T06:00:00.000Z"]);
    });

    it("a config change reschedules; an unrelated change keeps the next run", async () => {
      const plugin = daily()("conf");
      const { kernel, scheduler } = await setup([plugin]);
      await kernel.enable(TENANT, "conf");
      expect((await scheduler.tasks(TENANT))[0]!.nextRunAt).toBe("2026-01-05T06:00:00.000Z");
      await kernel.setConfig(TENANT, "conf", { cron: "30 7 * * *", timezone: "America/New_York" });
      const [view] = await scheduler.tasks(TENANT);
      expect(view).toMatchObject({
        nextRunAt: "2026-01-05T12:30:00.000Z",
        scheduleText: "every day at 07:30 (America/New_York)",
      });
      await kernel.setConfig(TENANT, "conf", { cron: "30 7 * * *", timezone: "America/New_York", label: "y" });
      expect((await scheduler.tasks(TENANT))[0]!.nextRunAt).toBe("2026-01-05T12:30:00.000Z");
    });

    it("runNow runs through the same recorded path and returns the TaskResult", async () => {
      const plugin = daily()("manual");
      const { kernel, scheduler, at, records } = await setup([plugin]);
      await kernel.enable(TENANT, "manual");
      at("2026-01-05T03:00:00Z");
      const result = await scheduler.runNow(TENANT, "manual.sync", { correlationId: "admin-req-1" });
      expect(result).toMatchObject({ success: true, data: { ok: 1 } });
      expect(typeof result.durationMs).toBe("number");
      expect(plugin.runs[0]).toMatchObject({ attempt: 1, correlationId: "admin-req-1" });
      const [record] = await records();
      expect(record).toMatchObject({
        status: "succeeded",
        final: true,
        reason: "run now",
        correlationId: "admin-req-1",
      });
      const [view] = await scheduler.tasks(TENANT);
      expect(view!.lastResult).toMatchObject({ id: record!.id });
      expect(view!.nextRunAt).toBe("2026-01-05T06:00:00.000Z");
      plugin.behave = () => {
        throw new Error("nope");
      };
      expect(await scheduler.runNow(TENANT, "manual.sync")).toMatchObject({ success: false, errorMessage: "nope" });
      await expect(scheduler.runNow(TENANT, "manual.missing")).rejects.toMatchObject({ code: "ERR_TASK_NOT_FOUND" });
      await expect(scheduler.runNow(TENANT_2, "manual.sync")).rejects.toMatchObject({ code: "ERR_TENANT_NOT_FOUND" });
    });
  });

  describe("recovery", () => {
    it("an attempt claimed by an invocation that died before starting it counts as failed, then is retried", async () => {
      const plugin = daily()("dead");
      const { kernel, driver, tick, records } = await setup([plugin]);
      await kernel.enable(TENANT, "dead");
      const slot = Date.parse("2026-01-05T06:00:00Z");
      const claim = schedKeys.claim(TENANT, "dead.sync", slot, 1);
      await driver.put(claim, JSON.stringify({ executionId: "gone", at: slot }));
      expect(await tick("2026-01-05T06:00:00Z")).toMatchObject({ due: 1, ran: 0, failed: 0 }); // may still be starting
      expect(await tick("2026-01-05T06:07:00Z")).toMatchObject({ failed: 1 }); // past its lease (300 s + 60 s)
      await tick("2026-01-05T06:08:00Z");
      expect(plugin.runs.map((r) => [r.attempt, r.scheduledTime])).toEqual([[2, "2026-01-05T06:00:00.000Z"]]);
      expect((await records()).map((r) => [r.attempt, r.status, r.final, r.error ?? null])).toEqual([
        [1, "retrying", false, "did not start: the invocation that claimed this attempt ended before running it"],
        [2, "succeeded", true, null],
      ]);
    });

    it("a tick that died while recording a lost run does not wedge the job", async () => {
      const plugin = daily("0 6 * * *", { timeoutSeconds: 60 })("wedge");
      const { kernel, driver, tick } = await setup([plugin]);
      await kernel.enable(TENANT, "wedge");
      const never = gate();
      plugin.behave = async () => {
        await never.opened;
        return { success: true };
      };
      void tick("2026-01-05T06:00:00Z"); // cut off mid-run: its lock and lease stay behind
      await until(() => plugin.runs.length === 1, "the run to start");
      const slot = Date.parse("2026-01-05T06:00:00Z");
      // Another tick claimed the handling of the lost run, then died before saving anything.
      await driver.put(schedKeys.claim(TENANT, "wedge.sync", slot, "1-lost"), JSON.stringify({ at: slot }));
      plugin.behave = () => ({ success: true });
      await tick("2026-01-05T06:03:00Z"); // the claim is fresh: left to its holder
      expect(await driver.get(schedKeys.lock(TENANT, "wedge.sync"))).not.toBeNull();
      await tick("2026-01-05T06:06:00Z"); // over five minutes old: the dead run's lock is dropped
      expect(await driver.get(schedKeys.lock(TENANT, "wedge.sync"))).toBeNull();
      await tick("2026-01-06T06:00:00Z");
      expect(plugin.runs.map((r) => r.scheduledTime)).toEqual(["2026-01-05T06:00:00.000Z", "2026-01-06T06:00:00.000Z"]);
      never.open();
    });

    it("a new plugin version brings its new tasks in when its jobs come due, and syncAll does it at once", async () => {
      const task = (id: string, hour: number): ScheduledTaskDefinition => ({
        taskId: `versioned.${id}`,
        name: id,
        schedule: { cronExpression: `0 ${hour} * * *` },
      });
      const v1 = new TaskPlugin("versioned", () => [task("a", 6)]);
      const { kernel, driver, at } = await setup([v1], { tenants: [TENANT, TENANT_2] });
      await kernel.enable(TENANT, "versioned");
      await kernel.enable(TENANT_2, "versioned");
      const deploy = (version: string, tasks: ScheduledTaskDefinition[]) => {
        const plugin = new TaskPlugin("versioned", () => tasks);
        Object.defineProperty(plugin, "version", { value: version });
        const next = createKernel({ driver, masterKeys: generateMasterKey("k1"), plugins: [plugin], now: kernel.now });
        return { plugin, scheduler: createScheduler(next) };
      };
      const stored = async (taskId: string) =>
        await Promise.all([TENANT, TENANT_2].map(async (t) => (await driver.get(schedKeys.state(t, taskId))) !== null));

      const second = deploy("1.1.0", [task("a", 6), task("b", 7)]);
      expect(await stored("versioned.b")).toEqual([false, false]);
      await second.scheduler.tick(at("2026-01-05T06:00:00Z"));
      expect(second.plugin.runs.map((r) => r.taskId)).toEqual(["versioned.a", "versioned.a"]);
      expect(await stored("versioned.b")).toEqual([true, true]); // re-synced when "a" came due

      const third = deploy("1.2.0", [task("a", 6), task("b", 7), task("c", 8)]);
      expect(await third.scheduler.syncAll()).toEqual({ tenants: 2, failed: [] });
      expect(await stored("versioned.c")).toEqual([true, true]);
      await third.scheduler.tick(at("2026-01-05T07:00:00Z"));
      await third.scheduler.tick(at("2026-01-05T08:00:00Z"));
      expect(third.plugin.runs.map((r) => r.taskId)).toEqual([
        "versioned.b",
        "versioned.b",
        "versioned.c",
        "versioned.c",
      ]);
    });
  });

  describe("scheduling by alarms (no due index: each tenant's authority runs its own jobs)", () => {
    const capture = () => {
      const sent: WorkMessage[] = [];
      const queue = {
        send: (m: WorkMessage) => Promise.resolve(void sent.push(m)),
        sendBatch: (ms: WorkMessage[]) => Promise.resolve(void sent.push(...ms)),
      };
      return { sent, queue };
    };
    const three = (name: string, cron: string) =>
      new TaskPlugin(
        name,
        () => ["a", "b", "c"].map((id) => ({ taskId: `${name}.${id}`, name: id, schedule: { cronExpression: cron } })),
      );

    it("runTenant runs the tenant's due jobs from their states; no due-index entry is written", async () => {
      const plugin = new TaskPlugin("own", () => [
        { taskId: "own.five", name: "Five", schedule: { cronExpression: "*/5 * * * *" } },
        { taskId: "own.hourly", name: "Hourly", schedule: { cronExpression: "0 * * * *" } },
      ]);
      const { kernel, scheduler, driver, at } = await setup([plugin], { dueIndex: false });
      await kernel.enable(TENANT, "own");
      // The tick lists nothing: there is no index (and no safety net configured here).
      expect(await scheduler.tick(at("2026-01-05T00:05:00Z"))).toMatchObject({ due: 0, ran: 0 });
      expect(await scheduler.runTenant(TENANT, at("2026-01-05T00:05:00Z"))).toMatchObject({ due: 1, ran: 1 });
      expect(await scheduler.runTenant(TENANT, at("2026-01-05T00:05:00Z"))).toMatchObject({ due: 0, ran: 0 });
      expect(await scheduler.runTenant(TENANT, at("2026-01-05T01:00:00Z"))).toMatchObject({ due: 2, ran: 2 });
      expect(plugin.runs.map((r) => `${r.taskId} ${r.scheduledTime}`).sort()).toEqual([
        "own.five 2026-01-05T00:05:00.000Z",
        "own.five 2026-01-05T01:00:00.000Z",
        "own.hourly 2026-01-05T01:00:00.000Z",
      ]);
      expect((await driver.list({ prefix: "sched:due:" })).keys).toEqual([]);
      // The state names the minute of its next look: what the tenant's alarm is armed for.
      const state = JSON.parse((await driver.get(schedKeys.state(TENANT, "own.five")))!);
      expect(ISO(state.dueMinute * 60_000)).toBe("2026-01-05T01:05:00.000Z");
    });

    it("with a queue, the alarm runs maxInlinePerAlarm jobs and sends the rest; each runs once however delivered", async () => {
      const plugin = three("fan", "*/5 * * * *");
      const { sent, queue } = capture();
      const { kernel, scheduler, at } = await setup([plugin], { dueIndex: false, queue, maxInlinePerAlarm: 1 });
      await kernel.enable(TENANT, "fan");
      expect(await scheduler.runTenant(TENANT, at("2026-01-05T00:05:00Z"))).toMatchObject({
        due: 3,
        ran: 1,
        enqueued: 2,
      });
      expect(sent.map((m) => m.kind === "task" && m.taskId)).toEqual(["fan.b", "fan.c"]);
      // Handed to the queue: the next alarm does not offer them again while the consumer has them.
      expect(await scheduler.runTenant(TENANT, at("2026-01-05T00:06:00Z"))).toMatchObject({ due: 0 });
      at("2026-01-05T00:06:10Z");
      for (const m of [...sent, ...sent]) await scheduler.handleMessage(m); // redelivered: still once
      expect(plugin.runs.map((r) => `${r.taskId} ${r.scheduledTime}`).sort()).toEqual([
        "fan.a 2026-01-05T00:05:00.000Z",
        "fan.b 2026-01-05T00:05:00.000Z",
        "fan.c 2026-01-05T00:05:00.000Z",
      ]);
      // The consumer's runs pointed each job at its next slot.
      expect(await scheduler.runTenant(TENANT, at("2026-01-05T00:10:00Z"))).toMatchObject({
        due: 3,
        ran: 1,
        enqueued: 2,
      });
    });

    it("a job whose queue message is lost comes due again when the queue's lease ends", async () => {
      const plugin = three("lost", "0 * * * *");
      const { sent, queue } = capture();
      const { kernel, scheduler, at, records } = await setup([plugin], {
        dueIndex: false,
        queue,
        maxInlinePerAlarm: 0,
      });
      await kernel.enable(TENANT, "lost");
      expect(await scheduler.runTenant(TENANT, at("2026-01-05T01:00:00Z"))).toMatchObject({ due: 3, enqueued: 3 });
      sent.length = 0; // never delivered
      expect(await scheduler.runTenant(TENANT, at("2026-01-05T01:04:00Z"))).toMatchObject({ due: 0 });
      expect(await scheduler.runTenant(TENANT, at("2026-01-05T01:05:00Z"))).toMatchObject({ due: 3, enqueued: 3 });
      for (const m of sent) await scheduler.handleMessage(m);
      expect(plugin.runs.map((r) => r.scheduledTime)).toEqual(Array(3).fill("2026-01-05T01:00:00.000Z"));
      expect((await records()).map((r) => r.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    });

    it("a queue that refuses the messages: the alarm runs the jobs itself, and says so", async () => {
      const plugin = three("refused", "0 * * * *");
      const queue = {
        send: () => Promise.reject(new Error("queue unavailable")),
        sendBatch: () => Promise.reject(new Error("queue unavailable")),
      };
      const { kernel, scheduler, at, logs } = await setup([plugin], { dueIndex: false, queue });
      await kernel.enable(TENANT, "refused");
      expect(await scheduler.runTenant(TENANT, at("2026-01-05T01:00:00Z"))).toMatchObject({
        due: 3,
        ran: 3,
        enqueued: 0,
      });
      expect(logs.filter((r) => r.level === "error").map((r) => [r.msg, r.error])).toEqual([
        ["alarm could not fan out to the queue; running the jobs here", "queue unavailable"],
      ]);
    });

    it("a slot skipped beside a run elsewhere moves the job's next look on: the alarm does not fire again at once", async () => {
      const plugin = daily("* * * * *", { timeoutSeconds: 600 })("busy");
      const { kernel, scheduler, at, records } = await setup([plugin], { dueIndex: false });
      await kernel.setConfig(TENANT, "busy", { cron: "* * * * *" });
      await kernel.enable(TENANT, "busy");
      const release = gate();
      plugin.behave = async () => {
        await release.opened;
        return { success: true };
      };
      const first = scheduler.runTenant(TENANT, at("2026-01-05T00:01:00Z"));
      await until(() => plugin.runs.length === 1, "the first run to start");
      expect(await scheduler.runTenant(TENANT, at("2026-01-05T00:02:00Z"))).toMatchObject({ ran: 0, skipped: 1 });
      // Without an index the skip leaves its mark in the job's state: nothing is due before 00:03.
      expect(await scheduler.runTenant(TENANT, at("2026-01-05T00:02:30Z"))).toMatchObject({ due: 0 });
      release.open();
      expect(await first).toMatchObject({ ran: 1 });
      await scheduler.runTenant(TENANT, at("2026-01-05T00:03:00Z"));
      await scheduler.runTenant(TENANT, at("2026-01-05T00:03:00Z"));
      expect(plugin.runs.map((r) => r.scheduledTime)).toEqual(["2026-01-05T00:01:00.000Z", "2026-01-05T00:03:00.000Z"]);
      const history = (await records()).sort((a, b) => a.scheduledTime!.localeCompare(b.scheduledTime!));
      expect(history.map((r) => [r.scheduledTime, r.status])).toEqual([
        ["2026-01-05T00:01:00.000Z", "succeeded"],
        ["2026-01-05T00:02:00.000Z", "skipped"],
        ["2026-01-05T00:03:00.000Z", "succeeded"],
      ]);
    });

    it("runTenant re-syncs a plugin deployed in a new version before running; syncIfStale finds what is stale", async () => {
      const task = (id: string): ScheduledTaskDefinition => ({
        taskId: `redeployed.${id}`,
        name: id,
        schedule: { cronExpression: "0 * * * *" },
      });
      const v1 = new TaskPlugin("redeployed", () => [task("a")]);
      const { kernel, driver, at } = await setup([v1], { dueIndex: false });
      await kernel.enable(TENANT, "redeployed");
      const v2 = new TaskPlugin("redeployed", () => [task("a"), task("b")]);
      Object.defineProperty(v2, "version", { value: "2.0.0" });
      const next = createKernel({ driver, masterKeys: generateMasterKey("k1"), plugins: [v2], now: kernel.now });
      const scheduler = createScheduler(next, { dueIndex: false });
      const report = await scheduler.runTenant(TENANT, at("2026-01-05T01:00:00Z"));
      expect(report).toMatchObject({ due: 1, ran: 1 });
      const version = async (id: string) =>
        JSON.parse((await driver.get(schedKeys.state(TENANT, `redeployed.${id}`)))!).pluginVersion;
      expect([await version("a"), await version("b")]).toEqual(["2.0.0", "2.0.0"]);
      expect(await scheduler.syncIfStale(TENANT)).toEqual([]);
      Object.defineProperty(v2, "version", { value: "2.1.0" });
      expect(await scheduler.syncIfStale(TENANT)).toEqual(["redeployed"]);
    });

    it("the tick is a safety net: a page of tenants per tick asked to re-arm, its cursor in one key", async () => {
      const tenants = Array.from({ length: 5 }, (_, i) => `88888888-8888-4888-8888-${String(i).padStart(12, "0")}`);
      const asked: string[] = [];
      const rearm = (tenantId: string) => {
        asked.push(tenantId);
        if (tenantId === tenants[3]) return Promise.reject(new Error("object unavailable"));
        return Promise.resolve({ rearmed: tenantId === tenants[1], synced: [] });
      };
      const { scheduler, driver, at, logs } = await setup([], {
        dueIndex: false,
        tenants,
        safetyNet: { rearm, tenantsPerTick: 2 },
      });
      driver.reset();
      const pages = [];
      for (const minute of ["01", "02", "03", "04"]) {
        pages.push((await scheduler.tick(at(`2026-01-05T00:${minute}:00Z`))).safetyNet);
      }
      expect(pages).toEqual([
        { tenants: 2, rearmed: 1, synced: 0, failed: 0, wrapped: false },
        { tenants: 2, rearmed: 0, synced: 0, failed: 1, wrapped: false },
        { tenants: 1, rearmed: 0, synced: 0, failed: 0, wrapped: true },
        { tenants: 2, rearmed: 1, synced: 0, failed: 0, wrapped: false },
      ]);
      expect(asked).toEqual([...tenants, tenants[0], tenants[1]]);
      // Per tick: the cursor read, one page listed, the cursor written (or deleted when the rotation wraps).
      expect(driver.counts).toEqual({ reads: 4, lists: 4, writes: 3, deletes: 1 });
      expect(logs.filter((r) => r.level !== "info" && r.level !== "debug").map((r) => [r.level, r.msg])).toEqual([
        ["warn", "safety net re-armed tenants whose alarm was missing"],
        ["error", "safety net: could not re-arm a tenant's alarm"],
        ["warn", "safety net re-armed tenants whose alarm was missing"],
      ]);
    });
  });

  describe("scale", () => {
    it("a tick touches nothing of idle tenants: its KV cost follows the jobs due", async () => {
      const plugin = new TaskPlugin("idle", (config) => [{
        taskId: "idle.sync",
        name: "Sync",
        schedule: { cronExpression: config.cron as string },
      }]);
      const tenants = Array.from({ length: 20 }, (_, i) => `66666666-6666-4666-8666-${String(i).padStart(12, "0")}`);
      const { kernel, driver, tick } = await setup([plugin], { tenants });
      for (const [i, t] of tenants.entries()) {
        await kernel.setConfig(t, "idle", { cron: i < 2 ? "0 3 * * *" : "0 6 * * *" });
        await kernel.enable(t, "idle");
      }
      driver.reset();
      expect(await tick("2026-01-05T02:00:00Z")).toMatchObject({ due: 0 });
      expect(driver.counts).toEqual({ reads: 0, writes: 0, lists: 1, deletes: 0 });
      driver.reset();
      expect(await tick("2026-01-05T03:00:00Z")).toMatchObject({ due: 2, ran: 2 });
      // Per run: state read, read again under the lock, re-read at the end (+ the tenant when
      // not cached); claim, lock, lease, history, index entry and final state written; the old
      // index entry and the lock deleted (compare-and-delete; a driver without it reads the lock's
      // holder first).
      expect(driver.counts.lists).toBe(1);
      expect(driver.counts.reads).toBeLessThanOrEqual(2 * (driver.deleteIfUnchanged ? 4 : 5));
      expect(driver.counts.writes).toBe(2 * 6);
      expect(driver.counts.deletes).toBe(2 * 2);
    });

    it("beyond maxInlinePerTick due jobs fan out through the queue; the consumer runs each once", async () => {
      const plugin = daily("*/5 * * * *")("fan");
      const tenants = [TENANT, TENANT_2, "55555555-5555-4555-8555-555555555555"];
      const sent: WorkMessage[] = [];
      const queue = {
        send: (m: WorkMessage) => Promise.resolve(void sent.push(m)),
        sendBatch: (ms: WorkMessage[]) => Promise.resolve(void sent.push(...ms)),
      };
      const { kernel, scheduler, tick, at } = await setup([plugin], { tenants, maxInlinePerTick: 1, queue });
      for (const t of tenants) {
        await kernel.setConfig(t, "fan", { cron: "*/5 * * * *" });
        await kernel.enable(t, "fan");
      }
      expect(await tick("2026-01-05T00:05:00Z")).toMatchObject({ due: 3, ran: 1, enqueued: 2, deferred: 0 });
      expect(sent).toHaveLength(2);
      expect(sent[0]).toMatchObject({ kind: "task", taskId: "fan.sync" });
      expect(await tick("2026-01-05T00:06:00Z")).toMatchObject({ due: 0, enqueued: 0 });
      at("2026-01-05T00:06:10Z");
      for (const m of [...sent, ...sent]) await scheduler.handleMessage(m); // redelivered: still once
      expect(plugin.runs.map((r) => r.tenantId).sort()).toEqual([...tenants].sort());
      expect(new Set(plugin.runs.map((r) => r.scheduledTime))).toEqual(new Set(["2026-01-05T00:05:00.000Z"]));
      expect(await tick("2026-01-05T00:09:00Z")).toMatchObject({ due: 0 });
      expect(await tick("2026-01-05T00:11:00Z")).toMatchObject({ due: 3, ran: 1, enqueued: 2 });
      expect(plugin.runs).toHaveLength(4);
    });

    it("without a queue, work over the ceiling waits for the next tick, oldest first", async () => {
      const plugin = daily("*/5 * * * *")("cap");
      const tenants = [TENANT, TENANT_2, "55555555-5555-4555-8555-555555555555"];
      const { kernel, tick } = await setup([plugin], { tenants, maxInlinePerTick: 2 });
      for (const t of tenants) {
        await kernel.setConfig(t, "cap", { cron: "*/5 * * * *" });
        await kernel.enable(t, "cap");
      }
      expect(await tick("2026-01-05T00:05:00Z")).toMatchObject({ due: 2, ran: 2, deferred: 1 });
      expect(await tick("2026-01-05T00:06:00Z")).toMatchObject({ due: 1, ran: 1, deferred: 0 });
      expect(plugin.runs.map((r) => r.scheduledTime)).toEqual(Array(3).fill("2026-01-05T00:05:00.000Z"));
    });
  });

  describe("health checks", () => {
    it("run every healthIntervalSeconds, keep history, and dispatch healthStatusChanged on a change", async () => {
      const monitor = new Monitor();
      const watcher = new Watcher();
      const { kernel, scheduler, tick } = await setup([monitor, watcher], { healthIntervalSeconds: 300 });
      await kernel.enable(TENANT, "watcher");
      await kernel.enable(TENANT, "monitor");
      monitor.script = ["healthy", "healthy", "unhealthy", "healthy"];
      const start = Date.parse("2026-01-05T00:01:00Z");
      for (let m = 0; m < 20; m++) await tick(ISO(start + m * 60_000));
      expect(monitor.calls).toHaveLength(4);
      expect(monitor.calls[0]!.signal).toBeDefined();
      expect(watcher.changes.map((c) => [c.previous, c.current])).toEqual([["healthy", "unhealthy"], [
        "unhealthy",
        "healthy",
      ]]);
      expect(watcher.changes[0]).toMatchObject({
        plugin: "monitor",
        checkType: "uptime",
        target: "https://site.example/",
      });
      const [view] = await scheduler.health(TENANT);
      expect(view).toMatchObject({ plugin: "monitor", checkType: "uptime", status: "healthy", uptime: 0.75 });
      expect(view!.history.map((r) => r.status)).toEqual(["healthy", "unhealthy", "healthy", "healthy"]);
      expect(view!.latest).toMatchObject({ latencyMs: 12, message: "it is healthy", details: { code: 200 } });
      const gaps = view!.history.slice(1).map((r, i) =>
        Date.parse(view!.history[i]!.checkedAt) - Date.parse(r.checkedAt)
      );
      expect(gaps).toEqual([300_000, 300_000, 300_000]);
      const changes = await kernel.history.list(TENANT, { kind: "health" });
      expect(changes.map((r) => r.reason)).toEqual([
        "status changed from unhealthy to healthy",
        "status changed from healthy to unhealthy",
      ]);
      expect(await scheduler.tasks(TENANT)).toEqual([]); // health cycles are not tasks
    });

    it("a fanned-out health message runs the tenant's cycle once, however often it is delivered", async () => {
      const monitor = new Monitor();
      const { kernel, scheduler, driver, at } = await setup([monitor]);
      await kernel.enable(TENANT, "monitor");
      const state = JSON.parse((await driver.get(schedKeys.state(TENANT, "monitor#health")))!);
      expect(state).toMatchObject({
        kind: "health",
        checks: [{ checkType: "uptime", target: "https://site.example/" }],
      });
      const message = { kind: "health" as const, tenantId: TENANT, plugin: "monitor", slot: ISO(state.nextDue) };
      at(ISO(state.nextDue - 60_000));
      await scheduler.handleMessage(message); // early: nothing is due yet
      expect(monitor.calls).toHaveLength(0);
      at(ISO(state.nextDue + 5_000));
      await scheduler.handleMessage(message);
      await scheduler.handleMessage(message);
      expect(monitor.calls).toHaveLength(1);
      await scheduler.handleMessage({ kind: "task", tenantId: "not-a-tenant", taskId: "x:y", slot: "" }); // dropped, logged
      await expect(scheduler.handleMessage({ kind: "event", tenantId: TENANT, eventId: "e1" })).rejects.toThrow(
        /cannot handle a "event" message/,
      );
    });

    it("a check that timed out aborts its own ctx.signal; the status change it causes is notified with a live one", async () => {
      const monitor = new Monitor();
      const watcher = new Watcher();
      const { kernel, scheduler } = await setup([monitor, watcher], { healthTimeoutSeconds: 0.05 });
      await kernel.enable(TENANT, "watcher");
      await kernel.enable(TENANT, "monitor");
      monitor.script = ["healthy", "hang"];
      await scheduler.runHealthCycle(TENANT);
      const [hung] = await scheduler.runHealthCycle(TENANT);
      expect(hung).toMatchObject({ status: "unhealthy", message: "timed out after 0.05 s" });
      expect(watcher.changes.map((c) => [c.previous, c.current])).toEqual([["healthy", "unhealthy"]]);
      // The page-someone call must not start with its signal already aborted by the check's time-out.
      expect(watcher.abortedOnArrival).toEqual([false]);
    });

    it("a health check that hangs or throws is unhealthy; runHealthCycle runs the checks now", async () => {
      const monitor = new Monitor();
      const { kernel, scheduler } = await setup([monitor], { healthTimeoutSeconds: 0.05 });
      await kernel.enable(TENANT, "monitor");
      monitor.script = ["hang", "throw", "bigint"];
      const [hung] = await scheduler.runHealthCycle(TENANT);
      expect(hung).toMatchObject({ status: "unhealthy", message: "timed out after 0.05 s", checkType: "uptime" });
      expect(monitor.calls[0]!.signal!.aborted).toBe(true);
      const [threw] = await scheduler.runHealthCycle(TENANT);
      expect(threw).toMatchObject({ status: "unhealthy", message: "connection refused" });
      const [garbage] = await scheduler.runHealthCycle(TENANT);
      expect(garbage).toMatchObject({ status: "unhealthy", message: expect.stringMatching(/cannot be read as JSON/) });
      const views = await scheduler.health(TENANT, { historyLimit: 1 });
      expect(views[0]!.history).toHaveLength(1);
      expect(views[0]!.uptime).toBe(0);
      // Disabled: not shown and not run; re-enabled: the history is still there.
      await kernel.disable(TENANT, "monitor");
      expect(await scheduler.health(TENANT)).toEqual([]);
      expect(await scheduler.runHealthCycle(TENANT)).toEqual([]);
      await kernel.enable(TENANT, "monitor");
      expect((await scheduler.health(TENANT))[0]!.history.map((r) => r.status)).toEqual([
        "unhealthy",
        "unhealthy",
        "unhealthy",
      ]);
    });
  });
}
