/**
 * createTestKernel end to end, and the seed's "Testing Your Plugin" section translated test by
 * test: config validation, registration metadata, content published with (mocked) config.
 */
import { describe, expect, it } from "vitest";
import {
  type Content,
  type ContentFilterHooks,
  FilterRejectedError,
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
  createFakeClock,
  createTestKernel,
  hookContext,
  respondWith,
  TEST_TENANT_ID,
  validateConfig,
} from "../../src/testing/index.ts";
import { MyPlugin } from "../fixtures/my-plugin.ts";

// ── the seed's tests, one for one ─────────────────────────────────────────────────────────────

describe("TestMyPluginConfig", () => {
  it("api_endpoint is required", () => {
    // MyPluginConfig(api_endpoint="") raises ValueError matching "api_endpoint"
    expect(validateConfig(new MyPlugin(), { api_endpoint: "" }).errors.map((e) => e.path)).toEqual(["/api_endpoint"]);
    expect(validateConfig(new MyPlugin(), { api_endpoint: undefined }).errors).toEqual([
      { path: "/api_endpoint", message: "is required" },
    ]);
  });

  it("valid configuration is accepted", () => {
    const config = validateConfig(new MyPlugin(), { api_endpoint: "https://api.example.com" });
    expect(config.value.api_endpoint).toBe("https://api.example.com");
    expect(config.value.timeout_seconds).toBe(30); // default
  });

  it("from_dict creates valid config", () => {
    const config = validateConfig(new MyPlugin(), { api_endpoint: "https://api.example.com", timeout_seconds: 60 });
    expect(config.value.timeout_seconds).toBe(60);
  });
});

describe("TestMyPluginRegistration", () => {
  it("plugin has correct name", () => {
    expect(new MyPlugin().name).toBe("my-plugin");
  });

  it("plugin has version", () => {
    expect(new MyPlugin().version).toBeDefined();
  });
});

describe("TestMyPluginContentPublished", () => {
  const sampleContent = {
    content_id: "content-123",
    domain: "example.com",
    page_type: "article",
    rendered_html: "<html><body>Test</body></html>",
  };

  it("handles content published (through the kernel, config seeded for the tenant)", async () => {
    const t = await createTestKernel({
      plugins: [new MyPlugin()],
      tenants: [{ plugins: { "my-plugin": { config: { api_endpoint: "https://api.example.com" } } } }],
    });
    const { outcomes } = await t.publish(t.tenantId, "content-123", sampleContent);
    expect(outcomes).toMatchObject([{ plugin: "my-plugin", status: "ok" }]); // should not raise
    const plugin = t.plugin<MyPlugin>("my-plugin");
    expect(plugin.seen[0]?.config).toEqual({ api_endpoint: "https://api.example.com", timeout_seconds: 30 });
    expect(t.logs.find({ plugin: "my-plugin", msg: "Content published: content-123" })).toHaveLength(1);
  });

  it("takes a loopback endpoint in seeded config only with allowInsecureUrls (a real server of the test's own)", async () => {
    const local = { plugins: { "my-plugin": { config: { api_endpoint: "http://127.0.0.1:9" } } } };
    await expect(createTestKernel({ plugins: [new MyPlugin()], tenants: [local] })).rejects.toThrow(/invalid config/);
    const t = await createTestKernel({ plugins: [new MyPlugin()], tenants: [local], allowInsecureUrls: true });
    expect(await t.kernel.getConfig(t.tenantId, "my-plugin")).toMatchObject({ api_endpoint: "http://127.0.0.1:9" });
  });

  it("handles content published (direct call, getConfig mocked as the seed patches _get_config)", async () => {
    const t = await createTestKernel({ plugins: [new MyPlugin()] });
    const plugin = t.plugin<MyPlugin>("my-plugin");
    plugin.getConfig = () => Promise.resolve({ api_endpoint: "https://api.example.com", timeout_seconds: 30 });
    await plugin.contentPublished(
      hookContext({ tenantSlug: "test-tenant", tenantPlan: "pro" }),
      "content-123",
      sampleContent,
    );
    expect(plugin.seen).toHaveLength(1);
  });
});

// ── the harness itself ────────────────────────────────────────────────────────────────────────

const API = "https://api.example.com";

class Syncer extends Plugin implements ScheduledTaskHooks, HealthMonitorHooks, ContentFilterHooks {
  readonly name = "syncer";
  readonly version = "1.0.0";
  override CONFIG_SCHEMA = {
    type: "object",
    properties: {
      site: { type: "string", title: "Site" },
      words: { type: "integer", title: "Max words", default: 5000 },
    },
    required: ["site"],
  } as const;
  override SECRETS_SCHEMA = { type: "object", properties: { api_token: { type: "string", title: "Token" } } } as const;
  readonly contexts: TaskExecutionContext[] = [];

  registerScheduledTasks(): ScheduledTaskDefinition[] {
    return [{ taskId: "syncer.daily", name: "Daily", schedule: { cronExpression: "0 6 * * *" }, maxRetries: 0 }];
  }

