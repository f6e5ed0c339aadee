/**
 * Plugins: the registry (`GET /plugins`) and each tenant's plugin state: enabled flag, config
 * (validated, defaults applied), secrets (write-only: set with a string, clear with null, shown
 * back only as `{"name": "set"}`), enable and disable.
 */
import type { Hono } from "hono";
import { type FieldError, ValidationError } from "../../errors.ts";
import type { Kernel } from "../../kernel.ts";
import { escapePointer } from "../../schema/index.ts";
import { readJsonBody } from "./body.ts";
import type { AdminContext, AdminEnv, Guards } from "./guard.ts";
import { maskedSecrets, pluginInfo, tenantPluginView } from "./wire.ts";

const PLUGIN = "/tenants/:id/plugins/:name";

export function pluginRoutes(app: Hono<AdminEnv>, kernel: Kernel, guards: Guards): void {
  const { token, tenant } = guards;
  /** The plugin (404 if unknown, checked first: no storage read) and the tenant (404 if unknown). */
  const target = async (c: AdminContext) => {
    const entry = kernel.registry.require(c.req.param("name") ?? "");
    const record = await kernel.requireTenant(c.get("tenantId"));
    return { entry, record, state: record.plugins[entry.name] };
  };

  app.get("/plugins", token, (c) => c.json({ plugins: kernel.registry.list().map(pluginInfo) }));

  app.get("/tenants/:id/plugins", token, tenant, async (c) => {
    const record = await kernel.requireTenant(c.get("tenantId"));
    return c.json({
      plugins: kernel.registry.list().map((e) =>
        tenantPluginView(e, record.plugins[e.name], kernel.configCheck(record, e.name))
      ),
    });
  });

  app.get(PLUGIN, token, tenant, async (c) => {
    const { entry, record, state } = await target(c);
    return c.json(tenantPluginView(entry, state, kernel.configCheck(record, entry.name)));
  });

  app.get(`${PLUGIN}/config`, token, tenant, async (c) => {
    const { entry } = await target(c);
    return c.json(await kernel.storedConfig(c.get("tenantId"), entry.name)); // valid or not: it is here to be fixed
  });

  app.put(`${PLUGIN}/config`, token, tenant, async (c) => {
    const { entry } = await target(c);
    const config = await readJsonBody(c.req.raw);
    return c.json(await kernel.setConfig(c.get("tenantId"), entry.name, config));
  });

  app.get(`${PLUGIN}/secrets`, token, tenant, async (c) => {
    const { state } = await target(c);
    return c.json(maskedSecrets(state?.secretNames ?? []));
  });

  app.put(`${PLUGIN}/secrets`, token, tenant, async (c) => {
    const { entry } = await target(c);
    const changes = secretChanges(entry.name, await readJsonBody(c.req.raw));
    await kernel.setSecrets(c.get("tenantId"), entry.name, changes);
    return c.body(null, 204);
  });

  app.post(`${PLUGIN}/enable`, token, tenant, async (c) => {
    const { entry } = await target(c);
    await kernel.enable(c.get("tenantId"), entry.name);
    return c.json({ enabled: true });
  });

  app.post(`${PLUGIN}/disable`, token, tenant, async (c) => {
    const { entry } = await target(c);
    await kernel.disable(c.get("tenantId"), entry.name);
    return c.json({ enabled: false });
  });
}

/** `{name: string | null}`; errors name the field, never the value. */
function secretChanges(plugin: string, body: unknown): Record<string, string | null> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new ValidationError(`invalid secrets for plugin ${plugin}`, [{
      path: "",
      message: "must be an object of secret names to a string (set) or null (clear)",
    }]);
  }
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(body)) {
    const path = `/${escapePointer(name)}`;
    if (name === "" || name.length > 128) errors.push({ path, message: "secret names are 1 to 128 characters" });
    else if (value !== null && typeof value !== "string") {
      errors.push({ path, message: "must be a string (set) or null (clear)" });
    }
  }
  if (errors.length) throw new ValidationError(`invalid secrets for plugin ${plugin}`, errors);
  return body as Record<string, string | null>;
}
