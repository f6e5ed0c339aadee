/**
 * A small in-memory Scheduler for the dashboard's unit tests: tasks come from the enabled
 * plugins, "Run now" runs them and records the result in the kernel's history, health cycles
 * keep results per check. No ticking: the dashboard never ticks. (The browser test runs the real
 * scheduler through the runtime.)
 */
import type { HealthMonitorHooks, Kernel, ScheduledTaskHooks, TaskResult } from "../../src/index.ts";
import { KernelError } from "../../src/index.ts";
import type { HealthCheckRecord, HealthCheckView, Scheduler, TaskView } from "../../src/scheduler/types.ts";

export function createFakeScheduler(kernel: Kernel): Scheduler & { healthRecords: Map<string, HealthCheckRecord[]> } {
  const healthRecords = new Map<string, HealthCheckRecord[]>();

  async function definitions(tenantId: string) {
    const tenant = await kernel.requireTenant(tenantId);
    const ctx = kernel.context(tenant);
    const out = [];
    for (const p of kernel.enabledPlugins(tenant, "scheduledTasks")) {
      const hooks = p.plugin as unknown as ScheduledTaskHooks;
      for (const def of await hooks.registerScheduledTasks(ctx)) out.push({ plugin: p, def, hooks });
    }
    return { tenant, ctx, out };
  }

  const scheduler: Scheduler & { healthRecords: typeof healthRecords } = {
    healthRecords,
    tick: () => Promise.resolve({ due: 0, ran: 0, failed: 0, skipped: 0, enqueued: 0, deferred: 0, durationMs: 0 }),
    handleMessage: () => Promise.resolve(),
    sync: () => Promise.resolve(),

    async tasks(tenantId) {
      const { out } = await definitions(tenantId);
      const views: TaskView[] = [];
      for (const { plugin, def } of out) {
        const [last] = await kernel.history.list(tenantId, { kind: "task", plugin: plugin.name, limit: 50 })
          .then((r) => r.filter((x) => x.name === def.taskId));
        views.push({
          taskId: def.taskId,
          plugin: plugin.name,
          name: def.name,
          description: def.description ?? "",
          schedule: def.schedule,
          scheduleText: def.schedule.cronExpression === "0 6 * * *" ? "every day at 06:00 (UTC)" : "on a schedule",
          nextRunAt: new Date(kernel.now() + 3_600_000).toISOString(),
          maxRetries: def.maxRetries ?? 3,
          timeoutSeconds: def.timeoutSeconds ?? 300,
          lastResult: last ?? null,
        });
      }
      return views;
    },

    async runNow(tenantId, taskId) {
      const { ctx, out } = await definitions(tenantId);
      const found = out.find((x) => x.def.taskId === taskId);
      if (!found) throw new KernelError("ERR_TASK_NOT_FOUND", `task ${taskId} not found`);
      const started = kernel.now();
      let result: TaskResult;
      try {
        result = await found.hooks.executeScheduledTask(found.def, ctx, {
          taskId,
          executionId: crypto.randomUUID(),
          scheduledTime: new Date(started),
          actualTime: new Date(started),
          attempt: 1,
          tenantId: ctx.tenantId,
          correlationId: null,
          signal: new AbortController().signal,
        } as never);
      } catch (error) {
        result = { success: false, errorMessage: (error as Error).message };
      }
      result = { ...result, durationMs: kernel.now() - started };
      await kernel.history.record({
        tenantId: ctx.tenantId,
        kind: "task",
        plugin: found.plugin.name,
        name: taskId,
        status: result.success ? "succeeded" : "failed",
        final: true,
        attempt: 1,
        durationMs: result.durationMs,
        ...(result.errorMessage ? { error: result.errorMessage } : {}),
      });
      return result;
    },

    async runHealthCycle(tenantId) {
      const tenant = await kernel.requireTenant(tenantId);
      const ctx = kernel.context(tenant);
      const records: HealthCheckRecord[] = [];
      for (const p of kernel.enabledPlugins(tenant, "healthChecks")) {
        const hooks = p.plugin as unknown as HealthMonitorHooks;
        for (const { checkType, target } of await hooks.registerHealthChecks(ctx)) {
          const result = await hooks.executeHealthCheck(ctx, checkType, target);
          const record = { ...result, plugin: p.name, checkType, target, checkedAt: new Date(kernel.now()).toISOString() };
          const key = `${tenant.id}|${p.name}|${checkType}|${target}`;
          healthRecords.set(key, [record, ...(healthRecords.get(key) ?? [])]);
          records.push(record);
        }
      }
      return records;
    },

    health(tenantId, options = {}) {
      const views: HealthCheckView[] = [];
      for (const [key, history] of healthRecords) {
        if (!key.startsWith(`${tenantId}|`)) continue;
        const h = history.slice(0, options.historyLimit ?? 50);
        const latest = h[0]!;
        views.push({
          plugin: latest.plugin,
          checkType: latest.checkType,
          target: latest.target,
          latest,
          history: h,
          uptime: h.filter((r) => r.status === "healthy").length / h.length,
          status: latest.status,
        });
      }
      return Promise.resolve(views);
    },
  };
  return scheduler;
}
