/**
 * One attempt of a job, and its record: the task's TaskExecutionContext and deadline, or a
 * health cycle; the outcome as a TaskResult with the history status it maps to.
 */
import { abortHookContext, type TaskExecutionContext } from "../context.ts";
import { errorMessage } from "../errors.ts";
import type { ScheduledTaskDefinition, ScheduledTaskHooks, TaskResult } from "../hooks.ts";
import type { ExecutionRecord, ExecutionStatus, NewExecutionRecord } from "../store/history.ts";
import type { TenantRecord } from "../store/tenants.ts";
import type { SchedulerDeps } from "./context.ts";
import { checkTaskResult, withDeadline } from "./execute.ts";
import { runHealthChecks } from "./health.ts";
import type { JobState } from "./state.ts";
import type { HealthCheckRecord } from "./types.ts";

export interface AttemptResult {
  result: TaskResult;
  status: ExecutionStatus;
  checks?: HealthCheckRecord[];
  /** A PluginError: final at once, whatever retries remain. */
  permanent?: true;
}

export interface AttemptInput {
  tenant: Readonly<TenantRecord>;
  state: JobState;
  slot: number;
  attempt: number;
  executionId: string;
  now: number;
  correlationId: string;
  trigger: "schedule" | "manual";
}

export async function runAttempt(deps: SchedulerDeps, input: AttemptInput): Promise<AttemptResult> {
  const { kernel } = deps;
  const { tenant, state, slot, attempt, executionId, now, correlationId, trigger } = input;
  const ctx = kernel.context(tenant, {
    correlationId,
    causationId: executionId,
    timestamp: new Date(now),
    metadata: { taskId: state.jobId, trigger },
  });
  if (state.kind === "health") {
    try {
      const checks = await runHealthChecks(deps, state, tenant, ctx, now);
      return { result: { success: true }, status: "succeeded", checks };
    } catch (error) {
      return { result: { success: false, errorMessage: errorMessage(error) }, status: "failed" };
    }
  }
  const plugin = kernel.registry.require(state.plugin).plugin as unknown as ScheduledTaskHooks;
  const definition = taskDefinition(state);
  const outcome = await withDeadline(state.task.timeoutSeconds * 1000, (signal) => {
    const execCtx: TaskExecutionContext = Object.freeze({
      taskId: state.jobId,
      executionId,
      scheduledTime: new Date(slot),
      actualTime: new Date(kernel.now()),
      attempt,
      tenantId: tenant.id,
      correlationId,
      signal,
    });
    return plugin.executeScheduledTask(definition, ctx, execCtx);
  });
  const durationMs = outcome.durationMs;
  if (outcome.timedOut) {
    abortHookContext(ctx, new Error(`${state.jobId} ${outcome.error}`)); // ctx.signal too, not only execCtx.signal
    return { result: { success: false, errorMessage: outcome.error, durationMs }, status: "timed_out" };
  }
  if (outcome.error !== undefined) {
    const permanent = outcome.permanent ? { permanent: outcome.permanent } : {};
    return { result: { success: false, errorMessage: outcome.error, durationMs }, status: "failed", ...permanent };
  }
  const checked = checkTaskResult(outcome.value);
  if ("error" in checked) {
    return { result: { success: false, errorMessage: checked.error, durationMs }, status: "failed" };
  }
  const result = { ...checked.result, durationMs };
  if (!result.success) result.errorMessage ??= "the task reported success: false";
  return { result, status: result.success ? "succeeded" : "failed" };
}

/** A task execution record in the kernel's history (kind "task", name = task id). */
export function recordTask(
  deps: SchedulerDeps,
  state: JobState,
  fields: Partial<NewExecutionRecord> & { status: ExecutionStatus; final: boolean },
): Promise<ExecutionRecord> {
  return deps.kernel.history.record({
    tenantId: state.tenantId,
    kind: "task",
    plugin: state.plugin,
    name: state.jobId,
    ...fields,
  } as NewExecutionRecord);
}

export function resultFields(result: TaskResult): Partial<NewExecutionRecord> {
  return {
    ...(result.data ? { data: result.data } : {}),
    ...(result.success ? {} : { error: result.errorMessage }),
  };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** What the plugin sees of its task: the validated definition, frozen. */
function taskDefinition(state: JobState): ScheduledTaskDefinition {
  const { taskId, name, description, schedule, maxRetries, timeoutSeconds } = state.task;
  return Object.freeze({
    taskId,
    name,
    description,
    schedule: Object.freeze({ ...schedule }),
    maxRetries,
    timeoutSeconds,
  });
}
