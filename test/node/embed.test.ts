/**
 * Embedding: the runtime mounted in the host's own Hono app. A `basePath` makes the dashboard's
 * links and redirects carry the mount prefix, and the env may be the host's own typed object
 * (an interface such as wrangler's generated Env, with no index signature).
 */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { createRuntime } from "../../src/entries/runtime.ts";

/** Like `wrangler types` output: an interface, bindings beside strings. */
interface Env {
  DVP_MASTER_KEYS: string;
  DVP_ADMIN_JWT_SECRET: string;
  DVP_KV: { get(key: string): Promise<string | null> };
}

const env: Env = {
  DVP_MASTER_KEYS: `main:${btoa(String.fromCharCode(...new Uint8Array(32).fill(3)))}`,
  DVP_ADMIN_JWT_SECRET: "embed-test-secret-of-32-characters!!",
  DVP_KV: { get: async () => null },
};

describe("embedding", () => {
  it("mounted under /cms with basePath, the dashboard sends sign-in to /cms/admin/login", async () => {
    const dvp = createRuntime({ env, driver: createMemoryDriver(), basePath: "/cms" });
    const host = new Hono().route("/cms", dvp.app);
    const res = await host.request("/cms/admin/tenants");
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toMatch(/^\/cms\/admin\/login\?/);
    expect(new URL(location, "http://x").searchParams.get("next")).toBe("/cms/admin/tenants");
    const page = await host.request(location);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`action="/cms/admin/login"`);
    expect((await host.request("/cms/healthz")).status).toBe(200);
  });

  it("served at the root, the dashboard stays at /admin", async () => {
    const dvp = createRuntime({ env, driver: createMemoryDriver() });
    const res = await dvp.app.request("/admin/");
    expect(res.headers.get("location")).toMatch(/^\/admin\/login\?/);
  });

  it("refuses a basePath that is not a path", () => {
    for (const basePath of ["cms", "/cms?x", "https://example.com/cms"]) {
      expect(() => createRuntime({ env, driver: createMemoryDriver(), basePath })).toThrow(/basePath/);
    }
  });
});
