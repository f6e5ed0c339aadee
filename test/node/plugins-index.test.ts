import { readdirSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bundledPlugins } from "../../plugins/index.ts";
import { createKernel } from "../../src/entries/runtime.ts";
import { detectHooks } from "../../src/hooks.ts";
import type { HealthMonitorHooks } from "../../src/index.ts";
import { checkSchema } from "../../src/schema/index.ts";
import { benchFor, TENANT } from "../plugins/helpers.ts";

const root = new URL("../../plugins/", import.meta.url);
/** Plugin folders; `_shared` and other `_`-prefixed folders hold code the plugins share. */
const folders = readdirSync(root).filter((name) =>
  !name.startsWith("_") && statSync(new URL(name, root)).isDirectory()
);

describe("bundledPlugins()", () => {
  it("includes every folder under plugins/", () => {
    const names = bundledPlugins().map((p) => p.name).sort();
    expect(folders.length).toBeGreaterThanOrEqual(6);
    expect(names).toEqual([...folders].sort());
  });

  it("each folder has config.ts, client.ts, plugin.ts, index.ts and README.md", () => {
    for (const folder of folders) {
      const files = readdirSync(new URL(`${folder}/`, root));
      for (const file of ["config.ts", "client.ts", "plugin.ts", "index.ts", "README.md"]) {
        expect(files, `${folder}/${file}`).toContain(file);
      }
    }
  });

  it("returns fresh instances that register cleanly on one kernel", () => {
    const a = bundledPlugins();
    const b = bundledPlugins();
    a.forEach((p, i) => expect(p).not.toBe(b[i]));
    const kernel = createKernel({ plugins: a });
    expect(kernel.registry.list().map((p) => p.name).sort()).toEqual(folders.sort());
    for (const plugin of a) expect(detectHooks(plugin).problems).toEqual([]);
  });

  it("has valid draft-07 schemas with titles, and credential-like fields only in SECRETS_SCHEMA", () => {
    const credential = /token|secret|password|hook_url|service_account|access_key|api_key|private_key/i;
    for (const plugin of bundledPlugins()) {
      expect(checkSchema(plugin.CONFIG_SCHEMA)).toEqual([]);
      expect(checkSchema(plugin.SECRETS_SCHEMA)).toEqual([]);
      const config = (plugin.CONFIG_SCHEMA as { properties?: Record<string, { title?: string }> }).properties ?? {};
      for (const [name, property] of Object.entries(config)) {
        expect(property.title, `${plugin.name}.${name} title`).toBeTruthy();
        expect(name, `${plugin.name}.${name} looks like a credential`).not.toMatch(credential);
      }
      const secrets = (plugin.SECRETS_SCHEMA as { properties?: Record<string, { type?: string }> }).properties ?? {};
      for (const [name, property] of Object.entries(secrets)) expect(property.type, name).toBe("string");
    }
  });

  it("passes the TCP connect to domain-health-monitor", async () => {
    const calls: unknown[] = [];
    const connect = (address: unknown) => (calls.push(address), Promise.reject(new Error("refused")));
    const monitor = bundledPlugins({ connect, allowInsecureUrls: true }).find((p) =>
      p.name === "domain-health-monitor"
    )!;
    const bench = await benchFor(monitor, { domains: [{ domain: "acme.com" }] }, {});
    const ctx = bench.kernel.context(await bench.kernel.requireTenant(TENANT));
    const result = await (monitor as unknown as HealthMonitorHooks).executeHealthCheck(ctx, "ssl", "acme.com");
    expect(result.message).toMatch(/cannot connect to acme.com:443: refused/);
    expect(calls).toEqual([{ hostname: "acme.com", port: 443 }]);
  });
});
