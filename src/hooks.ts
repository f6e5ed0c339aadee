/**
 * The hook protocols of the seed, as TypeScript interfaces: a plugin class `implements` the ones
 * it supports, so a wrong signature is a compile error. At registration the kernel detects which
 * hooks a plugin has by looking for the methods.
 */
import type { HookContext, TaskExecutionContext } from "./context.ts";

/** A CMS content dict (snake_case, as the CMS sends it): content_id, domain, path, page_type, rendered_html, … */
export type Content = Record<string, unknown>;
export type Metadata = Record<string, unknown>;

/** React to content events. Action hooks: their outcome never breaks the publish flow. */
export interface ContentLifecycleHooks {
  /** Called after content is successfully published. */
  contentPublished?(ctx: HookContext, contentId: string, content: Content, metadata?: Metadata): Promise<void> | void;
  /** Called after published content changes. */
  contentUpdated?(ctx: HookContext, contentId: string, content: Content, metadata?: Metadata): Promise<void> | void;
  /** Called after content is deleted; `content` holds what the CMS still knows of it. */
  contentDeleted?(ctx: HookContext, contentId: string, content: Content, metadata?: Metadata): Promise<void> | void;
}

/**
 * Transform or reject content before the CMS stores it. Filter hooks MUST return the content
 * (changed or not); throw `PluginError` to reject the operation with a message for the user.
 */
export interface ContentFilterHooks {
  beforeContentCreate?(ctx: HookContext, content: Content, metadata?: Metadata): Promise<Content> | Content;
  beforeContentUpdate?(ctx: HookContext, content: Content, metadata?: Metadata): Promise<Content> | Content;
}

/** A cron expression (5 fields) or an interval, optionally in an IANA time zone (default UTC). */
export interface TaskSchedule {
  /** Standard 5-field cron, e.g. "0 6 * * *". */
  cronExpression?: string;
  /** Every N seconds; at least 60, the granularity of the tick. */
  intervalSeconds?: number;
  /** IANA time zone the cron expression is read in, e.g. "Europe/Berlin". Default "UTC". */
  timezone?: string;
}

export interface ScheduledTaskDefinition {
  /** Namespaced `plugin-name.task`, e.g. "my-plugin.daily-sync". */
  taskId: string;
  name: string;
  schedule: TaskSchedule;
  description?: string;
  /** Retries after the first attempt fails (default 3). */
  maxRetries?: number;
  /** The AbortSignal fires and the attempt fails after this long (default 300). */
  timeoutSeconds?: number;
}

export interface TaskResult {
  success: boolean;
  data?: Record<string, unknown>;
  errorMessage?: string;
  /** Filled in by the kernel. */
  durationMs?: number;
}

export interface ScheduledTaskHooks {
  /** The tasks to schedule for this tenant (may depend on the tenant's config). */
  registerScheduledTasks(ctx: HookContext): ScheduledTaskDefinition[] | Promise<ScheduledTaskDefinition[]>;
  executeScheduledTask(
    task: ScheduledTaskDefinition,
    ctx: HookContext,
    executionCtx: TaskExecutionContext,
  ): Promise<TaskResult>;
}

export type HealthStatus = "healthy" | "degraded" | "unhealthy";

/** One check a health monitor runs for a tenant, e.g. `{ checkType: "ssl", target: "example.com" }`. */
export interface HealthCheckDefinition {
  checkType: string;
  target: string;
}

export interface HealthCheckResult {
  status: HealthStatus;
  latencyMs?: number;
  message?: string;
  details?: Record<string, unknown>;
  /** Filled in by the kernel when absent. */
  checkedAt?: string;
}

export interface HealthMonitorHooks {
  /** The checks to run for this tenant, usually derived from its config. */
  registerHealthChecks(ctx: HookContext): HealthCheckDefinition[] | Promise<HealthCheckDefinition[]>;
  executeHealthCheck(
    ctx: HookContext,
    checkType: string,
    target: string,
    signal?: AbortSignal,
  ): Promise<HealthCheckResult>;
}

