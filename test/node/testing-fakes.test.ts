/** The harness's parts on their own: fake clock, captured logs, fake upstream, context factories, config checks. */
import { describe, expect, it } from "vitest";
import { getLogger, LogConfig } from "../../src/entries/runtime.ts";
import { isUuid } from "../../src/context.ts";
import { createFakeClock } from "../../src/testing/clock.ts";
import { hookContext, taskContext, TEST_TENANT_ID } from "../../src/testing/contexts.ts";
import { createFakeUpstream, respondWith } from "../../src/testing/fake-upstream.ts";
import { captureLogs } from "../../src/testing/logs.ts";
import { validateConfig, validateSecrets } from "../../src/testing/validate-config.ts";
import { MyPlugin } from "../fixtures/my-plugin.ts";

describe("fake clock", () => {
  it("starts at a fixed instant and moves only when told", () => {
    const clock = createFakeClock();
    expect(clock.date().toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(clock.now()).toBe(clock.now());
    clock.advance(90_000);
    expect(clock.date().toISOString()).toBe("2026-01-01T00:01:30.000Z");
    clock.set("2027-06-01T12:00:00Z");
    expect(clock.now()).toBe(Date.parse("2027-06-01T12:00:00Z"));
    clock.set(new Date(0));
    expect(clock.now()).toBe(0);
  });

  it("refuses a negative advance and an unreadable time", () => {
    const clock = createFakeClock("2026-03-01T00:00:00Z");
    expect(() => clock.advance(-1)).toThrow(/≥ 0/);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.set("not a date")).toThrow(/not a valid time/);
    expect(() => createFakeClock("soon")).toThrow(RangeError);
    expect(clock.date().toISOString()).toBe("2026-03-01T00:00:00.000Z");
  });
});

describe("captured logs", () => {
  it("keeps records and lines and finds them by level, plugin, tenant and message", () => {
    const logs = captureLogs();
    const config = new LogConfig({ level: "debug", sink: logs.sink });
    const kernelLog = getLogger("dvp.kernel", config);
    const pluginLog = getLogger("dvp.plugin.a", config).child({ plugin: "a" });
    kernelLog.info("started");
    pluginLog.warn("slow upstream", { tenant_id: TEST_TENANT_ID });
    pluginLog.error("upload failed: HTTP 500", { tenant_id: TEST_TENANT_ID, api_token: "tok-secret-value" });

    expect(logs.records.map((r) => r.msg)).toEqual(["started", "slow upstream", "upload failed: HTTP 500"]);
    expect(logs.lines).toHaveLength(3);
    expect(JSON.parse(logs.lines[0]!)).toMatchObject({ level: "info", msg: "started" });
    expect(logs.byPlugin("a")).toHaveLength(2);
    expect(logs.byLevel("warn").map((r) => r.msg)).toEqual(["slow upstream"]);
    expect(logs.errors()).toHaveLength(1);
    expect(logs.warnings()).toHaveLength(1);
    expect(logs.find({ plugin: "a", msg: /HTTP 5\d\d/ })).toHaveLength(1);
    expect(logs.find({ msg: "upload", level: "warn" })).toEqual([]);
    expect(logs.find({ tenantId: TEST_TENANT_ID })).toHaveLength(2);
    expect(logs.text()).not.toContain("tok-secret-value");
    logs.clear();
    expect(logs.records).toEqual([]);
    expect(logs.lines).toEqual([]);
  });
});

