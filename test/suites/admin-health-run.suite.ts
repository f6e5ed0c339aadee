/**
 * POST /v1/tenants/{id}/health/run: runs a tenant's health checks now (all of them, or one
 * plugin's with ?plugin=), records them as the scheduled cycle does, and answers the results.
 * Through createRuntime's app on each runtime's storage (memory on Node, Cloudflare KV in workerd,
 * Deno KV under Deno).
 */
import { type HealthCheckDefinition, type HealthMonitorHooks, Plugin } from "../../src/index.ts";
import type { KVDriver } from "../../src/entries/drivers.ts";
import { signAdminToken } from "../../src/http/auth.ts";
import { createRuntime } from "../../src/runtime.ts";
import type { Harness } from "./harness.ts";

export interface HealthRunTarget {
  /** The backend the runtime stores tenants in; every test uses tenants of its own. */
  driver(): KVDriver | Promise<KVDriver>;
}

const SECRET = "node-health-run-admin-secret-0123456789";

class Monitor extends Plugin implements HealthMonitorHooks {
  readonly version = "1.0.0";
  readonly calls: string[] = [];
  constructor(readonly name: string, private readonly targets: string[]) {
    super();
  }
  registerHealthChecks(): HealthCheckDefinition[] {
    return this.targets.map((target) => ({ checkType: "http", target }));
  }
  executeHealthCheck(_ctx: unknown, checkType: string, target: string) {
    this.calls.push(`${checkType} ${target}`);
    return Promise.resolve({ status: "healthy" as const, latencyMs: 5, message: `${target} answers` });
  }
}

class Quiet extends Plugin {
  readonly name = "quiet";
  readonly version = "1.0.0";
}

export function adminHealthRunSuite(t: Harness, target: HealthRunTarget): void {
  const { describe, it, expect } = t;

  async function setup() {
    const uptime = new Monitor("uptime", ["https://a.example/", "https://b.example/"]);
    const ssl = new Monitor("ssl", ["c.example"]);
    const runtime = createRuntime({
      env: {
        DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        DVP_ADMIN_JWT_SECRET: SECRET,
        DVP_LOG_LEVEL: "error",
      },
      driver: await target.driver(),
      plugins: [uptime, ssl, new Quiet()],
      logSink: () => {},
    });
    const platform = await signAdminToken(SECRET, { tenants: "*" });
    const call = async (method: string, path: string, token: string | null = platform, body?: unknown) => {
      const headers = new Headers(body === undefined ? {} : { "content-type": "application/json" });
      if (token) headers.set("authorization", `Bearer ${token}`);
      const res = await runtime.fetch(
        new Request(`http://kernel.test${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      );
      const text = await res.text();
      return { status: res.status, type: res.headers.get("content-type"), json: text ? JSON.parse(text) : undefined };
    };
    const tenant = crypto.randomUUID();
    expect((await call("PUT", `/v1/tenants/${tenant}`, platform, { slug: "health-run", plan: "pro" })).status).toBe(
      201,
    );
    for (const name of ["uptime", "ssl", "quiet"]) {
      expect((await call("POST", `/v1/tenants/${tenant}/plugins/${name}/enable`)).status).toBe(200);
    }
    return { uptime, ssl, call, tenant };
  }

  describe(`POST /v1/tenants/{id}/health/run on ${t.runtime}`, () => {
    it("runs every enabled plugin's checks now, answers and records the results", async () => {
      const { uptime, ssl, call, tenant } = await setup();
      const run = await call("POST", `/v1/tenants/${tenant}/health/run`);
      expect(run.status).toBe(200);
      expect(uptime.calls).toEqual(["http https://a.example/", "http https://b.example/"]);
      expect(ssl.calls).toEqual(["http c.example"]);
      const results = run.json.results as { plugin: string; target: string; status: string }[];
      expect(results.map((r) => `${r.plugin} ${r.target} ${r.status}`).sort()).toEqual([
        "ssl c.example healthy",
        "uptime https://a.example/ healthy",
        "uptime https://b.example/ healthy",
      ]);
      expect(results[0]).toMatchObject({ check_type: "http", latency_ms: 5 });
      expect(results[0]).toHaveProperty("checked_at");
      const health = await call("GET", `/v1/tenants/${tenant}/health`);
      expect(health.json.checks).toHaveLength(3);
      expect(health.json.checks.every((c: { status: string }) => c.status === "healthy")).toBe(true);
    });

    it("runs one plugin's checks with ?plugin=", async () => {
      const { uptime, ssl, call, tenant } = await setup();
      const run = await call("POST", `/v1/tenants/${tenant}/health/run?plugin=ssl`);
      expect(run.status).toBe(200);
      expect(run.json.results.map((r: { plugin: string }) => r.plugin)).toEqual(["ssl"]);
      expect(ssl.calls).toHaveLength(1);
      expect(uptime.calls).toHaveLength(0);
    });

    it("refuses as the contract says: 401, 403, 404", async () => {
      const { uptime, call, tenant } = await setup();
      const path = `/v1/tenants/${tenant}/health/run`;
      const anonymous = await call("POST", path, null);
      expect(anonymous.status).toBe(401);
      expect(anonymous.type).toBe("application/problem+json");
      const other = await signAdminToken(SECRET, { tenants: [crypto.randomUUID()] });
      expect((await call("POST", path, other)).status).toBe(403);
      const scoped = await signAdminToken(SECRET, { tenants: [tenant] });
      expect((await call("POST", path, scoped)).status).toBe(200);
      expect((await call("POST", `/v1/tenants/${crypto.randomUUID()}/health/run`)).status).toBe(404);
      const unknown = await call("POST", `${path}?plugin=nope`);
      expect(unknown.status).toBe(404);
      expect(unknown.type).toBe("application/problem+json");
      // A registered plugin without health checks (or not enabled for the tenant) has nothing to run: 404 too.
      const quiet = await call("POST", `${path}?plugin=quiet`);
      expect(quiet.status).toBe(404);
      expect(quiet.json.detail).toMatch(/quiet has no health checks/);
      expect(uptime.calls).toHaveLength(2);
    });
  });
}
