/**
 * The admin API (DESIGN §4), a Hono router the app mounts with `app.route("/v1", adminApi(deps))`.
 * Every route checks its Bearer JWT itself (see admin/guard.ts for why there is no `use("*")`),
 * every refusal is thrown and answered as problem+json by ../problem.ts, wire JSON is snake_case.
 */
import { Hono } from "hono";
import { problemFor, refuse } from "./problem.ts";
import type { HttpDeps } from "./deps.ts";
import { type AdminEnv, createGuards } from "./admin/guard.ts";
import { revocationsFor } from "./revocations.ts";
import { platformRoutes } from "./admin/platform.ts";
import { eventRoutes } from "./admin/events.ts";
import { pluginRoutes } from "./admin/plugins.ts";
import { taskRoutes } from "./admin/tasks.ts";
import { tenantRoutes } from "./admin/tenants.ts";

export type { AdminEnv } from "./admin/guard.ts";

/** Each admin path and the methods it answers; any other method gets 405 with `Allow`. */
const ALLOWED: Record<string, string> = {
  "/plugins": "GET",
  "/tenants/:id": "GET, PUT",
  "/tenants/:id/plugins": "GET",
  "/tenants/:id/plugins/:name": "GET",
  "/tenants/:id/plugins/:name/config": "GET, PUT",
  "/tenants/:id/plugins/:name/secrets": "GET, PUT",
  "/tenants/:id/plugins/:name/enable": "POST",
  "/tenants/:id/plugins/:name/disable": "POST",
  "/tenants/:id/tasks": "GET",
  "/tenants/:id/tasks/:task_id/run": "POST",
  "/tenants/:id/executions": "GET",
  "/tenants/:id/health": "GET",
  "/tenants/:id/events/:event_id/replay": "POST",
  "/admin/rotate-secrets": "POST",
};

export function adminApi(deps: Pick<HttpDeps, "kernel" | "scheduler" | "events" | "auth">): Hono<AdminEnv> {
  const { kernel, scheduler, events, auth } = deps;
  const logger = kernel.logger.child({ component: "admin" });
  const app = new Hono<AdminEnv>();
  const guards = createGuards(auth, logger, revocationsFor(kernel.driver, kernel.now));

  tenantRoutes(app, kernel, guards);
  pluginRoutes(app, kernel, guards);
  taskRoutes(app, kernel, scheduler, guards);
  eventRoutes(app, kernel, events, guards);
  platformRoutes(app, kernel, guards);

  // Registered after the real routes, so they only answer methods no route took.
  for (const [path, allow] of Object.entries(ALLOWED)) {
    app.all(
      path,
      (c) => refuse(405, "method-not-allowed", `${c.req.method} is not allowed here; use ${allow}`, {}, { allow }),
    );
  }

  app.onError((error, c) => problemFor(error, logger, c));
  return app;
}
