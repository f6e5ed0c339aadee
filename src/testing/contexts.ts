/**
 * Context factories for calling a hook directly in a unit test: valid UUIDs, frozen like the
 * kernel's own, and a task context whose AbortSignal fires at the task's timeout (or when the
 * test aborts it).
 */
import { createHookContext, type HookContext, type HookContextInit } from "../context.ts";
import type { TaskExecutionContext } from "../context.ts";

/** The tenant the factories and the test kernel use unless told otherwise. */
export const TEST_TENANT_ID = "11111111-1111-4111-8111-111111111111";
export const TEST_TENANT_SLUG = "test-tenant";

/** A frozen HookContext for `TEST_TENANT_ID` on the "pro" plan; override any field. */
export function hookContext(overrides: Partial<HookContextInit> = {}): HookContext {
  return createHookContext({
    tenantId: TEST_TENANT_ID,
    tenantSlug: TEST_TENANT_SLUG,
    tenantPlan: "pro",
    correlationId: crypto.randomUUID(),
    causationId: null,
    ...overrides,
  });
}

export interface TaskContextOverrides extends Partial<Omit<TaskExecutionContext, "signal">> {
  /** Abort after this many seconds (the scheduler does so at the task's `timeoutSeconds`). */
  timeoutSeconds?: number;
  /** Use this signal instead (e.g. `AbortSignal.abort()` to test the timed-out path). */
  signal?: AbortSignal;
}

export interface TestTaskContext extends TaskExecutionContext {
  /** Abort the signal now, as a timeout would. */
  readonly abort: (reason?: unknown) => void;
}

/** A frozen TaskExecutionContext: attempt 1, scheduled and started now, for `TEST_TENANT_ID`. */
export function taskContext(overrides: TaskContextOverrides = {}): TestTaskContext {
  const { timeoutSeconds, signal, ...fields } = overrides;
  const controller = new AbortController();
  if (signal) {
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  }
  if (timeoutSeconds !== undefined) {
    const timer = setTimeout(
      () => controller.abort(new DOMException(`task timed out after ${timeoutSeconds} s`, "TimeoutError")),
      timeoutSeconds * 1000,
    );
    // Do not keep a test process alive for a timer nobody waits on.
    (timer as { unref?: () => void }).unref?.();
  }
  const now = new Date();
  // Shallow freeze: freezing the AbortSignal itself would stop it from ever aborting.
  return Object.freeze({
    taskId: "test-plugin.task",
    executionId: crypto.randomUUID(),
    scheduledTime: now,
    actualTime: now,
    attempt: 1,
    tenantId: TEST_TENANT_ID,
    correlationId: crypto.randomUUID(),
    ...fields,
    signal: controller.signal,
    abort: (reason?: unknown) => controller.abort(reason),
  });
}
