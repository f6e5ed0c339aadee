/**
 * Ticks that come duplicated, late, concurrently from two isolates, from a third whose clock is
 * 45 s ahead, or not at all, over tasks that succeed, fail and retry, time out, or return
 * garbage. The invariant at risk (DESIGN §6): every (tenant, task, slot) yields exactly one final
 * record (ran, skipped with a reason, or failed after retries), and a slot without a record of
 * its own was coalesced into a later run that names it. (The ±6 min skew of a webhook sender is
 * in clock-skew.test.ts.)
 */
import { afterEach, describe, expect, it } from "vitest";
import type { HookContext, TaskExecutionContext } from "../../src/context.ts";
import type { ScheduledTaskDefinition, TaskResult } from "../../src/hooks.ts";
import { Plugin } from "../../src/plugin.ts";
import { schedKeys } from "../../src/scheduler/keys.ts";
import type { ExecutionRecord } from "../../src/store/history.ts";
import { createFakeClock } from "../../src/testing/clock.ts";
import { seededRandom } from "./faulty-driver.ts";
import { GARBAGE } from "./plugins.ts";
import { Rig, START, type TenantHandle } from "./rig.ts";

const MINUTE = 60_000;
/**
 * How far ahead the third isolate's clock runs. Leases are wall clock (timeoutSeconds + 60 s):
 * a skew beyond the shortest lease here (the 1 s "hang" task: 61 s) lets an isolate declare a
 * live run lost, which RELIABILITY.md lists as the bound. 45 s stays inside it.
 */
const SKEW_MS = Number(process.env.SKEW_MS ?? 45_000);
/** Share of minutes in which the skewed isolate ticks too. */
const SKEWED_TICKS = Number(process.env.SKEWED_TICKS ?? 0.1);

/** Four tasks: steady, flaky (30% failures, 2 retries), garbage results, and a hang past its limit. */
class Chores extends Plugin {
  readonly name = "chores";
  readonly version = "1.0.0";
  readonly runs: string[] = [];
  constructor(readonly random: () => number) {
    super();
  }
  registerScheduledTasks(_ctx: HookContext): ScheduledTaskDefinition[] {
    return [
      { taskId: "chores.steady", name: "Steady", schedule: { cronExpression: "* * * * *" } },
      { taskId: "chores.flaky", name: "Flaky", schedule: { cronExpression: "*/2 * * * *" }, maxRetries: 2 },
      { taskId: "chores.garbage", name: "Garbage", schedule: { cronExpression: "*/3 * * * *" }, maxRetries: 0 },
      {
        taskId: "chores.hang",
        name: "Hang",
        schedule: { cronExpression: "*/20 * * * *" },
        maxRetries: 0,
        timeoutSeconds: 1,
      },
    ];
  }
  executeScheduledTask(
    task: ScheduledTaskDefinition,
    ctx: HookContext,
    exec: TaskExecutionContext,
  ): Promise<TaskResult> {
    this.runs.push(`${ctx.tenantId}|${task.taskId}|${exec.scheduledTime.toISOString()}|${exec.attempt}`);
    switch (task.taskId) {
      case "chores.flaky":
        return this.random() < 0.3 ? Promise.reject(new Error("flaky failed")) : Promise.resolve({ success: true });
      case "chores.garbage": {
        const kinds = ["proxy that throws on every access", "bigint", "circular object", "number", "string"];
        return Promise.resolve(GARBAGE[kinds[this.runs.length % kinds.length]!]!() as TaskResult);
      }
      case "chores.hang":
        return new Promise(() => {});
      default:
        return Promise.resolve({ success: true, data: { n: this.runs.length } });
    }
  }
}

let rigs: Rig[] = [];
afterEach(() => {
  for (const r of rigs) r.expectNoSecretLeak();
  rigs = [];
});

