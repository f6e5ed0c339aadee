/**
 * @dvp/kernel/testing on every runtime a plugin author may test on: the harness uses web APIs
 * only, so the same plugin test runs on Node, inside workerd and under Deno.
 */
import {
  type Content,
  type ContentFilterHooks,
  type ContentLifecycleHooks,
  type HealthCheckDefinition,
  type HealthCheckResult,
  type HealthMonitorHooks,
  type HookContext,
  Plugin,
  PluginError,
  type ScheduledTaskDefinition,
  type ScheduledTaskHooks,
  type TaskExecutionContext,
  type TaskResult,
} from "../../src/index.ts";
import {
  createTestKernel,
  hookContext,
  lintPlugin,
  respondWith,
  taskContext,
  TEST_TENANT_ID,
  validateConfig,
} from "../../src/testing/index.ts";
import type { Harness } from "./harness.ts";

const API = "https://api.example.com";

class Probe extends Plugin
  implements ContentLifecycleHooks, ContentFilterHooks, ScheduledTaskHooks, HealthMonitorHooks {
  readonly name = "probe";
  readonly version = "1.0.0";
  override description = "Exercises every hook the harness drives";
  override author = "Tests";
  override kernelVersion = "^1.0.0";
  override CONFIG_SCHEMA = {
    type: "object",
    properties: {
      site: { type: "string", title: "Site" },
      limit: { type: "integer", title: "Limit", default: 10, minimum: 1 },
    },
    required: ["site"],
  } as const;
  override SECRETS_SCHEMA = { type: "object", properties: { api_token: { type: "string", title: "Token" } } } as const;

  async contentPublished(ctx: HookContext, contentId: string, content: Content): Promise<void> {
    const token = (await this.getSecrets(ctx.tenantId)).require("api_token");
    const res = await this.fetch(`${API}/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ id: contentId, domain: content.domain }),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`); // a plain Error: the kernel retries it (a PluginError would be final)
    this.logger.info(`published ${contentId}`, { tenant_id: ctx.tenantId });
  }

  beforeContentCreate(ctx: HookContext, content: Content): Content {
    if (ctx.tenantPlan === "free" && content.premium === true) throw new PluginError("premium content needs pro");
    return { ...content, probed: true };
  }

  registerScheduledTasks(): ScheduledTaskDefinition[] {
    return [{ taskId: "probe.hourly", name: "Hourly", schedule: { cronExpression: "0 * * * *" }, maxRetries: 0 }];
  }

  async executeScheduledTask(
    _t: ScheduledTaskDefinition,
    ctx: HookContext,
    exec: TaskExecutionContext,
  ): Promise<TaskResult> {
    const res = await this.fetch(`${API}/items`, { signal: exec.signal });
    const { items } = await res.json() as { items: number[] };
    await this.storage(ctx.tenantId).put("count", items.length);
    return { success: true, data: { items: items.length, slot: exec.scheduledTime.toISOString() } };
  }

  async registerHealthChecks(ctx: HookContext): Promise<HealthCheckDefinition[]> {
    const { site } = await this.getConfig(ctx.tenantId) as { site: string };
    return [{ checkType: "http", target: site }];
  }

  async executeHealthCheck(_ctx: HookContext, _type: string, target: string): Promise<HealthCheckResult> {
    const res = await this.fetch(`https://${target}/`);
    return { status: res.ok ? "healthy" : "unhealthy", message: `HTTP ${res.status}` };
  }
}

function probeKernel(plan: "free" | "pro" = "pro") {
  return createTestKernel({
    plugins: [new Probe()],
    clock: "2026-02-01T09:30:00Z",
    tenants: [{
      plan,
      plugins: { probe: { config: { site: "example.com" }, secrets: { api_token: "tok-9876543210" } } },
    }],
  });
}