export interface HealthStatusChange {
  plugin: string;
  checkType: string;
  target: string;
  previous: HealthStatus | null;
  current: HealthStatus;
  result: HealthCheckResult;
}

/** React when any health check of the tenant changes status. An action hook. */
export interface HealthStatusHooks {
  healthStatusChanged?(ctx: HookContext, change: HealthStatusChange): Promise<void> | void;
}

/** A time series a plugin collected (clicks per day, days to certificate expiry, …). */
export interface DataSeries {
  name: string;
  unit?: string;
  /** Oldest first; `t` is an ISO 8601 date or time. */
  points: { t: string; v: number }[];
}

export interface DataPanel {
  title: string;
  series: DataSeries[];
}

/** Plugins that collect data expose it for the dashboard's charts. */
export interface DataSeriesHooks {
  dataSeries(ctx: HookContext): Promise<DataPanel[]>;
}

/** The arguments after the context, per action hook. */
export interface ActionHookArgs {
  contentPublished: [contentId: string, content: Content, metadata?: Metadata];
  contentUpdated: [contentId: string, content: Content, metadata?: Metadata];
  contentDeleted: [contentId: string, content: Content, metadata?: Metadata];
  healthStatusChanged: [change: HealthStatusChange];
}
export type ActionHookName = keyof ActionHookArgs;
export const ACTION_HOOKS: readonly ActionHookName[] = [
  "contentPublished",
  "contentUpdated",
  "contentDeleted",
  "healthStatusChanged",
];

export type FilterHookName = "beforeContentCreate" | "beforeContentUpdate";
export const FILTER_HOOKS: readonly FilterHookName[] = ["beforeContentCreate", "beforeContentUpdate"];

/** Every capability a plugin can have; `scheduledTasks` and `healthChecks` are method pairs. */
export type HookName = ActionHookName | FilterHookName | "scheduledTasks" | "healthChecks" | "dataSeries";

/** Methods that must come together. */
const PAIRS = {
  scheduledTasks: ["registerScheduledTasks", "executeScheduledTask"],
  healthChecks: ["registerHealthChecks", "executeHealthCheck"],
} as const;

/** Seed (Python) method names, so a port that kept them gets told the TypeScript name. */
const SEED_NAMES: Record<string, string> = {
  dvp_content_published: "contentPublished",
  dvp_content_updated: "contentUpdated",
  dvp_content_deleted: "contentDeleted",
  dvp_before_content_create: "beforeContentCreate",
  dvp_before_content_update: "beforeContentUpdate",
  dvp_register_scheduled_tasks: "registerScheduledTasks",
  dvp_execute_scheduled_task: "executeScheduledTask",
  dvp_execute_health_check: "executeHealthCheck",
};

/**
 * The hooks `plugin` implements, or the problems that make it unusable
 * (half of a method pair, a hook name that is not a function, a seed-style name).
 */
export function detectHooks(plugin: object): { hooks: HookName[]; problems: string[] } {
  const target = plugin as Record<string, unknown>;
  const hooks: HookName[] = [];
  const problems: string[] = [];
  for (const name of [...ACTION_HOOKS, ...FILTER_HOOKS]) {
    const member = target[name];
    if (member === undefined) continue;
    if (typeof member !== "function") problems.push(`${name} must be a method`);
    else hooks.push(name);
  }
  for (
    const [hook, [register, execute]] of Object.entries(PAIRS) as [keyof typeof PAIRS, readonly [string, string]][]
  ) {
    const hasRegister = typeof target[register] === "function";
    const hasExecute = typeof target[execute] === "function";
    if (hasRegister && hasExecute) hooks.push(hook);
    else if (hasRegister || hasExecute) {
      problems.push(`${hasRegister ? register : execute} needs ${hasRegister ? execute : register} as well`);
    }
  }
  if (target.dataSeries !== undefined) {
    if (typeof target.dataSeries === "function") hooks.push("dataSeries");
    else problems.push("dataSeries must be a method");
  }
  for (const [seed, ts] of Object.entries(SEED_NAMES)) {
    if (typeof target[seed] === "function") problems.push(`${seed} is the Python name: implement ${ts}`);
  }
  return { hooks, problems };
}
