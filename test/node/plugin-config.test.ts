/**
 * A plugin's config is validated when it is read, not only when it is saved: after an upgrade
 * adds a required field, the hooks fail naming it (recorded in the history), the admin API says
 * `needs_configuration` and the dashboard marks the plugin.
 */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { createEventProcessor } from "../../src/events/index.ts";
import { adminApi } from "../../src/http/admin.ts";
import {
  type Content,
  type ContentLifecycleHooks,
  type HookContext,
  Plugin,
  PluginConfigError,
} from "../../src/index.ts";
import { createKernel, type Kernel } from "../../src/entries/runtime.ts";
import { Browser, setupDashboard, TENANT_A, TENANT_B } from "../browser/ui-setup.ts";

const ENDPOINT = { type: "string", default: "https://api.example/" };

class SiteSync extends Plugin implements ContentLifecycleHooks {
  readonly name = "site-sync";
  override readonly description = "Tells the site's API about published pages";
  readonly configs: Record<string, unknown>[] = [];
  constructor(readonly version: string, override readonly CONFIG_SCHEMA: Record<string, unknown>) {
    super();
  }
  async contentPublished(ctx: HookContext, _id: string, _content: Content): Promise<void> {
    this.configs.push(await this.getConfig(ctx.tenantId));
  }
}

const v1 = () => new SiteSync("1.0.0", { type: "object", properties: { endpoint: ENDPOINT } });
/** 2.0.0 needs a site id, which configs saved for 1.0.0 do not have. */
const v2 = () =>
  new SiteSync("2.0.0", {
    type: "object",
    properties: { endpoint: ENDPOINT, site_id: { type: "string", minLength: 1 } },
    required: ["site_id"],
  });

/** Both tenants configured and enabled on 1.0.0, then 2.0.0 replaces it (a deploy of the upgrade). */
async function upgraded(kernel: Kernel): Promise<SiteSync> {
  for (const tenant of [TENANT_A, TENANT_B]) {
    await kernel.setConfig(tenant, "site-sync", { endpoint: `https://${tenant.slice(0, 4)}.example/` });
    await kernel.enable(tenant, "site-sync");
  }
  kernel.unregister("site-sync");
  const plugin = v2();
  kernel.register(plugin);
  return plugin;
}

async function kernelWithTenants() {
  const kernel = createKernel({ plugins: [v1()], log: { level: "error", sink: () => {} } });
  await kernel.putTenant(TENANT_A, { slug: "acme", plan: "pro" });
  await kernel.putTenant(TENANT_B, { slug: "globex", plan: "free" });
  return kernel;
}

