/**
 * Operations on a tenant: its scheduled tasks (with the schedule in words, the next run and the
 * last result), running a task now, the execution history, health check results and running
 * health checks now.
 */
import type { Hono } from "hono";
import { KernelError } from "../../errors.ts";
import type { Kernel } from "../../kernel.ts";
import type { Scheduler } from "../../scheduler/types.ts";
import { EXECUTION_KINDS, EXECUTION_STATUSES } from "../../store/history.ts";
import { refuse } from "../problem.ts";
import { correlationOf } from "../webhooks.ts";
import type { AdminEnv, Guards } from "./guard.ts";
import { executionView, healthCheckView, healthRecordView, taskResultView, taskView } from "./wire.ts";

/** A history cursor (`next_before`): a record's key after the tenant, `<inverted time>:<kind>:<plugin>:<id>`. */
const CURSOR = /^\d{13}:[a-z]+:[a-z0-9-]+:[^\s]{1,200}$/;

export function taskRoutes(app: Hono<AdminEnv>, kernel: Kernel, scheduler: Scheduler, guards: Guards): void {
  const { token, tenant } = guards;

  app.get("/tenants/:id/tasks", token, tenant, async (c) => {
    const id = c.get("tenantId");
    await kernel.requireTenant(id);
    return c.json({ tasks: (await scheduler.tasks(id)).map(taskView) });
  });

  app.post("/tenants/:id/tasks/:task_id/run", token, tenant, async (c) => {
    const id = c.get("tenantId");
    await kernel.requireTenant(id);
    const correlationId = correlationOf(c.req.raw.headers);
    return c.json(taskResultView(await scheduler.runNow(id, c.req.param("task_id") ?? "", { correlationId })));
  });

  app.get("/tenants/:id/executions", token, tenant, async (c) => {
    const id = c.get("tenantId");
    const limitText = c.req.query("limit") ?? "50";
    const limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= 500)) {
      refuse(400, "invalid-query", "limit must be an integer from 1 to 500", {
        errors: [{ path: "limit", message: "must be an integer from 1 to 500" }],
      });
    }
    const kind = oneOf(c.req.query("kind"), "kind", EXECUTION_KINDS);
    const status = oneOf(c.req.query("status"), "status", EXECUTION_STATUSES);
    const before = c.req.query("before");
    if (before !== undefined && !CURSOR.test(before)) {
      refuse(400, "invalid-query", "before must be a next_before of an earlier answer", {
        errors: [{ path: "before", message: "must be a next_before of an earlier answer" }],
      });
    }
    const plugin = c.req.query("plugin");
    if (plugin !== undefined) kernel.registry.require(plugin);
    await kernel.requireTenant(id);
    const page = await kernel.history.page(id, { limit, kind, plugin, status, before });
    return c.json({
      executions: page.records.map(executionView),
      ...(page.next === null ? {} : { next_before: page.next }),
    });
  });

  // Health checks now, as the scheduled cycle runs them (recorded, status changes notified): all of
  // the tenant's, or one plugin's with ?plugin= (404 when it has none to run for this tenant).
  app.post("/tenants/:id/health/run", token, tenant, async (c) => {
    const id = c.get("tenantId");
    const plugin = c.req.query("plugin");
    if (plugin !== undefined) kernel.registry.require(plugin);
    await kernel.requireTenant(id);
    const records = await scheduler.runHealthCycle(id, undefined, plugin === undefined ? {} : { plugin });
    if (plugin !== undefined && records.length === 0) {
      throw new KernelError("ERR_PLUGIN_NOT_FOUND", `${plugin} has no health checks to run for this tenant`);
    }
    return c.json({ results: records.map(healthRecordView) });
  });

  app.get("/tenants/:id/health", token, tenant, async (c) => {
    const id = c.get("tenantId");
    await kernel.requireTenant(id);
    return c.json({ checks: (await scheduler.health(id)).map(healthCheckView) });
  });
}

/** A query parameter that must be one of `allowed` when given; 400 problem naming it otherwise. */
function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined || allowed.includes(value as T)) return value as T | undefined;
  const message = `must be one of ${allowed.join(", ")}`;
  return refuse(400, "invalid-query", `${name} ${message}`, { errors: [{ path: name, message }] });
}
