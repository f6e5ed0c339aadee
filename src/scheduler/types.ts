/** The scheduler's public shape, used by the HTTP layer, the dashboard and the testing harness. */
import type { HealthCheckResult, HealthStatus, TaskResult, TaskSchedule } from "../hooks.ts";
import type { WorkMessage, WorkQueue } from "../queue.ts";
import type { ExecutionRecord } from "../store/history.ts";

export interface SchedulerOptions {
  /** Fan tick work out through this queue when one invocation should not do it all. */
  queue?: WorkQueue;
  /** Due tasks one tick runs inline before it fans out or defers the rest (default 40). */
  maxInlinePerTick?: number;
  /** Seconds between a tenant's health cycles (default 300). */
  healthIntervalSeconds?: number;
  /** Due messages one tick sends to the queue at most (default 150); the rest wait for the next tick. */
  maxEnqueuePerTick?: number;
  /** Jobs a tick runs side by side (default 8). */
  concurrency?: number;
  /** Time limit of one health check (default 30 s). */
  healthTimeoutSeconds?: number;
  /** Results kept per health check (default 50). */
  healthHistoryLimit?: number;
  /** First retry delay; doubles per attempt, capped at an hour, plus up to 50% jitter (default 60 s). */
  retryBaseSeconds?: number;
  /** Random source for the jitter (default Math.random); tests pass a fixed one. */
  random?: () => number;
  /**
   * Keep the due index (`sched:due:`) that the tick lists (default true: memory, Deno KV). False
   * where each tenant's authority arms an alarm from its own job states and calls `runTenant`
   * (Cloudflare's tenant objects): no due index is written or read, and the tick is `safetyNet`.
   */
  dueIndex?: boolean;
  /** With a queue, the due jobs one `runTenant` runs itself before it sends the rest to the queue (default 1). */
  maxInlinePerAlarm?: number;
  /** Without a due index: what the tick does instead (Cloudflare's Cron Trigger). */
  safetyNet?: SafetyNet;
}

/**
 * The tick where each tenant's authority schedules itself: per tick, the next page of tenants
 * (a cursor in one KV key), each asked to re-arm its alarm if it is missing and to re-sync
 * schedules a deployment changed. Its work per tick is the page, however many tenants there are.
 */
export interface SafetyNet {
  /** Ask one tenant's authority (its Durable Object) to re-arm and re-sync. */
  rearm(tenantId: string): Promise<RearmReport>;
  /** Tenants per tick (default 40): every tenant is visited once every tenants ÷ tenantsPerTick ticks. */
  tenantsPerTick?: number;
}

export interface RearmReport {
  /** The alarm was missing (or later than a job needs) and has been set. */
  rearmed: boolean;
  /** Plugins whose schedules were re-synced (a new version, or enabled before its jobs were stored). */
  synced: string[];
}

export interface TickOptions {
  /** Run only due tasks, or only due health cycles; the other kind stays due (for tests). */
  only?: "tasks" | "health";
}

export interface TickReport {
  /** Due (tenant, task) slots found. */
  due: number;
  ran: number;
  failed: number;
  skipped: number;
  /** Sent to the queue for the consumer to run. */
  enqueued: number;
  /** Left for the next tick (no queue and over the per-tick ceiling). */
  deferred: number;
  durationMs: number;
  /** The safety net's page, when the tick is one (no due index). */
  safetyNet?: SafetyNetReport;
}

export interface SafetyNetReport {
  /** Tenants asked this tick (the page). */
  tenants: number;
  /** Of them, whose alarm was missing and is armed again. */
  rearmed: number;
  /** Plugins re-synced, over all of them. */
  synced: number;
  /** Tenants whose authority could not be asked (asked again next rotation). */
  failed: number;
  /** This page was the last: the next tick starts the rotation over. */
  wrapped: boolean;
}

export interface TaskView {
  taskId: string;
  plugin: string;
  name: string;
  description: string;
  schedule: TaskSchedule;
  /** The schedule in words, e.g. "every day at 06:00 (UTC)". */
  scheduleText: string;
  nextRunAt: string | null;
  maxRetries: number;
  timeoutSeconds: number;
  lastResult: ExecutionRecord | null;
}

export interface HealthCheckRecord extends HealthCheckResult {
  plugin: string;
  checkType: string;
  target: string;
  checkedAt: string;
}

export interface HealthCheckView {
  plugin: string;
  checkType: string;
  target: string;
  latest: HealthCheckRecord | null;
  /** Newest first. */
  history: HealthCheckRecord[];
  /** Share of healthy results in the history, 0..1, or null without history. */
  uptime: number | null;
  status: HealthStatus | null;
}

export interface Scheduler {
  /** One tick of the edge's clock: runs or fans out whatever is due at `now`. */
  tick(now?: Date, options?: TickOptions): Promise<TickReport>;
  /**
   * One tenant's jobs that need attention at `now`, from its own job states (no due index): what
   * the tenant's Durable Object runs when its alarm fires (it re-arms from the stored states).
   * With a queue, all but `maxInlinePerAlarm` of them are sent to it; plugins of another version
   * than their stored jobs are re-synced first.
   */
  runTenant(tenantId: string, now?: Date): Promise<TickReport>;
  /**
   * Re-sync the tenant's plugins whose stored jobs are stale (another plugin version, or enabled
   * before their jobs were stored); the names of those re-synced. The safety net's step per tenant.
   */
  syncIfStale(tenantId: string): Promise<string[]>;
  /** Run a task now, through the same path as a scheduled run (recorded). */
  runNow(tenantId: string, taskId: string, options?: { correlationId?: string | null }): Promise<TaskResult>;
  tasks(tenantId: string): Promise<TaskView[]>;
  health(tenantId: string, options?: { historyLimit?: number }): Promise<HealthCheckView[]>;
  /** Run every health check of the tenant now (or only one plugin's, with `options.plugin`). */
  runHealthCycle(tenantId: string, now?: Date, options?: { plugin?: string }): Promise<HealthCheckRecord[]>;
  /** The queue consumer's entry for `task` and `health` messages. */
  handleMessage(message: WorkMessage): Promise<void>;
  /** Recompute a tenant's schedules (called on enable, disable and config changes). */
  sync(tenantId: string, plugin?: string): Promise<void>;
}