  async executeScheduledTask(
    _task: ScheduledTaskDefinition,
    ctx: HookContext,
    exec: TaskExecutionContext,
  ): Promise<TaskResult> {
    this.contexts.push(exec);
    const config = await this.getConfig(ctx.tenantId) as { site: string };
    const token = (await this.getSecrets(ctx.tenantId)).require("api_token");
    const res = await this.fetch(`${API}/sites/${config.site}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: exec.signal,
    });
    if (!res.ok) return { success: false, errorMessage: `HTTP ${res.status}` };
    const body = await res.json() as { rows: number };
    await this.storage(ctx.tenantId).put("rows", body.rows);
    return { success: true, data: { rows: body.rows } };
  }

  async registerHealthChecks(ctx: HookContext): Promise<HealthCheckDefinition[]> {
    const config = await this.getConfig(ctx.tenantId) as { site: string };
    return [{ checkType: "uptime", target: config.site }];
  }

  async executeHealthCheck(_ctx: HookContext, _type: string, target: string): Promise<HealthCheckResult> {
    const res = await this.fetch(`https://${target}/`);
    return { status: res.ok ? "healthy" : "unhealthy", message: `HTTP ${res.status}` };
  }

  beforeContentCreate(ctx: HookContext, content: Content): Content {
    if (ctx.tenantPlan === "free" && Number(content.word_count ?? 0) > 5000) {
      throw new PluginError("Free plan limited to 5000 words");
    }
    return { ...content, checked: true };
  }
}

function syncerKernel(plan: "free" | "pro" = "pro") {
  return createTestKernel({
    plugins: [new Syncer()],
    clock: "2026-01-01T00:00:00Z",
    tenants: [{
      plan,
      plugins: { syncer: { config: { site: "example.com" }, secrets: { api_token: "tok-0123456789abcdef" } } },
    }],
  });
}

describe("createTestKernel", () => {
  it("seeds tenants with config (defaults applied), encrypted secrets and enabled plugins", async () => {
    const t = await createTestKernel({
      plugins: [new Syncer()],
      tenants: [
        { plugins: { syncer: { config: { site: "a.example" }, secrets: { api_token: "tok-a-0123456789" } } } },
        { slug: "beta", plan: "free", plugins: { syncer: { config: { site: "b.example" }, enabled: false } } },
      ],
    });
    expect(t.tenantId).toBe(TEST_TENANT_ID);
    expect(t.tenantIds).toHaveLength(2);
    const [a, b] = t.tenantIds as [string, string];
    expect(await t.kernel.isEnabled(a, "syncer")).toBe(true);
    expect(await t.kernel.isEnabled(b, "syncer")).toBe(false);
    expect(await t.kernel.getConfig(a, "syncer")).toEqual({ site: "a.example", words: 5000 });
    expect(await t.kernel.secretNames(a, "syncer")).toEqual(["api_token"]);
    expect((await t.kernel.requireTenant(b)).slug).toBe("beta");
    expect(t.webhookSecrets[a]).toMatch(/^whsec_/);
    expect(await t.kernel.webhookSecrets(await t.kernel.requireTenant(a))).toEqual([t.webhookSecrets[a]]);
    const stored = JSON.stringify(await t.kernel.requireTenant(a));
    expect(stored).not.toContain("tok-a-0123456789");
  });

  it("refuses a seed for an unknown plugin and an invalid config, naming them", async () => {
    await expect(createTestKernel({ plugins: [], tenants: [{ plugins: { ghost: {} } }] })).rejects.toThrow(
      /seeds plugin "ghost", which is not in plugins/,
    );
    await expect(createTestKernel({ plugins: [new Syncer()], tenants: [{ plugins: { syncer: { config: {} } } }] }))
      .rejects.toMatchObject({ errors: [{ path: "/site", message: "is required" }] });
    await expect(createTestKernel({} as never)).rejects.toThrow(/plugins must be a list/);
  });

  it("hookContext and taskContext follow the seeded tenant and the fake clock", async () => {
    const t = await syncerKernel("free");
    t.clock.advance(5 * 60_000);
    const ctx = await t.hookContext();
    expect(ctx).toMatchObject({ tenantId: TEST_TENANT_ID, tenantSlug: "test-tenant", tenantPlan: "free" });
    expect(ctx.timestamp.toISOString()).toBe("2026-01-01T00:05:00.000Z");
    expect(Object.isFrozen(ctx)).toBe(true);
    const exec = t.taskContext({ taskId: "syncer.daily" });
    expect(exec.scheduledTime.toISOString()).toBe("2026-01-01T00:05:00.000Z");
    expect(exec.tenantId).toBe(TEST_TENANT_ID);
  });

  it("publish, update and delete go through dispatch and return one outcome per enabled plugin", async () => {
    const t = await createTestKernel({
      plugins: [new MyPlugin()],
      tenants: [{ plugins: { "my-plugin": { config: { api_endpoint: API } } } }],
    });
    const published = await t.publish(t.tenantId, "c1", { domain: "example.com" });
    expect(published.outcomes).toMatchObject([{ plugin: "my-plugin", hook: "contentPublished", status: "ok" }]);
    expect(published.ctx.correlationId).toBeTruthy();
    // MyPlugin has no update/delete hooks: nobody to dispatch to.
    expect((await t.update(t.tenantId, "c1", {})).outcomes).toEqual([]);
    expect((await t.delete(t.tenantId, "c1")).outcomes).toEqual([]);
    await t.kernel.disable(t.tenantId, "my-plugin");
    expect((await t.publish(t.tenantId, "c2", {})).outcomes).toEqual([]);
  });

  it("filter runs the chain; a PluginError rejects naming the plugin", async () => {
    const pro = await syncerKernel("pro");
    expect(await pro.filter(pro.tenantId, "beforeContentCreate", { word_count: 9000 })).toEqual({
      word_count: 9000,
      checked: true,
    });
    const free = await syncerKernel("free");
    const rejected = free.filter(free.tenantId, "beforeContentCreate", { word_count: 9000 });
    await expect(rejected).rejects.toBeInstanceOf(FilterRejectedError);
    await expect(rejected).rejects.toMatchObject({ plugin: "syncer", message: "Free plan limited to 5000 words" });
  });

  it("tick(date) moves the clock and runs the due task through the scheduler, with the fake upstream", async () => {
    const t = await syncerKernel();
    t.upstream.on("GET", `${API}/sites/example.com`, respondWith(200, { rows: 42 }));

    await t.tick("2026-01-01T05:59:00Z");
    expect(t.upstream.requestsTo("GET", `${API}/*`)).toEqual([]);
    const report = await t.tick("2026-01-01T06:00:00Z");
    expect(report).toMatchObject({ failed: 0 });
    expect(report.ran).toBeGreaterThanOrEqual(1);
    expect(t.clock.date().toISOString()).toBe("2026-01-01T06:00:00.000Z");

    const [call, ...more] = t.upstream.requestsTo("GET", `${API}/*`);
    expect(more).toEqual([]);
    expect(call?.headers.get("authorization")).toBe("Bearer tok-0123456789abcdef");
    expect(await t.storage(t.tenantId, "syncer").get("rows")).toBe(42);
    const exec = t.plugin<Syncer>("syncer").contexts[0]!;
    expect(exec.scheduledTime.toISOString()).toBe("2026-01-01T06:00:00.000Z");
    expect(exec.attempt).toBe(1);
    const [record] = await t.history(t.tenantId, { kind: "task" });
    expect(record).toMatchObject({ plugin: "syncer", name: "syncer.daily", status: "succeeded", data: { rows: 42 } });

    // The same slot is not run twice, and the next one is a day later.
    await t.tick("2026-01-01T06:00:30Z");
    expect(t.upstream.requestsTo("GET", `${API}/*`)).toHaveLength(1);
    t.clock.advance(24 * 3_600_000);
    await t.tick();
    expect(t.upstream.requestsTo("GET", `${API}/*`)).toHaveLength(2);
  });

  it("runTask runs a task now and records a failure the plugin reports", async () => {
    const t = await syncerKernel();
    t.upstream.on("GET", `${API}/sites/example.com`, respondWith(503));
    const result = await t.runTask(t.tenantId, "syncer.daily");
    expect(result).toMatchObject({ success: false, errorMessage: "HTTP 503" });
    const tasks = await t.scheduler.tasks(t.tenantId);
    expect(tasks.map((task) => task.taskId)).toEqual(["syncer.daily"]);
  });

  it("runHealthCycle runs each check of the tenant", async () => {
    const t = await syncerKernel();
    t.upstream.on("GET", "https://example.com/", respondWith(200));
    const records = await t.runHealthCycle(t.tenantId);
    expect(records).toMatchObject([{
      plugin: "syncer",
      checkType: "uptime",
      target: "example.com",
      status: "healthy",
    }]);
  });

  it("shares a fake clock given to it; captured logs never hold a secret value", async () => {
    const clock = createFakeClock("2030-05-05T05:05:00Z");
    const t = await createTestKernel({
      plugins: [new Syncer()],
      clock,
      tenants: [{
        plugins: { syncer: { config: { site: "example.com" }, secrets: { api_token: "tok-0123456789abcdef" } } },
      }],
    });
    expect(t.clock).toBe(clock);
    expect((await t.hookContext()).timestamp.toISOString()).toBe("2030-05-05T05:05:00.000Z");
    t.plugin<Syncer>("syncer").logger.info("using tok-0123456789abcdef now");
    expect(t.logs.text()).not.toContain("tok-0123456789abcdef");
    expect(t.logs.byPlugin("syncer")[0]?.msg).toBe("using [redacted] now");
  });
});