/** Task records grouped per (tenant, task, slot); finals counted. */
function bySlot(records: ExecutionRecord[]) {
  const slots = new Map<string, ExecutionRecord[]>();
  for (const r of records.filter((r) => r.kind === "task")) {
    const key = `${r.name}|${r.scheduledTime}`;
    slots.set(key, [...(slots.get(key) ?? []), r]);
  }
  return slots;
}

describe("ticks: duplicated, late, missing, concurrent, skewed", () => {
  it(
    "90 minutes of duplicated, late, missing, concurrent and skewed ticks from 3 isolates: each slot one final record, missed slots coalesced",
    async () => {
      const random = seededRandom(2026);
      const clock = createFakeClock(START);
      const skewedClock = createFakeClock(START);
      const plugins = [new Chores(random), new Chores(random), new Chores(random)];
      const a = new Rig({ plugins: () => [plugins[0]!], clock });
      const b = new Rig({ plugins: () => [plugins[1]!], clock, driver: a.driver });
      // The third isolate's clock runs SKEW_MS ahead.
      const c = new Rig({ plugins: () => [plugins[2]!], clock: skewedClock, driver: a.driver });
      rigs = [a, b, c];
      const tenants: TenantHandle[] = [];
      for (let i = 0; i < 3; i++) tenants.push(await a.tenant(["chores"]));

      const start = clock.now();
      const pattern = { missing: 0, duplicated: 0, late: 0, concurrent: 0, skewed: 0 };
      for (let minute = 1; minute <= 90; minute++) {
        const base = start + minute * MINUTE;
        const roll = random();
        if (roll < 0.15) {
          pattern.missing++;
          continue;
        }
        const lateBy = roll < 0.35 ? Math.floor(random() * 55_000) : 0;
        if (lateBy) pattern.late++;
        clock.set(base + lateBy);
        skewedClock.set(base + lateBy + SKEW_MS);
        const ticks: Promise<unknown>[] = [a.runtime.tick()];
        if (random() < 0.25) {
          pattern.duplicated++;
          ticks.push(a.runtime.tick());
        }
        if (random() < 0.3) {
          pattern.concurrent++;
          ticks.push(b.runtime.tick());
        }
        if (random() < SKEWED_TICKS) {
          pattern.skewed++;
          ticks.push(c.runtime.tick());
        }
        const outcomes = (await Promise.all(ticks)) as { errors: string[] }[];
        for (const o of outcomes) expect(o.errors).toEqual([]);
      }
      // Let retries and leases settle: a few quiet, regular ticks past the end.
      for (let i = 0; i < 30; i++) {
        clock.advance(MINUTE);
        await a.runtime.tick();
      }
      expect(Object.values(pattern).every((n) => n > 0), JSON.stringify(pattern)).toBe(true);

      const end = start + 90 * MINUTE;
      for (const tenant of tenants) {
        const records = await a.records(tenant.id);
        const slots = bySlot(records);
        for (const [slot, list] of slots) {
          // Slots of the 30 settling minutes may still have a retry pending when the run stops.
          if (Date.parse(slot.split("|")[1]!) > end) continue;
          const finals = list.filter((r) => r.final);
          expect(
            finals,
            `${tenant.id} ${slot}: ${JSON.stringify(list.map((r) => [r.status, r.reason, r.error, r.id, r.at]))}`,
          )
            .toHaveLength(1);
          // One record per attempt (a retry given up for the next slot closes its last attempt again).
          const attempts = list.filter((r) => !/^gave up/.test(r.reason ?? "")).map((r) => r.attempt ?? 1);
          expect(new Set(attempts).size, `${slot}: ${JSON.stringify(list.map((r) => [r.status, r.attempt, r.reason]))}`)
            .toBe(attempts.length);
        }
        // Every scheduled minute up to the end is accounted for: its own record, or coalesced into a
        // later run whose reason names where the gap began, or skipped while a run held the lease.
        for (const task of ["chores.steady", "chores.flaky", "chores.garbage"] as const) {
          const every = task === "chores.steady" ? 1 : task === "chores.flaky" ? 2 : 3;
          const own = new Set(
            [...slots.keys()].filter((k) => k.startsWith(`${task}|`)).map((k) => Date.parse(k.split("|")[1]!)),
          );
          const coalesced = records.filter((r) =>
            r.name === task && /coalesced the missed slots since (\S+)/.test(r.reason ?? "")
          )
            .map((r) => ({ from: Date.parse(/since (\S+)/.exec(r.reason!)![1]!), to: Date.parse(r.scheduledTime!) }));
          for (let t = start + MINUTE; t <= end; t += MINUTE) {
            if (new Date(t).getUTCMinutes() % every) continue;
            const covered = own.has(t) || coalesced.some((g) => g.from <= t && t < g.to);
            expect(covered, `${task} slot ${new Date(t).toISOString()} has no record and was not coalesced`).toBe(true);
          }
        }
        const finals = records.filter((r) => r.kind === "task" && r.final);
        const garbage = finals.filter((r) => r.name === "chores.garbage");
        expect(garbage.filter((r) => r.status === "failed").length).toBeGreaterThan(0);
        expect(garbage.every((r) => r.status === "failed" || r.status === "skipped")).toBe(true);
        // Refused as results when they come back, not discovered later as a lease that ran out.
        for (const r of garbage.filter((r) => r.status === "failed")) expect(r.error).not.toMatch(/lease ran out/);
        expect(
          finals.filter((r) => r.name === "chores.hang").every((r) =>
            r.status === "timed_out" || r.status === "skipped"
          ),
        )
          .toBe(true);
      }
      // Each (tenant, task, slot, attempt) ran at most once, across all three isolates.
      const runs = plugins.flatMap((p) => p.runs);
      expect(runs.length).toBe(new Set(runs).size);
    },
    120_000,
  );
});