export function testingSuite(t: Harness): void {
  const { describe, it, expect } = t;

  describe(`@dvp/kernel/testing on ${t.runtime}`, () => {
    it("validates config and lints the plugin without a kernel", () => {
      expect(validateConfig(new Probe(), {}).errors).toEqual([{ path: "/site", message: "is required" }]);
      expect(validateConfig(new Probe(), { site: "a.example" }).value).toEqual({ site: "a.example", limit: 10 });
      expect(lintPlugin(new Probe())).toEqual([]);
    });

    it("makes frozen contexts with valid UUIDs and a working AbortSignal", () => {
      const ctx = hookContext();
      expect(ctx.tenantId).toBe(TEST_TENANT_ID);
      expect(Object.isFrozen(ctx)).toBe(true);
      const exec = taskContext();
      expect(exec.signal.aborted).toBe(false);
      exec.abort();
      expect(exec.signal.aborted).toBe(true);
    });

    it("publishes through dispatch to the fake upstream, with secrets decrypted and never logged", async () => {
      const k = await probeKernel();
      k.upstream.on("POST", `${API}/events`, respondWith(202, {}));
      const { outcomes } = await k.publish(k.tenantId, "c-1", { domain: "example.com" });
      expect(outcomes.map((o) => [o.plugin, o.status])).toEqual([["probe", "ok"]]);
      expect(k.upstream.requests[0]?.headers.get("authorization")).toBe("Bearer tok-9876543210");
      expect(k.upstream.requests[0]?.json).toEqual({ id: "c-1", domain: "example.com" });
      expect(k.logs.find({ plugin: "probe", msg: "published c-1" })).toHaveLength(1);

      k.upstream.on("POST", `${API}/events`, respondWith(500));
      const failed = await k.publish(k.tenantId, "c-2", {});
      expect(failed.outcomes.map((o) => [o.status, o.error])).toEqual([["failed", "HTTP 500"]]);
      expect(k.logs.text()).not.toContain("tok-9876543210");
    });

    it("delivers an event through the durable pipeline: deduplicated, recorded, retried by the tick", async () => {
      const k = await probeKernel();
      let answer = 503;
      k.upstream.on("POST", `${API}/events`, () => respondWith(answer, {}));
      const first = await k.deliver(k.tenantId, { contentId: "c-9", content: { domain: "example.com" }, id: "msg_1" });
      expect(first.status).toBe("accepted");
      expect(first.records.map((r) => [r.plugin, r.status, r.final, r.attempt])).toEqual([
        ["probe", "retrying", false, 1],
      ]);
      // The same webhook-id again: a duplicate, nothing runs.
      expect((await k.deliver(k.tenantId, { contentId: "c-9", id: "msg_1" })).status).toBe("duplicate");
      expect(k.upstream.requestsTo("POST", `${API}/events`)).toHaveLength(1);
      // Not due yet (the first retry waits 30 s), then due, and the upstream has recovered.
      expect((await k.tick(k.clock.now() + 10_000)).swept).toBe(0);
      answer = 202;
      expect((await k.tick(k.clock.now() + 30_000)).swept).toBe(1);
      const finals = (await k.history(k.tenantId, { kind: "hook" })).filter((r) => r.eventId === "msg_1" && r.final);
      expect(finals.map((r) => [r.status, r.attempt])).toEqual([["succeeded", 2]]);
      expect(k.upstream.requestsTo("POST", `${API}/events`)).toHaveLength(2);
      expect(k.logs.text()).not.toContain("tok-9876543210");
    });

    it("runs the filter chain and names the plugin that rejects", async () => {
      const pro = await probeKernel("pro");
      expect(await pro.filter(pro.tenantId, "beforeContentCreate", { premium: true })).toEqual({
        premium: true,
        probed: true,
      });
      const free = await probeKernel("free");
      await expect(free.filter(free.tenantId, "beforeContentCreate", { premium: true })).rejects.toMatchObject({
        plugin: "probe",
        message: "premium content needs pro",
      });
    });

    it("ticks the scheduler on the fake clock", async () => {
      const k = await probeKernel();
      k.upstream.on("GET", `${API}/items`, respondWith(200, { items: [1, 2] }));
      k.upstream.on("GET", "https://example.com/", respondWith(200));
      await k.tick("2026-02-01T09:59:00Z");
      expect(k.upstream.requestsTo("GET", `${API}/items`)).toHaveLength(0);
      await k.tick("2026-02-01T10:00:00Z");
      expect(k.upstream.requestsTo("GET", `${API}/items`)).toHaveLength(1);
      expect(await k.storage(k.tenantId, "probe").get("count")).toBe(2);
      const [run] = await k.history(k.tenantId, { kind: "task" });
      expect(run?.status).toBe("succeeded");
      expect(run?.data).toEqual({ items: 2, slot: "2026-02-01T10:00:00.000Z" });
    });

    it("runs a health cycle", async () => {
      const k = await probeKernel();
      k.upstream.on("GET", "https://example.com/", respondWith(503));
      const records = await k.runHealthCycle(k.tenantId);
      expect(records.map((r) => [r.plugin, r.target, r.status, r.message])).toEqual([
        ["probe", "example.com", "unhealthy", "HTTP 503"],
      ]);
    });
  });
}
