/** Platform operations (tokens with `tenants: "*"` only): re-encrypting every secret under the primary key. */
import type { Hono } from "hono";
import type { Kernel } from "../../kernel.ts";
import type { AdminEnv, Guards } from "./guard.ts";

export function platformRoutes(app: Hono<AdminEnv>, kernel: Kernel, guards: Guards): void {
  app.post("/admin/rotate-secrets", guards.token, guards.platform, async (c) => {
    const report = await kernel.rotateSecrets();
    kernel.logger.info("secrets rotated to the primary master key", {
      subject: c.get("principal").subject,
      tenants: report.tenants,
      reencrypted: report.reencrypted,
      failed: report.failed.length,
    });
    return c.json({
      tenants: report.tenants,
      reencrypted: report.reencrypted,
      failed: report.failed.map((f) => ({ tenant_id: f.tenantId, scope: f.scope, error: f.error })),
    });
  });
}