describe("fake upstream", () => {
  it("answers from routes, records every request with its body, and clones fixed responses", async () => {
    const upstream = createFakeUpstream();
    upstream.on("GET", "https://api.example.com/items", respondWith(200, { items: [1] }));
    upstream.on("POST", "https://api.example.com/events", async (request) => {
      const body = await request.json() as { n: number };
      return respondWith(201, { doubled: body.n * 2 }, { "x-request-id": "r1" });
    });

    for (let i = 0; i < 2; i++) {
      const res = await upstream.fetch("https://api.example.com/items?page=2");
      expect(await res.json()).toEqual({ items: [1] });
    }
    const posted = await upstream.fetch("https://api.example.com/events", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer t" },
      body: JSON.stringify({ n: 21 }),
    });
    expect(posted.status).toBe(201);
    expect(posted.headers.get("x-request-id")).toBe("r1");
    expect(await posted.json()).toEqual({ doubled: 42 });

    expect(upstream.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET https://api.example.com/items?page=2",
      "GET https://api.example.com/items?page=2",
      "POST https://api.example.com/events",
    ]);
    const [call] = upstream.requestsTo("POST", "https://api.example.com/events");
    expect(call?.json).toEqual({ n: 21 });
    expect(call?.body).toBe('{"n":21}');
    expect(call?.headers.get("authorization")).toBe("Bearer t");
    expect(upstream.unmatched()).toEqual([]);
  });

  it("fails an unrouted request like an unreachable host, and still records it", async () => {
    const upstream = createFakeUpstream();
    await expect(upstream.fetch("https://elsewhere.example/x", { method: "PUT" })).rejects.toThrow(
      /no route for PUT https:\/\/elsewhere\.example\/x/,
    );
    expect(upstream.unmatched().map((r) => r.url)).toEqual(["https://elsewhere.example/x"]);
  });

  it("matches prefixes, patterns, any method, query-specific URLs; later and one-shot routes win", async () => {
    const upstream = createFakeUpstream();
    upstream.on("*", "https://api.example.com/*", respondWith(200, { route: "prefix" }));
    upstream.on("GET", /\/v2\/sites\/[^/]+$/, respondWith(200, { route: "regexp" }));
    upstream.on("GET", "https://api.example.com/q?x=1", respondWith(200, { route: "query" }));
    upstream.once(
      "DELETE",
      "https://api.example.com/a",
      respondWith(429, { error: "slow down" }, { "retry-after": "2" }),
    );
    const route = async (url: string, method = "GET") => (await (await upstream.fetch(url, { method })).json()).route;

    expect(await route("https://api.example.com/anything", "PATCH")).toBe("prefix");
    expect(await route("https://api.example.com/v2/sites/abc")).toBe("regexp");
    expect(await route("https://api.example.com/q?x=1")).toBe("query");
    expect(await route("https://api.example.com/q?x=2")).toBe("prefix");
    const limited = await upstream.fetch("https://api.example.com/a", { method: "DELETE" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(await route("https://api.example.com/a", "DELETE")).toBe("prefix");
    upstream.reset();
    expect(upstream.requests).toEqual([]);
    await expect(upstream.fetch("https://api.example.com/anything")).rejects.toThrow(TypeError);
  });

  it("honours an aborted signal", async () => {
    const upstream = createFakeUpstream();
    upstream.on("GET", "https://api.example.com/slow", respondWith(200, {}));
    await expect(upstream.fetch("https://api.example.com/slow", { signal: AbortSignal.abort() })).rejects.toThrow();
  });

  it("respondWith builds JSON, empty and no-content responses", async () => {
    expect(respondWith(204).status).toBe(204);
    expect(await respondWith(204, { ignored: true }).text()).toBe("");
    const empty = respondWith(500);
    expect(await empty.text()).toBe("");
    expect(empty.headers.get("content-type")).toBeNull();
    const json = respondWith(404, { error: "not found" });
    expect(json.headers.get("content-type")).toBe("application/json");
    expect(await json.json()).toEqual({ error: "not found" });
    expect(respondWith(200, "<p>x</p>", { "content-type": "text/html" }).headers.get("content-type")).toBe("text/html");
  });
});

describe("context factories", () => {
  it("hookContext is frozen, for a valid tenant UUID, with overrides", () => {
    const ctx = hookContext();
    expect(ctx.tenantId).toBe(TEST_TENANT_ID);
    expect(ctx.tenantSlug).toBe("test-tenant");
    expect(ctx.tenantPlan).toBe("pro");
    expect(isUuid(ctx.correlationId)).toBe(true);
    expect(Object.isFrozen(ctx)).toBe(true);
    expect(() => {
      (ctx as { tenantPlan: string }).tenantPlan = "enterprise";
    }).toThrow(TypeError);
    const free = hookContext({ tenantPlan: "free", metadata: { source: "test" } });
    expect(free.tenantPlan).toBe("free");
    expect(Object.isFrozen(free.metadata)).toBe(true);
    expect(() => hookContext({ tenantId: "tenant-1" })).toThrow(/UUID/);
  });

  it("taskContext is frozen, attempt 1, and its signal fires at the timeout or on abort()", async () => {
    const ctx = taskContext({ taskId: "my-plugin.daily-sync", timeoutSeconds: 0.05 });
    expect(ctx).toMatchObject({ taskId: "my-plugin.daily-sync", attempt: 1, tenantId: TEST_TENANT_ID });
    expect(isUuid(ctx.executionId)).toBe(true);
    expect(Object.isFrozen(ctx)).toBe(true);
    expect(ctx.signal.aborted).toBe(false);
    await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
    expect((ctx.signal.reason as Error).name).toBe("TimeoutError");

    const manual = taskContext({ attempt: 3 });
    expect(manual.attempt).toBe(3);
    manual.abort(new Error("stop"));
    expect(manual.signal.aborted).toBe(true);
    expect(taskContext({ signal: AbortSignal.abort() }).signal.aborted).toBe(true);
  });
});

describe("validateConfig (the seed's config validation tests)", () => {
  it("api_endpoint is required", () => {
    const check = validateConfig(new MyPlugin(), {});
    expect(check.valid).toBe(false);
    expect(check.errors).toEqual([{ path: "/api_endpoint", message: "is required" }]);
  });

  it("a valid config is accepted with its defaults", () => {
    const check = validateConfig(new MyPlugin(), { api_endpoint: "https://api.example.com" });
    expect(check.valid).toBe(true);
    expect(check.value).toEqual({ api_endpoint: "https://api.example.com", timeout_seconds: 30 });
  });

  it("given values win over defaults; wrong types are refused at their path", () => {
    expect(
      validateConfig(new MyPlugin(), { api_endpoint: "https://a.example", timeout_seconds: 60 }).value
        .timeout_seconds,
    ).toBe(60);
    expect(
      validateConfig(new MyPlugin(), { api_endpoint: "https://a.example", timeout_seconds: "x" }).errors
        .map((e) => e.path),
    ).toEqual(["/timeout_seconds"]);
    expect(validateSecrets(new MyPlugin(), {}).valid).toBe(true);
  });
});
