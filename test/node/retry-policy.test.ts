/**
 * What is retried, and when (DESIGN §6): a PluginError is the plugin's verdict and final at once;
 * any other error is retried after a jittered backoff, so tenants that failed in the same outage
 * do not all retry in the same instant.
 */
import { describe, expect, it, vi } from "vitest";
import { type ContentEvent, createEventProcessor, RetryLaterError } from "../../src/events/index.ts";
import {
  type Content,
  type ContentLifecycleHooks,
  Plugin,
  PluginError,
  type ScheduledTaskDefinition,
  type ScheduledTaskHooks,
  type TaskResult,
} from "../../src/index.ts";
import { createKernel, createScheduler, type ExecutionRecord } from "../../src/entries/runtime.ts";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import type { WorkMessage } from "../../src/queue.ts";
import { backoffDelay } from "../../src/timing/backoff.ts";
import { DeadlineExceeded, startDeadline, withinDeadline } from "../../src/timing/deadline.ts";

const TENANT = "0b7c9a52-3d5e-4f61-8a2b-c0ffee000015";

/** Fails every call: with a PluginError when `verdict`, else with a plain (transient) error. */
class Failing extends Plugin implements ContentLifecycleHooks, ScheduledTaskHooks {
  readonly version = "1.0.0";
  calls = 0;
  constructor(readonly name: string, readonly verdict: boolean) {
    super();
  }
  contentPublished(_ctx: unknown, _id: string, _content: Content): void {
    this.calls++;
    throw this.verdict ? new PluginError("content.path is not a page") : new Error("upstream 503");
  }
  registerScheduledTasks(): ScheduledTaskDefinition[] {
    return [{
      taskId: `${this.name}.sync`,
      name: "Sync",
      schedule: { cronExpression: "0 6 * * *" },
      maxRetries: 3,
    }];
  }
  executeScheduledTask(): Promise<TaskResult> {
    this.calls++;
    return Promise.reject(this.verdict ? new PluginError("the site is not verified") : new Error("upstream 503"));
  }
}

function tenantId(i: number): string {
  return `0b7c9a52-3d5e-4f61-8a2b-${String(i).padStart(12, "0")}`;
}

const event = (id: string, tenantId = TENANT): ContentEvent => ({
  id,
  tenantId,
  type: "content.published",
  timestamp: "2026-11-24T00:00:00Z",
  contentId: "post-1",
  content: { title: "t" },
  receivedAt: "2026-11-24T00:00:00Z",
});

async function setup(tenants: string[], random?: () => number) {
  let time = Date.parse("2026-11-24T05:59:30Z");
  const verdict = new Failing("verdict", true);
  const transient = new Failing("transient", false);
  const kernel = createKernel({
    driver: createMemoryDriver({ now: () => time }),
    plugins: [verdict, transient],
    now: () => time,
    log: { level: "error", sink: () => {} }, // the hooks fail on purpose: their error logs are not the subject
  });
  const scheduler = createScheduler(kernel, { random: () => 0 });
  for (const [i, id] of tenants.entries()) {
    await kernel.putTenant(id, { slug: `t${i}`, plan: "free" });
    await kernel.enable(id, "verdict");
    await kernel.enable(id, "transient");
  }
  const sent: WorkMessage[] = [];
  const queue = { send: (m: WorkMessage) => Promise.resolve(void sent.push(m)) };
  const events = createEventProcessor(kernel, { queue, ...(random ? { random } : {}) });
  const at = (iso: string) => (time = Date.parse(iso));
  return { kernel, scheduler, events, sent, verdict, transient, at };
}

