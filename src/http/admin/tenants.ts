/**
 * Tenants: `PUT /tenants/{id}` creates (201, platform tokens only, a generated `whsec_` secret
 * returned once) or updates (200, any token scoped to the tenant); `GET /tenants/{id}` shows the
 * tenant with the number of webhook secrets, never the secrets.
 */
import type { Hono } from "hono";
import { ValidationError } from "../../errors.ts";
import type { Kernel } from "../../kernel.ts";
import { readJsonBody } from "./body.ts";
import { refuseForbidden } from "../problem.ts";
import type { AdminEnv, Guards } from "./guard.ts";
import { tenantView } from "./wire.ts";

const TENANT_FIELDS = new Set(["slug", "plan", "webhook_secrets"]);

export function tenantRoutes(app: Hono<AdminEnv>, kernel: Kernel, guards: Guards): void {
  app.get("/tenants/:id", guards.token, guards.tenant, async (c) => {
    return c.json(tenantView(await kernel.requireTenant(c.get("tenantId"))));
  });

  app.put("/tenants/:id", guards.token, guards.tenant, async (c) => {
    const id = c.get("tenantId");
    // Creating a tenant is a platform act; a scoped token may only change its own tenant.
    if (c.get("principal").tenants !== "*" && !(await kernel.getTenant(id))) {
      refuseForbidden('creating a tenant needs a platform token (tenants: "*")');
    }
    const input = tenantInput(await readJsonBody(c.req.raw));
    const { tenant, created, generatedSecret } = await kernel.putTenant(id, input);
    const view = tenantView(tenant);
    if (!created) return c.json(view, 200);
    c.header("location", new URL(c.req.url).pathname.replace(/[^/]+$/, tenant.id)); // the id as stored: lowercase
    return c.json(generatedSecret ? { ...view, webhook_secret: generatedSecret } : view, 201);
  });
}

function tenantInput(body: unknown): { slug: string; plan: never; webhookSecrets?: string[] } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new ValidationError("invalid tenant", [{ path: "", message: "must be an object" }]);
  }
  const unknown = Object.keys(body).filter((k) => !TENANT_FIELDS.has(k));
  if (unknown.length) {
    throw new ValidationError(
      "invalid tenant",
      unknown.map((k) => ({ path: `/${k}`, message: "is not a tenant field (slug, plan, webhook_secrets)" })),
    );
  }
  const b = body as { slug?: unknown; plan?: unknown; webhook_secrets?: unknown };
  return {
    slug: b.slug as string,
    plan: b.plan as never,
    ...(b.webhook_secrets === undefined ? {} : { webhookSecrets: b.webhook_secrets as string[] }),
  };
}