/** Runs until released: a task whose run spans the next slot. */
class LongChore extends Plugin {
  readonly name = "long";
  readonly version = "1.0.0";
  release: () => void = () => {};
  runs = 0;
  registerScheduledTasks(_ctx: HookContext): ScheduledTaskDefinition[] {
    return [{ taskId: "long.minute", name: "Long", schedule: { cronExpression: "* * * * *" }, maxRetries: 1 }];
  }
  executeScheduledTask(): Promise<TaskResult> {
    this.runs++;
    return new Promise((resolve) => (this.release = () => resolve({ success: true })));
  }
}

describe("a run that spans the next slot", () => {
  // Was a known bug, pinned with `it.fails`: fixed by the run lock being the truth about a run
  // in progress (a tick that skips a slot no longer writes the job's state).
  it("a tick recording the skipped slot while the run finishes does not bring the finished run's lease back", async () => {
    const clock = createFakeClock(START);
    const pa = new LongChore();
    const pb = new LongChore();
    const a = new Rig({ plugins: () => [pa], clock });
    const b = new Rig({ plugins: () => [pb], clock, driver: a.driver });
    rigs = [a, b];
    const tenant = await a.tenant(["long"]);
    clock.set(Date.parse(START) + MINUTE);
    const first = a.runtime.tick(); // runs the 06:01 slot, and waits inside the task
    await new Promise((r) => setTimeout(r, 50));
    expect(pa.runs).toBe(1);
    // 06:02: the run still holds its lease, so isolate B records 06:02 as skipped. Its state
    // write is slow (a KV put that takes 200 ms) and lands after A's final write.
    clock.set(Date.parse(START) + 2 * MINUTE);
    a.driver.inject({ ops: ["put"], key: /^sched:state:/, delayMs: 200, times: 1 });
    const second = b.runtime.tick();
    await new Promise((r) => setTimeout(r, 50));
    pa.release();
    await Promise.all([first, second]);
    // Regular ticks until well past the lease (timeout 300 s + 60 s grace).
    for (let i = 0; i < 12; i++) {
      clock.advance(MINUTE);
      const ticking = a.runtime.tick();
      await new Promise((r) => setTimeout(r, 10));
      pa.release();
      pb.release();
      await ticking;
    }
    const slots = bySlot(await a.records(tenant.id));
    const slot0601 = slots.get(`long.minute|${new Date(Date.parse(START) + MINUTE).toISOString()}`)!;
    expect(slot0601.map((r) => [r.status, r.final, r.reason ?? null])).toEqual([["succeeded", true, null]]);
    for (const [slot, list] of slots) expect(list.filter((r) => r.final), slot).toHaveLength(1);
  });
});