/** A seeded generator in [0, 1): the same spread on every run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const summary = (records: ExecutionRecord[]) =>
  records.map((r) => [r.plugin, r.attempt, r.status, r.final, r.error]).sort((a, b) =>
    String(a[0]).localeCompare(String(b[0])) || Number(a[1]) - Number(b[1])
  );

describe("a PluginError is permanent", () => {
  it("from an action hook: final 'failed' with its message at the first attempt; other errors are retried", async () => {
    const t = await setup([TENANT], () => 0);
    await t.events.accept(event("e1"));
    const [verdict, message] = ["verdict", "transient"].map((p) =>
      t.sent.find((m) => m.kind === "event" && m.plugin === p)!
    );
    await t.events.handleMessage(verdict!); // final at once: its message is acked
    const retry = await t.events.handleMessage(message!).catch((e: unknown) => e);
    expect(retry).toBeInstanceOf(RetryLaterError); // for the transient failure only
    await t.events.handleMessage(message!).catch(() => {});
    await t.events.handleMessage(message!); // the third attempt is final
    expect(t.verdict.calls).toBe(1);
    expect(t.transient.calls).toBe(3);
    expect(summary(await t.kernel.history.list(TENANT, { kind: "hook" }))).toEqual([
      ["transient", 1, "retrying", false, "upstream 503"],
      ["transient", 2, "retrying", false, "upstream 503"],
      ["transient", 3, "failed", true, "upstream 503"],
      ["verdict", 1, "failed", true, "content.path is not a page"],
    ]);
  });

  it("from a scheduled task: final at the first attempt whatever maxRetries allows", async () => {
    const t = await setup([TENANT]);
    for (const minute of ["06:00", "06:05", "06:15", "06:30"]) {
      t.at(`2026-11-24T${minute}:00Z`);
      await t.scheduler.tick(new Date(`2026-11-24T${minute}:00Z`));
    }
    expect(t.verdict.calls).toBe(1);
    expect(t.transient.calls).toBe(4); // the first attempt and its three retries
    const records = await t.kernel.history.list(TENANT, { kind: "task" });
    expect(summary(records.filter((r) => r.plugin === "verdict"))).toEqual([
      ["verdict", 1, "failed", true, "the site is not verified"],
    ]);
    expect(records.filter((r) => r.plugin === "transient" && r.final).map((r) => r.attempt)).toEqual([4]);
  });
});

describe("one jittered backoff", () => {
  it("keeps every wait within its bounds, doubling per retry up to the cap", () => {
    for (const r of [0, 0.25, 0.5, 0.999]) {
      const equal = [1, 2, 3, 4, 5].map((n) =>
        backoffDelay(n, { baseDelayMs: 1000, maxDelayMs: 5000, random: () => r })
      );
      const above = [1, 2, 3, 4, 5].map((n) =>
        backoffDelay(n, { baseDelayMs: 1000, maxDelayMs: 5000, jitter: [1, 1.5], random: () => r })
      );
      [1000, 2000, 4000, 5000, 5000].forEach((step, i) => {
        expect(equal[i]).toBeGreaterThanOrEqual(step / 2);
        expect(equal[i]).toBeLessThanOrEqual(step);
        expect(above[i]).toBeGreaterThanOrEqual(step);
        expect(above[i]).toBeLessThanOrEqual(step * 1.5);
      });
    }
    expect(backoffDelay(3, { baseDelayMs: 1000, maxDelayMs: 60_000, random: () => 0.5 })).toBe(3000);
  });

  it("spreads the event retries of many tenants that failed together, within [step, 1.5 × step]", async () => {
    const tenants = Array.from({ length: 40 }, (_, i) => tenantId(i + 1));
    const t = await setup(tenants, seeded(15));
    for (const id of tenants) await t.events.accept(event(`outage-${id}`, id));
    const first: number[] = [];
    const second: number[] = [];
    for (const message of t.sent.filter((m) => m.kind === "event" && m.plugin === "transient")) {
      for (const delays of [first, second]) {
        const error = await t.events.handleMessage(message).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RetryLaterError);
        delays.push((error as RetryLaterError).delaySeconds);
      }
    }
    for (const d of first) expect(d).toBeGreaterThanOrEqual(30), expect(d).toBeLessThanOrEqual(45);
    for (const d of second) expect(d).toBeGreaterThanOrEqual(60), expect(d).toBeLessThanOrEqual(90);
    // Forty tenants, not forty retries in one instant: at least 10 distinct seconds in each round.
    expect(new Set(first).size).toBeGreaterThanOrEqual(10);
    expect(new Set(second).size).toBeGreaterThanOrEqual(10);
  });
});

describe("one deadline", () => {
  it("aborts its signal and gives up waiting at the limit; a caller's abort is passed on and is not a time-out", async () => {
    vi.useFakeTimers();
    try {
      const never = { then: () => {} }; // a hand-made thenable that never settles
      const limited = startDeadline(1000, { message: "timed out after 1 s" });
      const raced = limited.race(never).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(999);
      expect(limited.signal.aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(limited.expired).toBe(true);
      expect(limited.signal.reason).toBeInstanceOf(DeadlineExceeded);
      expect(await raced).toMatchObject({ name: "TimeoutError", message: "timed out after 1 s", timeoutMs: 1000 });

      const caller = new AbortController();
      const child = startDeadline(1000, { signal: caller.signal });
      caller.abort(new Error("user cancelled"));
      expect(child.signal.reason).toMatchObject({ message: "user cancelled" });
      await vi.advanceTimersByTimeAsync(2000);
      expect(child.expired).toBe(false);

      const cleared = startDeadline(1000);
      cleared.clear();
      await vi.advanceTimersByTimeAsync(2000);
      expect(cleared.signal.aborted).toBe(false);

      expect(await withinDeadline(7, 1)).toBe(7); // not a thenable: in time, no timer
      const late = withinDeadline(new Promise(() => {}), 50).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(50);
      expect(await late).toMatchObject({ message: "timed out after 50 ms" });
    } finally {
      vi.useRealTimers();
    }
  });
});