describe("getConfig validates what it returns", () => {
  it("after an upgrade adds a required field, the hook fails naming it, and the failure is in the history", async () => {
    const kernel = await kernelWithTenants();
    const plugin = await upgraded(kernel);
    const events = createEventProcessor(kernel, { maxAttempts: 1 });
    await events.accept({
      id: "msg_upgrade",
      tenantId: TENANT_A,
      type: "content.published",
      timestamp: "2026-11-24T12:00:00Z",
      contentId: "c1",
      content: { title: "t" },
      receivedAt: new Date().toISOString(),
    });
    await events.idle();
    const [record] = await kernel.history.list(TENANT_A, { kind: "hook" });
    expect(record).toMatchObject({
      plugin: "site-sync",
      status: "failed",
      final: true,
      error: "plugin site-sync needs configuration: /site_id is required",
    });
    expect(plugin.configs).toEqual([]); // it never ran on the incomplete config
    await expect(kernel.getConfig(TENANT_A, "site-sync")).rejects.toBeInstanceOf(PluginConfigError);

    await kernel.setConfig(TENANT_A, "site-sync", { endpoint: "https://aaaa.example/", site_id: "a-1" });
    const { outcomes } = await kernel.dispatch(TENANT_A, "contentPublished", ["c1", { title: "t" }]);
    expect(outcomes.map((o) => o.status)).toEqual(["ok"]);
    expect(plugin.configs).toEqual([{ endpoint: "https://aaaa.example/", site_id: "a-1" }]);
  });

  it("caches per tenant and stored value: one tenant's valid config never answers for another's", async () => {
    const kernel = await kernelWithTenants();
    await upgraded(kernel);
    await kernel.setConfig(TENANT_A, "site-sync", { endpoint: "https://aaaa.example/", site_id: "a-1" });
    for (let i = 0; i < 2; i++) {
      expect(await kernel.getConfig(TENANT_A, "site-sync")).toEqual({
        endpoint: "https://aaaa.example/",
        site_id: "a-1",
      });
      await expect(kernel.getConfig(TENANT_B, "site-sync")).rejects.toMatchObject({
        code: "ERR_CONFIGURATION",
        plugin: "site-sync",
        errors: [{ path: "/site_id", message: "is required" }],
      });
    }
    await kernel.setConfig(TENANT_B, "site-sync", { site_id: "b-1" });
    expect(await kernel.getConfig(TENANT_B, "site-sync")).toEqual({ endpoint: "https://api.example/", site_id: "b-1" });
    expect(await kernel.getConfig(TENANT_A, "site-sync")).toMatchObject({ site_id: "a-1" });
    // What a plugin gets is its own copy: changing it changes nothing stored or cached.
    const copy = await kernel.getConfig(TENANT_A, "site-sync");
    copy.site_id = "changed";
    expect(await kernel.getConfig(TENANT_A, "site-sync")).toMatchObject({ site_id: "a-1" });
  });

  it("checks a stored config once while it is unchanged, again after a change, and never caches one that is not frozen", async () => {
    const kernel = await kernelWithTenants();
    await kernel.setConfig(TENANT_A, "site-sync", { endpoint: "https://aaaa.example/" });
    const record = await kernel.requireTenant(TENANT_A);
    const first = kernel.configCheck(record, "site-sync");
    expect(kernel.configCheck(await kernel.requireTenant(TENANT_A), "site-sync")).toBe(first);
    await kernel.setConfig(TENANT_A, "site-sync", { endpoint: "https://bbbb.example/" });
    expect(kernel.configCheck(await kernel.requireTenant(TENANT_A), "site-sync").value)
      .toEqual({ endpoint: "https://bbbb.example/" });
    // Not frozen (a record a caller built itself): a change in place is seen.
    const config: Record<string, unknown> = { endpoint: 1 };
    const loose = { ...record, plugins: { "site-sync": { ...record.plugins["site-sync"]!, config } } };
    expect(kernel.configCheck(loose, "site-sync").valid).toBe(false);
    config.endpoint = "https://cccc.example/";
    expect(kernel.configCheck(loose, "site-sync")).toMatchObject({ valid: true, value: config });
  });

  it("the admin API says needs_configuration and the dashboard marks the plugin, naming the field", async () => {
    const env = await setupDashboard({ plugins: [v1()] });
    await upgraded(env.kernel);
    const api = new Hono().route("/v1", adminApi(env.deps));
    const list = async () => {
      const res = await api.request(`http://admin.test/v1/tenants/${TENANT_A}/plugins`, {
        headers: { authorization: `Bearer ${await env.token()}` },
      });
      return ((await res.json()) as { plugins: Record<string, unknown>[] }).plugins;
    };
    expect(await list()).toEqual([expect.objectContaining({
      name: "site-sync",
      version: "2.0.0",
      enabled: true,
      config_status: "needs_configuration",
      config_errors: [{ path: "/site_id", message: "is required" }],
    })]);
    // The stored config can still be read (and fixed) through the API.
    const stored = await api.request(`http://admin.test/v1/tenants/${TENANT_A}/plugins/site-sync/config`, {
      headers: { authorization: `Bearer ${await env.token()}` },
    });
    expect(await stored.json()).toEqual({ endpoint: "https://0a0a.example/" });

    const browser = new Browser(env.app);
    await browser.signIn(await env.token([TENANT_A]));
    const page = await (await browser.get(`/admin/tenants/${TENANT_A}/plugins`)).text();
    expect(page).toContain('<span class="badge bad">needs configuration</span>');
    expect(page).toContain("/site_id is required");
    const settings = await (await browser.get(`/admin/tenants/${TENANT_A}/plugins/site-sync`)).text();
    expect(settings).toContain('<span class="badge bad">needs configuration</span>');

    await env.kernel.setConfig(TENANT_A, "site-sync", { site_id: "a-1" });
    expect(await list()).toEqual([expect.objectContaining({ config_status: "ok" })]);
    expect((await list())[0]).not.toHaveProperty("config_errors");
    const fixed = await (await browser.get(`/admin/tenants/${TENANT_A}/plugins`)).text();
    expect(fixed).not.toContain("needs configuration");
  });
});
