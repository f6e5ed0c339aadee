/**
 * The admin API through each runtime's real entry (createRuntime's app on Node, the Worker's
 * fetch inside workerd on real KV, Deno.serve over loopback on Deno KV): the routes as an
 * operator uses them, with the real scheduler and the app's own 404/405 handling.
 */
import { signAdminToken } from "../../src/http/auth.ts";
import type { Harness } from "./harness.ts";

export interface RuntimeTarget {
  send(request: Request): Promise<Response>;
  /** Whether the admin suite's plugins (my-plugin, vault, reporter) are registered. */
  withPlugins: boolean;
  close?(): Promise<void>;
}

export interface AdminRuntimeOptions {
  /** The runtime's DVP_ADMIN_JWT_SECRET. */
  secret: string;
  start(): Promise<RuntimeTarget>;
}

const BASE = "http://kernel.test";
const API_KEY = "sk_runtime_0123456789abcdef";

export function adminRuntimeSuite(t: Harness, options: AdminRuntimeOptions): void {
  const { describe, it, expect } = t;

  const session = async () => {
    const target = await options.start();
    const platform = await signAdminToken(options.secret, { tenants: "*" });
    const transcript: string[] = [];
    const call = async (method: string, path: string, init: { token?: string | null; body?: unknown } = {}) => {
      const headers = new Headers();
      const token = init.token === undefined ? platform : init.token;
      if (token) headers.set("authorization", `Bearer ${token}`);
      if (init.body !== undefined) headers.set("content-type", "application/json");
      const response = await target.send(
        new Request(BASE + path, {
          method,
          headers,
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
        }),
      );
      const text = await response.text();
      transcript.push(text);
      return { status: response.status, headers: response.headers, text, json: text ? JSON.parse(text) : undefined };
    };
    return { target, platform, call, transcript };
  };

  describe(`admin API through the ${t.runtime} runtime`, () => {
    it("tenant lifecycle, scoping and errors, answered by the real app", async () => {
      const { target, call } = await session();
      try {
        const id = crypto.randomUUID();
        const other = crypto.randomUUID();
        const scoped = await signAdminToken(options.secret, { tenants: [id] });

        const anonymous = await call("GET", `/v1/tenants/${id}`, { token: null });
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers.get("content-type")).toBe("application/problem+json");
        expect(anonymous.headers.get("www-authenticate")).toBe('Bearer realm="dvp-admin"');

        const created = await call("PUT", `/v1/tenants/${id}`, { body: { slug: "runtime-acme", plan: "pro" } });
        expect(created.status).toBe(201);
        expect(created.json.webhook_secret).toMatch(/^whsec_/);
        const got = await call("GET", `/v1/tenants/${id}`, { token: scoped });
        expect(got.status).toBe(200);
        expect(got.json).toMatchObject({ id, slug: "runtime-acme", plan: "pro", webhook_secret_count: 1 });
        expect(got.text).not.toContain("whsec_");

        expect((await call("PUT", `/v1/tenants/${other}`, { token: scoped, body: { slug: "x", plan: "free" } })).status)
          .toBe(403);
        expect((await call("GET", `/v1/tenants/${other}`)).status).toBe(404);
        expect((await call("GET", "/v1/tenants/not-a-uuid")).status).toBe(404);
        expect((await call("GET", `/v1/tenants/${id}/plugins/nope`)).status).toBe(404);
        expect((await call("GET", `/v1/tenants/${id}/executions?limit=0`)).status).toBe(400);
        expect((await call("GET", `/v1/tenants/${id}/executions`)).json).toEqual({ executions: [] });
        expect((await call("GET", `/v1/tenants/${id}/tasks`)).json).toEqual({ tasks: [] });
        expect((await call("GET", `/v1/tenants/${id}/health`)).json).toEqual({ checks: [] });
        const wrong = await call("DELETE", `/v1/tenants/${id}`);
        expect(wrong.status).toBe(405);
        expect(wrong.headers.get("allow")).toBe("GET, PUT");
        const nowhere = await call("GET", "/v1/nowhere");
        expect(nowhere.status).toBe(404);
        expect(nowhere.headers.get("content-type")).toBe("application/problem+json");

        const rotated = await call("POST", "/v1/admin/rotate-secrets");
        expect(rotated.status).toBe(200);
        expect(rotated.json.tenants).toBeGreaterThanOrEqual(1);
        expect(Array.isArray(rotated.json.failed)).toBe(true);
        expect((await call("POST", "/v1/admin/rotate-secrets", { token: scoped })).status).toBe(403);
      } finally {
        await target.close?.();
      }
    });

    it("plugins: config, secrets, enable, tasks run by the real scheduler; secrets never answered", async () => {
      const { target, call, transcript } = await session();
      try {
        if (!target.withPlugins) {
          // The real entry registers the bundled plugins only: check the registry answers.
          const listed = await call("GET", "/v1/plugins");
          expect(listed.status).toBe(200);
          expect(Array.isArray(listed.json.plugins)).toBe(true);
          return;
        }
        const id = crypto.randomUUID();
        await call("PUT", `/v1/tenants/${id}`, { body: { slug: "runtime-plugins", plan: "pro" } });
        const base = `/v1/tenants/${id}/plugins`;
        const names = (await call("GET", "/v1/plugins")).json.plugins.map((p: { name: string }) => p.name);
        expect(names).toEqual(expect.arrayContaining(["my-plugin", "vault", "reporter"]));

        expect((await call("POST", `${base}/my-plugin/enable`)).status).toBe(422);
        const config = await call("PUT", `${base}/my-plugin/config`, { body: { api_endpoint: "https://api.example" } });
        expect(config.json).toEqual({ api_endpoint: "https://api.example", timeout_seconds: 30 });
        expect((await call("POST", `${base}/my-plugin/enable`)).json).toEqual({ enabled: true });
        expect((await call("PUT", `${base}/vault/secrets`, { body: { api_key: API_KEY } })).status).toBe(204);
        expect((await call("GET", `${base}/vault/secrets`)).json).toEqual({ api_key: "set" });

        expect((await call("POST", `${base}/reporter/enable`)).status).toBe(200);
        const tasks = (await call("GET", `/v1/tenants/${id}/tasks`)).json.tasks;
        expect(tasks.map((task: { task_id: string }) => task.task_id)).toEqual(["reporter.daily"]);
        expect(tasks[0].next_run_at).toMatch(/T06:00:00\.000Z$/);
        const ran = await call("POST", `/v1/tenants/${id}/tasks/reporter.daily/run`);
        expect(ran.json).toMatchObject({ success: true, data: { pages: 3 }, error_message: null });
        const history = (await call("GET", `/v1/tenants/${id}/executions?kind=task`)).json.executions;
        expect(history).toEqual([expect.objectContaining({ name: "reporter.daily", status: "succeeded" })]);

        const listed = (await call("GET", base)).json.plugins;
        expect(listed.find((p: { name: string }) => p.name === "vault").secrets).toEqual({ api_key: "set" });
        for (const text of transcript) expect(text).not.toContain(API_KEY);
      } finally {
        await target.close?.();
      }
    });
  });
}
