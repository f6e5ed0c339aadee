/**
 * The contexts every hook receives. A HookContext is frozen: a plugin cannot change what the
 * next plugin sees. `tenantId` is a UUID, checked when the context is made.
 */
import { KernelError } from "./errors.ts";

export type TenantPlan = "free" | "pro" | "enterprise";
export const TENANT_PLANS: readonly TenantPlan[] = ["free", "pro", "enterprise"];

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID_PATTERN.test(value);
}

export interface HookContext {
  /** The tenant's UUID. */
  readonly tenantId: string;
  /** Human-readable tenant name, e.g. "acme-corp". */
  readonly tenantSlug: string;
  /** Subscription plan, for feature gating. */
  readonly tenantPlan: TenantPlan;
  /** Links related operations across services (from `x-correlation-id` or `traceparent`). */
  readonly correlationId: string | null;
  /** The id of the event that caused this hook (a webhook id, a task execution id). */
  readonly causationId: string | null;
  /** When the hook was invoked (UTC). */
  readonly timestamp: Date;
  /** Additional context from the system. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /**
   * Aborted when the kernel stops waiting for a hook that received this context: its time limit
   * (`hookTimeoutMs`) passed. Pass it to outbound requests so that a timed-out hook stops, instead
   * of running on while its retry starts. Always set by the kernel; optional in the type because
   * it came in 1.x (contexts built by hand, in older tests, may lack it).
   */
  readonly signal?: AbortSignal;
}

export interface HookContextInit {
  tenantId: string;
  tenantSlug: string;
  tenantPlan: TenantPlan;
  correlationId?: string | null;
  causationId?: string | null;
  timestamp?: Date;
  metadata?: Record<string, unknown>;
}

export function createHookContext(init: HookContextInit): HookContext {
  if (!isUuid(init.tenantId)) {
    throw new KernelError(
      "ERR_TENANT_INVALID",
      `HookContext: tenantId must be a UUID, got ${JSON.stringify(init.tenantId)}`,
    );
  }
  if (!TENANT_PLANS.includes(init.tenantPlan)) {
    throw new KernelError("ERR_TENANT_INVALID", `HookContext: tenantPlan must be one of ${TENANT_PLANS.join(", ")}`);
  }
  const controller = new AbortController();
  const ctx: HookContext = Object.freeze({
    tenantId: init.tenantId.toLowerCase(),
    tenantSlug: init.tenantSlug,
    tenantPlan: init.tenantPlan,
    correlationId: init.correlationId ?? null,
    causationId: init.causationId ?? null,
    timestamp: init.timestamp ?? new Date(),
    metadata: deepFreeze({ ...init.metadata }),
    signal: controller.signal,
  });
  aborters.set(ctx, controller);
  return ctx;
}

// Kept beside the frozen context, so that only the kernel can abort its signal.
const aborters = new WeakMap<HookContext, AbortController>();

/** Aborts `ctx.signal` (the kernel gave up waiting for a hook that got it); once is enough. */
export function abortHookContext(ctx: HookContext, reason: Error): void {
  aborters.get(ctx)?.abort(reason);
}

/** Freezes a JSON-like value in place and returns it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** What a scheduled task receives besides its definition and the HookContext. */
export interface TaskExecutionContext {
  /** Namespaced task id, e.g. "my-plugin.daily-sync". */
  readonly taskId: string;
  /** Unique id of this execution attempt. */
  readonly executionId: string;
  /** The slot this run is for (the latest one due, after missed ticks). */
  readonly scheduledTime: Date;
  /** When execution actually started. */
  readonly actualTime: Date;
  /** 1 on the first try, 2 on the first retry, and so on. */
  readonly attempt: number;
  readonly tenantId: string | null;
  readonly correlationId: string | null;
  /** Fires when the task's `timeoutSeconds` is reached: pass it to fetch and stop work. */
  readonly signal: AbortSignal;
}
