/**
 * The admin API's wire shapes: snake_case JSON, built field by field. Plugin-provided objects
 * (task data, health details, config) pass through untouched: their keys are the plugin's.
 * Nothing here ever reads a secret value; secrets appear only as names mapped to "set".
 */
import type { ConfigCheck } from "../../kernel.ts";
import type { TaskResult, TaskSchedule } from "../../hooks.ts";
import type { RegisteredPlugin } from "../../registry.ts";
import type { HealthCheckRecord, HealthCheckView, TaskView } from "../../scheduler/types.ts";
import type { ExecutionRecord } from "../../store/history.ts";
import type { PluginState, TenantRecord } from "../../store/tenants.ts";
import { spanView } from "../../trace/span.ts";

type Json = Record<string, unknown>;

/** Drop undefined fields, so absent stays absent on the wire. */
function compact(value: Json): Json {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}

export function pluginInfo(entry: RegisteredPlugin): Json {
  const p = entry.plugin;
  return {
    name: entry.name,
    version: p.version,
    description: p.description,
    author: p.author,
    hooks: [...entry.hooks],
    config_schema: p.CONFIG_SCHEMA,
    secrets_schema: p.SECRETS_SCHEMA,
  };
}

export function tenantView(tenant: Readonly<TenantRecord>): Json {
  return {
    id: tenant.id,
    slug: tenant.slug,
    plan: tenant.plan,
    webhook_secret_count: tenant.webhookSecrets.length,
    enabled_plugins: Object.entries(tenant.plugins).filter(([, s]) => s.enabled).map(([name]) => name).sort(),
    created_at: tenant.createdAt,
    updated_at: tenant.updatedAt,
  };
}

/** `{"api_key": "set"}` for each secret that is set; absent names are not set. */
export function maskedSecrets(names: readonly string[]): Record<string, "set"> {
  return Object.fromEntries(names.map((name) => [name, "set" as const]));
}

export function tenantPluginView(
  entry: RegisteredPlugin,
  state: Readonly<PluginState> | undefined,
  check: ConfigCheck,
): Json {
  return {
    name: entry.name,
    version: entry.plugin.version,
    enabled: state?.enabled === true,
    config: state?.config ?? null,
    // "needs_configuration": the stored config fails the plugin's schema now; its hooks fail until fixed.
    config_status: check.valid ? "ok" : "needs_configuration",
    ...(check.valid ? {} : { config_errors: check.errors.map((e) => ({ path: e.path, message: e.message })) }),
    secrets: maskedSecrets(state?.secretNames ?? []),
    updated_at: state?.updatedAt || null,
  };
}

export function scheduleView(schedule: TaskSchedule): Json {
  return compact({
    cron_expression: schedule.cronExpression,
    interval_seconds: schedule.intervalSeconds,
    timezone: schedule.timezone ?? "UTC",
  });
}

export function executionView(record: ExecutionRecord): Json {
  return compact({
    id: record.id,
    kind: record.kind,
    plugin: record.plugin,
    name: record.name,
    status: record.status,
    at: record.at,
    final: record.final,
    duration_ms: record.durationMs,
    attempt: record.attempt,
    error: record.error,
    reason: record.reason,
    data: record.data,
    event_id: record.eventId,
    scheduled_time: record.scheduledTime,
    correlation_id: record.correlationId,
    spans: record.spans?.map(spanView),
  });
}

export function taskView(task: TaskView): Json {
  return {
    task_id: task.taskId,
    plugin: task.plugin,
    name: task.name,
    description: task.description,
    schedule: scheduleView(task.schedule),
    schedule_text: task.scheduleText,
    next_run_at: task.nextRunAt,
    max_retries: task.maxRetries,
    timeout_seconds: task.timeoutSeconds,
    last_result: task.lastResult ? executionView(task.lastResult) : null,
  };
}

export function taskResultView(result: TaskResult): Json {
  return {
    success: result.success,
    data: result.data ?? null,
    error_message: result.errorMessage ?? null,
    duration_ms: result.durationMs ?? null,
  };
}

export function healthRecordView(record: HealthCheckRecord): Json {
  return compact({
    plugin: record.plugin,
    check_type: record.checkType,
    target: record.target,
    status: record.status,
    latency_ms: record.latencyMs,
    message: record.message,
    details: record.details,
    checked_at: record.checkedAt,
  });
}

export function healthCheckView(view: HealthCheckView): Json {
  return {
    plugin: view.plugin,
    check_type: view.checkType,
    target: view.target,
    status: view.status,
    uptime: view.uptime,
    latest: view.latest ? healthRecordView(view.latest) : null,
    history: view.history.map(healthRecordView),
  };
}
