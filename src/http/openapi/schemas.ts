/**
 * The JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the bodies the admin API and the webhook
 * endpoints take and give: the components of the OpenAPI document (./document.ts). Responses are
 * closed (`additionalProperties: false`) where the kernel builds them field by field (admin/wire.ts);
 * plugin-provided values (config, task data, health details) stay open.
 */
import { EXECUTION_KINDS, EXECUTION_STATUSES } from "../../store/history.ts";

type Schema = Record<string, unknown>;

const str: Schema = { type: "string" };
const int = (minimum = 0): Schema => ({ type: "integer", minimum });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: "null" }] });
const dateTime: Schema = { type: "string", format: "date-time" };
const uuid: Schema = { type: "string", format: "uuid" };
const anyObject: Schema = { type: "object" };
const list = (items: Schema): Schema => ({ type: "array", items });

/** An object with exactly these properties, the `optional` ones allowed to be absent. */
function closed(properties: Record<string, Schema>, optional: string[] = []): Schema {
  return {
    type: "object",
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    additionalProperties: false,
  };
}

const tenantFields = {
  id: uuid,
  slug: str,
  plan: ref("TenantPlan"),
  webhook_secret_count: int(),
  enabled_plugins: list(str),
  created_at: dateTime,
  updated_at: dateTime,
};

const healthRecord = closed({
  plugin: str,
  check_type: str,
  target: str,
  status: ref("HealthStatus"),
  latency_ms: { type: "number" },
  message: str,
  details: anyObject,
  checked_at: dateTime,
}, ["latency_ms", "message", "details"]);

export const SCHEMAS: Record<string, Schema> = {
  Problem: {
    description: "RFC 9457 problem details; `errors` lists the fields a validation refused.",
    type: "object",
    properties: {
      type: { type: "string", format: "uri" },
      title: str,
      status: { type: "integer", minimum: 400, maximum: 599 },
      detail: str,
      errors: list(closed({ path: str, message: str })),
    },
    required: ["type", "title", "status"],
  },
  TenantPlan: { enum: ["free", "pro", "enterprise"] },
  HealthStatus: { enum: ["healthy", "degraded", "unhealthy"] },
  TenantInput: closed({
    slug: { type: "string", pattern: "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$" },
    plan: ref("TenantPlan"),
    webhook_secrets: { ...list(str), minItems: 1, maxItems: 10 },
  }, ["webhook_secrets"]),
  Tenant: closed(tenantFields),
  TenantCreated: closed({ ...tenantFields, webhook_secret: str }, ["webhook_secret"]),
  PluginInfo: closed({
    name: str,
    version: str,
    description: str,
    author: str,
    hooks: list(str),
    config_schema: anyObject,
    secrets_schema: anyObject,
  }),
  PluginList: closed({ plugins: list(ref("PluginInfo")) }),
  MaskedSecrets: {
    description: "The names of the secrets that are set; values never leave the kernel.",
    type: "object",
    additionalProperties: { const: "set" },
  },
  SecretChanges: {
    description: "A string sets a secret, null clears it.",
    type: "object",
    propertyNames: { minLength: 1, maxLength: 128 },
    additionalProperties: { type: ["string", "null"] },
  },
  TenantPlugin: closed({
    name: str,
    version: str,
    enabled: { type: "boolean" },
    config: nullable(anyObject),
    config_status: {
      enum: ["ok", "needs_configuration"],
      description: "needs_configuration: the stored config fails the plugin's schema now; its hooks fail until fixed.",
    },
    config_errors: list(closed({ path: str, message: str })),
    secrets: ref("MaskedSecrets"),
    updated_at: nullable(str),
  }, ["config_errors"]),
  TenantPluginList: closed({ plugins: list(ref("TenantPlugin")) }),
  PluginConfig: { description: "The plugin's config (its own schema: components plugin-<name>-config).", ...anyObject },
  Enabled: closed({ enabled: { type: "boolean" } }),
  Execution: closed({
    id: str,
    kind: { enum: [...EXECUTION_KINDS] },
    plugin: str,
    name: str,
    status: { enum: [...EXECUTION_STATUSES] },
    at: dateTime,
    final: { type: "boolean" },
    duration_ms: { type: "number" },
    attempt: int(1),
    error: str,
    reason: str,
    data: anyObject,
    event_id: str,
    scheduled_time: str,
    correlation_id: nullable(str),
    spans: list(ref("Span")),
  }, [
    "duration_ms",
    "attempt",
    "error",
    "reason",
    "data",
    "event_id",
    "scheduled_time",
    "correlation_id",
    "spans",
  ]),
  Span: closed({
    kind: { enum: ["accept", "hook", "http"] },
    name: str,
    trace_id: { type: "string", pattern: "^[0-9a-f]{32}$" },
    span_id: { type: "string", pattern: "^[0-9a-f]{16}$" },
    parent_span_id: { type: "string", pattern: "^[0-9a-f]{16}$" },
    start: dateTime,
    duration_ms: { type: "number" },
    status: int(),
    error: str,
  }, ["parent_span_id", "status", "error"]),
  ExecutionList: closed({
    executions: list(ref("Execution")),
    next_before: { ...str, description: "Pass as ?before= for the next (older) page; absent on the last page." },
  }, ["next_before"]),
  Task: closed({
    task_id: str,
    plugin: str,
    name: str,
    description: str,
    schedule: closed({ cron_expression: str, interval_seconds: int(1), timezone: str }, [
      "cron_expression",
      "interval_seconds",
    ]),
    schedule_text: str,
    next_run_at: nullable(str),
    max_retries: int(),
    timeout_seconds: { type: "number" },
    last_result: nullable(ref("Execution")),
  }),
  TaskList: closed({ tasks: list(ref("Task")) }),
  TaskResult: closed({
    success: { type: "boolean" },
    data: nullable(anyObject),
    error_message: nullable(str),
    duration_ms: nullable({ type: "number" }),
  }),
  HealthRecord: healthRecord,
  HealthCheck: closed({
    plugin: str,
    check_type: str,
    target: str,
    status: nullable(ref("HealthStatus")),
    uptime: nullable({ type: "number", minimum: 0, maximum: 1 }),
    latest: nullable(ref("HealthRecord")),
    history: list(ref("HealthRecord")),
  }),
  HealthCheckList: closed({ checks: list(ref("HealthCheck")) }),
  HealthRun: { description: "The results of the checks that ran.", ...anyObject },
  ReplayInput: closed({ plugins: { ...list(str), minItems: 1, maxItems: 100 } }),
  Replay: closed({ event_id: str, replayed: list(str) }),
  RotationReport: closed({
    tenants: int(),
    reencrypted: int(),
    failed: list(closed({ tenant_id: str, scope: str, error: str })),
  }),
  Health: closed({ status: { const: "ok" } }),
  WebhookEvent: {
    type: "object",
    properties: {
      type: { enum: ["content.published", "content.updated", "content.deleted"] },
      timestamp: dateTime,
      data: {
        type: "object",
        properties: {
          content_id: { type: "string", minLength: 1, maxLength: 512 },
          content: anyObject,
          metadata: nullable(anyObject),
        },
        required: ["content_id"],
      },
    },
    required: ["type", "timestamp", "data"],
  },
  WebhookAccepted: closed({ id: str, status: { enum: ["accepted", "duplicate"] } }),
  FilterInput: {
    type: "object",
    properties: { content: anyObject, metadata: anyObject },
    required: ["content"],
  },
  FilterResult: closed({ content: anyObject }),
};