/** A five-minute task; with `failFirst`, the first attempt fails and one retry is allowed. */
class QuickChore extends Plugin {
  readonly name = "quick";
  readonly version = "1.0.0";
  runs: string[] = [];
  constructor(readonly failFirst: boolean) {
    super();
  }
  registerScheduledTasks(_ctx: HookContext): ScheduledTaskDefinition[] {
    const schedule = { cronExpression: "*/5 * * * *" };
    return [{ taskId: "quick.five", name: "Five", schedule, timeoutSeconds: 60, maxRetries: 1 }];
  }
  executeScheduledTask(_t: ScheduledTaskDefinition, _c: HookContext, exec: TaskExecutionContext): Promise<TaskResult> {
    this.runs.push(`${exec.scheduledTime.toISOString()}|${exec.attempt}`);
    return Promise.resolve({ success: !(this.failFirst && this.runs.length === 1) });
  }
}

describe("a run whose outcome cannot be written", () => {
  // [what fails to write, the keys it matches, first attempt fails, whether the run keeps its lock]
  const cases = [
    ["its final record", /^hist:/, false, true],
    ["the job's state after its final record", /^sched:state:/, false, false],
    ["its first attempt's record", /^hist:/, true, true],
    ["the job's state holding its retry", /^sched:state:/, true, true],
  ] as const;
  for (const [what, key, failFirst, keepsLock] of cases) {
    it(`${what} fails to write: the slot still ends with exactly one final record`, async () => {
      const clock = createFakeClock(START);
      const plugin = new QuickChore(failFirst);
      const rig = new Rig({ plugins: () => [plugin], clock });
      rigs = [rig];
      const tenant = await rig.tenant(["quick"]);
      const at = (minutes: number) => Date.parse(START) + minutes * MINUTE;
      clock.set(at(5) + 5_000);
      // One write fails, the first matching one after the 06:05 run: the run happened, its outcome is not written.
      const put = rig.driver.put.bind(rig.driver);
      let failed = false;
      rig.driver.put = (k, v, o) => {
        if (failed || plugin.runs.length === 0 || !key.test(k)) return put(k, v, o);
        failed = true;
        return Promise.reject(new Error("KV 503"));
      };
      await rig.runtime.tick();
      rig.driver.put = put;
      expect(failed).toBe(true);
      expect(plugin.runs).toEqual([`${new Date(at(5)).toISOString()}|1`]);
      const lock = await rig.driver.inner.get(schedKeys.lock(tenant.id, "quick.five"));
      expect(lock !== null).toBe(keepsLock); // kept until its lease ends, unless the final record is written
      await rig.runtime.tick(); // the same minute again: nothing runs twice
      expect(plugin.runs).toHaveLength(1);
      for (let m = 6; m <= 15; m++) {
        clock.set(at(m) + 5_000);
        await rig.runtime.tick();
      }
      const slots = bySlot(await rig.records(tenant.id));
      for (const [slot, list] of slots) expect(list.filter((r) => r.final), slot).toHaveLength(1);
      const slot0605 = slots.get(`quick.five|${new Date(at(5)).toISOString()}`) ?? [];
      expect(slot0605.filter((r) => r.final)).toHaveLength(1);
      expect(slots.size).toBe(3); // 06:05, 06:10, 06:15
    });
  }
});
