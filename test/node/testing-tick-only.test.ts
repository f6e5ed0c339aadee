/**
 * The harness's tick for one kind of job: a plugin with a task and a health check can test its
 * task's schedule without the health cycle's requests, and the other way round. And the fake
 * upstream's rule, as the guide states it: later routes win, so a `once` registered before a
 * general route never answers.
 */
import { describe, expect, it } from "vitest";
import {
  type HealthCheckDefinition,
  type HealthMonitorHooks,
  Plugin,
  type ScheduledTaskDefinition,
  type ScheduledTaskHooks,
  type TaskResult,
} from "../../src/index.ts";
import { createFakeUpstream, createTestKernel, respondWith } from "../../src/testing/index.ts";

const API = "https://api.example.com";

class Indexer extends Plugin implements ScheduledTaskHooks, HealthMonitorHooks {
  readonly name = "indexer";
  readonly version = "1.0.0";
  registerScheduledTasks(): ScheduledTaskDefinition[] {
    return [{ taskId: "indexer.reindex", name: "Reindex", schedule: { cronExpression: "0 6 * * *" } }];
  }
  async executeScheduledTask(): Promise<TaskResult> {
    const res = await this.fetch(`${API}/reindex`, { method: "POST" });
    await res.body?.cancel();
    return { success: res.ok };
  }
  registerHealthChecks(): HealthCheckDefinition[] {
    return [{ checkType: "api", target: `${API}/health` }];
  }
  async executeHealthCheck(_ctx: unknown, _type: string, target: string) {
    const res = await this.fetch(target);
    await res.body?.cancel();
    return { status: res.ok ? "healthy" as const : "unhealthy" as const };
  }
}

const setup = async () => {
  const t = await createTestKernel({
    plugins: [new Indexer()],
    clock: "2026-01-01T00:00:00Z",
    tenants: [{ plugins: { indexer: {} } }],
  });
  t.upstream.on("POST", `${API}/reindex`, respondWith(200, {}));
  t.upstream.on("GET", `${API}/health`, respondWith(200, {}));
  return t;
};

describe("t.tick with only", () => {
  it("a plain tick runs the health cycle too", async () => {
    const t = await setup();
    await t.tick("2026-01-01T05:59:00Z");
    expect(t.upstream.requestsTo("GET", `${API}/health`)).toHaveLength(1);
  });

  it("only: 'tasks' runs due tasks and leaves the health cycle for a later tick", async () => {
    const t = await setup();
    await t.tick("2026-01-01T05:59:00Z", { only: "tasks" });
    expect(t.upstream.requests).toHaveLength(0); // not due yet, and no health check
    const report = await t.tick("2026-01-01T06:00:00Z", { only: "tasks" });
    expect(report).toMatchObject({ ran: 1, swept: 0 });
    expect(t.upstream.requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${API}/reindex`]);
    await t.tick("2026-01-01T06:01:00Z"); // a plain tick: the health cycle that was left due runs now
    expect(t.upstream.requestsTo("GET", `${API}/health`)).toHaveLength(1);
  });

  it("only: 'health' runs the health cycle alone; { at } may stand for the date", async () => {
    const t = await setup();
    await t.tick({ at: "2026-01-01T06:00:00Z", only: "health" });
    expect(t.upstream.requests.map((r) => `${r.method} ${r.url}`)).toEqual([`GET ${API}/health`]);
    expect(t.clock.date().toISOString()).toBe("2026-01-01T06:00:00.000Z");
  });
});

describe("the fake upstream", () => {
  it("answers a Response route with a fresh copy each time, whose body may be cancelled unread", async () => {
    const upstream = createFakeUpstream();
    upstream.on("GET", `${API}/x`, respondWith(200, { ok: true }, { "x-kind": "fake" }));
    const first = await upstream.fetch(`${API}/x`);
    await first.body?.cancel(); // a tee'd clone would wait here for the other branch forever
    const second = await upstream.fetch(`${API}/x`);
    expect(second.status).toBe(200);
    expect(second.headers.get("x-kind")).toBe("fake");
    expect(await second.json()).toEqual({ ok: true });
    expect(await (await upstream.fetch(`${API}/x`)).json()).toEqual({ ok: true });
  });

  it("later routes win: a once() before on() never answers, a once() after it answers first", async () => {
    const upstream = createFakeUpstream();
    upstream.once("GET", `${API}/x`, respondWith(503));
    upstream.on("GET", `${API}/x`, respondWith(200));
    expect((await upstream.fetch(`${API}/x`)).status).toBe(200);
    expect((await upstream.fetch(`${API}/x`)).status).toBe(200);
    upstream.once("GET", `${API}/x`, respondWith(503));
    expect((await upstream.fetch(`${API}/x`)).status).toBe(503);
    expect((await upstream.fetch(`${API}/x`)).status).toBe(200);
  });
});
