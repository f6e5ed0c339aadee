/**
 * The contexts every hook receives. A HookContext is frozen: a plugin cannot change what the
 * next plugin sees. `tenantId` is a UUID, checked when the context is made.
 */
import { KernelError } from "./errors.ts";
import { linkSignal, TraceCollector } from "./trace/collector.ts";
import type { TraceSpan } from "./trace/span.ts";

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
   * Aborted when the kernel stops waiting for this hook: an action dispatch that ends with a
   * plugin past its time limit (`hookTimeoutMs`), a filter, task attempt or health check past its
   * own. Every dispatch, filter call, attempt and check gets a context of its own, so a later hook
   * (a retry, the notification a failed check causes) starts with a live one. Pass it to outbound
   * requests so that a timed-out hook stops instead of running on beside its retry. Always set by
   * the kernel; optional in the type because it came in 1.x (hand-built contexts may lack it).
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
  /** The accept span of the webhook behind this context: its hooks' spans continue that trace. */
  trace?: TraceSpan;
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
  const ctx = new Context(
    init.tenantId.toLowerCase(),
    init.tenantSlug,
    init.tenantPlan,
    init.correlationId ?? null,
    init.causationId ?? null,
    init.timestamp?.getTime() ?? Date.now(),
    deepFreeze({ ...init.metadata }),
  );
  if (init.trace) Context.setTrace(ctx, new TraceCollector(init.trace));
  return Object.freeze(ctx);
}

/**
 * The HookContext the kernel makes. `signal` is a getter: its AbortController (costly to make,
 * microseconds on Node) exists only once someone asks for it or aborts it; the private fields are
 * not properties, so they can be set on a frozen context, and neither spreads nor serialises.
 * The trace collector is shared by a context and those contextForCall makes from it; a signal,
 * once made, is linked to it, so the HTTP client can find the trace of the hook that called it.
 */
class Context implements HookContext {
  #controller: AbortController | undefined;
  #trace: TraceCollector | undefined;
  readonly #timestamp: number;
  constructor(
    readonly tenantId: string,
    readonly tenantSlug: string,
    readonly tenantPlan: TenantPlan,
    readonly correlationId: string | null,
    readonly causationId: string | null,
    timestamp: number,
    readonly metadata: Readonly<Record<string, unknown>>,
  ) {
    this.#timestamp = timestamp;
  }

  /** A Date of its own on each read: freezing cannot stop `setTime`, and plugins share the context. */
  get timestamp(): Date {
    return new Date(this.#timestamp);
  }

  get signal(): AbortSignal {
    return this.#made().signal;
  }

  #made(): AbortController {
    if (this.#controller) return this.#controller;
    this.#controller = new AbortController();
    if (this.#trace) linkSignal(this.#controller.signal, this.#trace);
    return this.#controller;
  }

  /** The context's time in ms, without making a Date for it. */
  static time(ctx: HookContext): number {
    return ctx instanceof Context ? ctx.#timestamp : ctx.timestamp.getTime();
  }

  static abort(ctx: Context, reason: Error): void {
    ctx.#made().abort(reason);
  }

  static setTrace(ctx: Context, trace: TraceCollector): void {
    ctx.#trace = trace;
  }

  /** The context's collector, made on first use (a trace of its own, or the correlation id's). */
  static traceOf(ctx: Context): TraceCollector {
    return ctx.#trace ??= new TraceCollector(undefined, traceIdOf(ctx.correlationId));
  }
}

/** A correlation id taken from a `traceparent` is its trace id: the trace goes on under it. */
function traceIdOf(correlationId: string | null): string | undefined {
  return correlationId && /^[0-9a-f]{32}$/.test(correlationId) && !/^0+$/.test(correlationId)
    ? correlationId
    : undefined;
}

/**
 * The trace collector of a context the kernel made (shared with the contexts contextForCall makes
 * from it): after a dispatch, the spans of each plugin's hook and outbound calls.
 */
export function traceOf(ctx: HookContext): TraceCollector | undefined {
  return ctx instanceof Context ? Context.traceOf(ctx) : undefined;
}

/**
 * A context for one dispatch, filter call or check: the same fields as `ctx`, and a signal of
 * its own, which abortHookContext aborts when the kernel stops waiting for it. The caller's
 * context is never aborted, so it can be handed to the next dispatch (a retry, a notification).
 */
export function contextForCall(ctx: HookContext): HookContext {
  const call = new Context(
    ctx.tenantId,
    ctx.tenantSlug,
    ctx.tenantPlan,
    ctx.correlationId,
    ctx.causationId,
    Context.time(ctx),
    ctx.metadata,
  );
  if (ctx instanceof Context) Context.setTrace(call, Context.traceOf(ctx));
  return Object.freeze(call);
}

/** Aborts the signal of a context from contextForCall or createHookContext (others have none to abort). */
export function abortHookContext(ctx: HookContext, reason: Error): void {
  if (ctx instanceof Context) Context.abort(ctx, reason);
}

/** Values deepFreeze froze whole: nothing in them can change any more, so a second call skips the walk. */
const deeplyFrozen = new WeakSet<object>();

/**
 * Freezes a value and everything reachable from it, in place, and returns it. Unlike a check for
 * `Object.isFrozen` at the top, it also walks into parts someone froze shallowly. Typed arrays
 * cannot be frozen and are left alone; a cycle ends the walk.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !deeplyFrozen.has(value)) {
    freezeReachable(value, new Set());
    deeplyFrozen.add(value);
  }
  return value;
}

function freezeReachable(value: object, seen: Set<object>): void {
  if (ArrayBuffer.isView(value) || seen.has(value)) return;
  seen.add(value);
  Object.freeze(value);
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (child !== null && typeof child === "object") freezeReachable(child, seen);
  }
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
