/**
 * Keeping a tenant's jobs in step with its plugins: called when a plugin is enabled, disabled or
 * reconfigured. Asks the plugin for its tasks and checks (they may depend on config), validates
 * all of them before writing anything, computes each new or changed job's next slot once, and
 * removes the jobs of a disabled plugin. An unchanged job keeps its state (next due, lease,
 * retry), so saving an unrelated config field does not reset schedules.
 */
import { KernelError } from "../errors.ts";
import type { HealthMonitorHooks, ScheduledTaskHooks } from "../hooks.ts";
import type { TenantRecord } from "../store/tenants.ts";
import type { SchedulerDeps } from "./context.ts";
import { normalizeChecks, type NormalizedTask, normalizeTasks } from "./definitions.ts";
import { pruneChecks } from "./health.ts";
import { healthJobId } from "./keys.ts";
import { intervalPhaseMs, SlotClock } from "./schedule.ts";
import type { JobState } from "./state.ts";
import type { HealthCheckDefinition } from "../hooks.ts";

interface DesiredJob {
  jobId: string;
  kind: "task" | "health";
  task: NormalizedTask;
  checks?: HealthCheckDefinition[];
}

/** Sync one plugin of a tenant; `existing` are the tenant's current jobs of that plugin. */
export async function syncPlugin(
  deps: SchedulerDeps,
  tenant: Readonly<TenantRecord>,
  plugin: string,
  existing: JobState[],
): Promise<void> {
  const { kernel, store } = deps;
  const entry = kernel.registry.get(plugin);
  const enabled = entry !== undefined && tenant.plugins[plugin]?.enabled === true;
  const desired: DesiredJob[] = [];
  let checks: HealthCheckDefinition[] = [];
  if (enabled) {
    const ctx = kernel.context(tenant, { metadata: { reason: "schedule-sync" } });
    if (entry.hooks.has("scheduledTasks")) {
      const defs = await ask(
        plugin,
        "registerScheduledTasks",
        () => (entry.plugin as unknown as ScheduledTaskHooks).registerScheduledTasks(ctx),
      );
      for (const task of normalizeTasks(plugin, defs)) desired.push({ jobId: task.taskId, kind: "task", task });
    }
    if (entry.hooks.has("healthChecks")) {
      const raw = await ask(
        plugin,
        "registerHealthChecks",
        () => (entry.plugin as unknown as HealthMonitorHooks).registerHealthChecks(ctx),
      );
      checks = normalizeChecks(plugin, raw);
      if (checks.length) {
        desired.push({ jobId: healthJobId(plugin), kind: "health", task: healthTask(deps, plugin), checks });
      }
    }
  }
  const now = kernel.now();
  const wanted = new Set(desired.map((d) => d.jobId));
  for (const state of existing) if (!wanted.has(state.jobId)) await store.remove(state);
  // A disabled monitor keeps its results (shown again when it is re-enabled); an enabled one
  // drops the results of checks it no longer registers.
  if (enabled && entry.hooks.has("healthChecks")) await pruneChecks(deps, tenant.id, plugin, checks);
  for (const job of desired) {
    const prev = existing.find((s) => s.jobId === job.jobId) ?? null;
    const next = planJob(tenant.id, plugin, entry!.plugin.version, job, prev, now);
    if (prev && JSON.stringify(prev) === JSON.stringify(next)) continue;
    await store.placeIndex(next);
    await store.write(next);
  }
}

function planJob(
  tenantId: string,
  plugin: string,
  pluginVersion: string,
  job: DesiredJob,
  prev: JobState | null,
  now: number,
): JobState {
  const { intervalSeconds } = job.task.schedule;
  const phaseMs = intervalSeconds === undefined ? 0 : intervalPhaseMs(`${tenantId}:${job.jobId}`, intervalSeconds);
  const sameSchedule = prev !== null && prev.phaseMs === phaseMs &&
    JSON.stringify(prev.task.schedule) === JSON.stringify(job.task.schedule);
  return {
    v: 1,
    tenantId,
    plugin,
    pluginVersion,
    jobId: job.jobId,
    kind: job.kind,
    task: job.task,
    ...(job.checks ? { checks: job.checks } : {}),
    phaseMs,
    // Computed once here (and after each run), never on idle ticks.
    nextDue: sameSchedule ? prev.nextDue : new SlotClock(job.task.schedule, phaseMs).nextAfter(now),
    dueMinute: prev?.dueMinute ?? null,
    running: prev?.running ?? null,
    retry: sameSchedule ? prev.retry : null,
    last: prev?.last ?? null,
  };
}

/** The health cycle as a job: every `healthIntervalSeconds`, no retries (the next cycle is the retry). */
function healthTask(deps: SchedulerDeps, plugin: string): NormalizedTask {
  const { healthIntervalSeconds, healthTimeoutSeconds } = deps.options;
  return {
    taskId: healthJobId(plugin),
    name: `${plugin} health checks`,
    description: "The plugin's registered health checks",
    schedule: { intervalSeconds: healthIntervalSeconds, timezone: "UTC" },
    maxRetries: 0,
    timeoutSeconds: healthTimeoutSeconds,
  };
}

async function ask<T>(plugin: string, hook: string, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new KernelError(
      "ERR_TASK_INVALID",
      `plugin ${plugin}: ${hook} failed: ${(error as Error)?.message ?? error}`,
      {
        cause: error,
      },
    );
  }
}
