/**
 * Runs outside the schedule: `runNow` (the admin's "run now": one attempt, recorded, no
 * retries, refused while a run of the task holds its lock) and a health cycle on demand.
 */
import { KernelError } from "../errors.ts";
import type { TaskResult } from "../hooks.ts";
import type { TenantRecord } from "../store/tenants.ts";
import { iso, recordTask, resultFields, runAttempt } from "./attempt.ts";
import type { SchedulerDeps } from "./context.ts";
import { runHealthChecks } from "./health.ts";
import { type JobState, leaseUntil, mergeAfterRun } from "./state.ts";
import type { HealthCheckRecord } from "./types.ts";

export async function runTaskNow(
  deps: SchedulerDeps,
  tenantId: string,
  taskId: string,
  correlationId: string | null,
): Promise<TaskResult> {
  const { kernel, store, options } = deps;
  const tenant = await kernel.requireTenant(tenantId);
  const state = await store.read(tenant.id, taskId);
  if (!state || state.kind !== "task" || tenant.plugins[state.plugin]?.enabled !== true) {
    throw new KernelError("ERR_TASK_NOT_FOUND", `task ${taskId} is not scheduled for tenant ${tenant.id}`);
  }
  const now = kernel.now();
  const executionId = crypto.randomUUID();
  const until = leaseUntil(state, now, options.leaseGraceMs);
  const busy = state.running && now < state.running.until
    ? `execution ${state.running.executionId} since the slot ${iso(state.running.slot)}`
    : (await store.lock(state, executionId, now, until))
    ? null
    : `execution ${(await store.lockHolder(state))?.executionId ?? "unknown"}`;
  if (busy) {
    const errorMessage = `task ${taskId} is already running (${busy})`;
    await recordTask(deps, state, {
      status: "skipped",
      final: true,
      attempt: 1,
      scheduledTime: iso(now),
      reason: `run now: ${errorMessage}`,
      correlationId,
    });
    return { success: false, errorMessage, durationMs: 0 };
  }
  try {
    state.running = { slot: now, attempt: 1, executionId, until, manual: true };
    await store.write(state);
    const outcome = await runAttempt(deps, {
      tenant,
      state,
      slot: now,
      attempt: 1,
      executionId,
      now,
      correlationId: correlationId ?? executionId,
      trigger: "manual",
    });
    const fresh = mergeAfterRun(await store.read(tenant.id, taskId), state, executionId);
    const record = await recordTask(deps, state, {
      id: executionId,
      status: outcome.status,
      final: true,
      attempt: 1,
      scheduledTime: iso(now),
      durationMs: outcome.result.durationMs,
      reason: "run now",
      correlationId: correlationId ?? executionId,
      ...resultFields(outcome.result),
    });
    if (fresh) {
      fresh.last = record;
      await store.write(fresh);
    }
    return outcome.result;
  } finally {
    await store.unlock(state, executionId);
  }
}

/** The health checks of one monitor job, now (the dashboard's "check now"); no lease, nothing skipped. */
export function runHealthNow(
  deps: SchedulerDeps,
  tenant: Readonly<TenantRecord>,
  state: JobState,
  now: number,
): Promise<HealthCheckRecord[]> {
  const executionId = crypto.randomUUID();
  const ctx = deps.kernel.context(tenant, {
    causationId: executionId,
    correlationId: executionId,
    timestamp: new Date(now),
    metadata: { taskId: state.jobId, trigger: "manual" },
  });
  return runHealthChecks(deps, state, tenant, ctx, now);
}
