/**
 * The route table of the HTTP API: every operation the app answers under /v1 (and /healthz), with
 * its auth, parameters, request body and the statuses it answers. The OpenAPI document is built
 * from it (./document.ts) and a test checks it against the routes the app registers and the
 * answers it gives (test/node/openapi.test.ts), so the table cannot drift from the code.
 */
import { EXECUTION_KINDS, EXECUTION_STATUSES } from "../../store/history.ts";

export type Method = "get" | "put" | "post";
export type Security = "admin" | "platform" | "webhook" | "none";

export interface Operation {
  method: Method;
  /** OpenAPI form: `/v1/tenants/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: "admin" | "webhooks" | "platform";
  security: Security;
  /** Component name of the JSON request body; `optional` when the body may be left out. */
  body?: { schema: string; optional?: boolean };
  query?: { name: string; schema: Record<string, unknown>; description: string }[];
  /** Status → component name of the JSON body (null: no body). Errors are Problem. */
  ok: Record<number, string | null>;
  /** Error statuses besides those every operation of its kind can answer (see ERRORS). */
  errors?: number[];
}

/** What any operation can answer, by its auth: refusals of the token or signature, unknown ids, failures. */
export const ERRORS: Record<Security, number[]> = {
  admin: [401, 403, 404, 500, 503],
  platform: [401, 403, 500, 503],
  webhook: [401, 413, 415, 500, 503],
  none: [],
};

/** Statuses an operation that reads a JSON body can answer besides those. */
export const BODY_ERRORS = [400, 409, 413, 415, 422];

const T = "/v1/tenants/{id}";
const P = `${T}/plugins/{name}`;

export const OPERATIONS: Operation[] = [
  {
    method: "get",
    path: "/healthz",
    operationId: "getHealthz",
    summary: "Liveness",
    tag: "platform",
    security: "none",
    ok: { 200: "Health" },
  },
  {
    method: "get",
    path: "/v1/openapi.json",
    operationId: "getOpenApi",
    summary: "This document",
    tag: "platform",
    security: "none",
    ok: { 200: null },
  },
  {
    method: "post",
    path: "/v1/webhooks/{tenant_id}",
    operationId: "postWebhook",
    summary: "A signed content event (Standard Webhooks): 202 once durable, 200 for a repeated webhook-id",
    tag: "webhooks",
    security: "webhook",
    body: { schema: "WebhookEvent" },
    ok: { 202: "WebhookAccepted", 200: "WebhookAccepted" },
    errors: [400, 422],
  },
  {
    method: "post",
    path: "/v1/tenants/{tenant_id}/filters/{hook}",
    operationId: "postFilter",
    summary:
      "Run the tenant's filter hooks on content before it is saved (hook: content.before_create or content.before_update)",
    tag: "webhooks",
    security: "webhook",
    body: { schema: "FilterInput" },
    ok: { 200: "FilterResult" },
    errors: [400, 404, 422],
  },
  {
    method: "get",
    path: "/v1/plugins",
    operationId: "listPlugins",
    summary: "The registered plugins with their config and secrets schemas",
    tag: "admin",
    security: "admin",
    ok: { 200: "PluginList" },
  },
  {
    method: "get",
    path: T,
    operationId: "getTenant",
    summary: "A tenant",
    tag: "admin",
    security: "admin",
    ok: { 200: "Tenant" },
  },
  {
    method: "put",
    path: T,
    operationId: "putTenant",
    summary: "Create (201, platform token; the generated webhook secret is returned once) or update (200) a tenant",
    tag: "admin",
    security: "admin",
    body: { schema: "TenantInput" },
    ok: { 200: "Tenant", 201: "TenantCreated" },
  },
  {
    method: "get",
    path: `${T}/plugins`,
    operationId: "listTenantPlugins",
    summary: "Every plugin's state for the tenant",
    tag: "admin",
    security: "admin",
    ok: { 200: "TenantPluginList" },
  },
  {
    method: "get",
    path: P,
    operationId: "getTenantPlugin",
    summary: "One plugin's state for the tenant",
    tag: "admin",
    security: "admin",
    ok: { 200: "TenantPlugin" },
  },
  {
    method: "get",
    path: `${P}/config`,
    operationId: "getPluginConfig",
    summary: "The plugin's config with defaults applied",
    tag: "admin",
    security: "admin",
    ok: { 200: "PluginConfig" },
  },
  {
    method: "put",
    path: `${P}/config`,
    operationId: "putPluginConfig",
    summary: "Replace the plugin's config (validated against its schema)",
    tag: "admin",
    security: "admin",
    body: { schema: "PluginConfig" },
    ok: { 200: "PluginConfig" },
  },
  {
    method: "get",
    path: `${P}/secrets`,
    operationId: "getPluginSecrets",
    summary: "The names of the secrets that are set",
    tag: "admin",
    security: "admin",
    ok: { 200: "MaskedSecrets" },
  },
  {
    method: "put",
    path: `${P}/secrets`,
    operationId: "putPluginSecrets",
    summary: "Set (a string) or clear (null) secrets; values are sealed and never shown again",
    tag: "admin",
    security: "admin",
    body: { schema: "SecretChanges" },
    ok: { 204: null },
  },
  {
    method: "post",
    path: `${P}/enable`,
    operationId: "enablePlugin",
    summary: "Enable the plugin for the tenant",
    tag: "admin",
    security: "admin",
    ok: { 200: "Enabled" },
    errors: [409, 422],
  },
  {
    method: "post",
    path: `${P}/disable`,
    operationId: "disablePlugin",
    summary: "Disable the plugin for the tenant",
    tag: "admin",
    security: "admin",
    ok: { 200: "Enabled" },
    errors: [409],
  },
  {
    method: "get",
    path: `${T}/tasks`,
    operationId: "listTasks",
    summary: "The tenant's scheduled tasks, their next run and last result",
    tag: "admin",
    security: "admin",
    ok: { 200: "TaskList" },
  },
  {
    method: "post",
    path: `${T}/tasks/{task_id}/run`,
    operationId: "runTask",
    summary: "Run a task now (recorded like a scheduled run)",
    tag: "admin",
    security: "admin",
    ok: { 200: "TaskResult" },
    errors: [409, 422],
  },
  {
    method: "get",
    path: `${T}/executions`,
    operationId: "listExecutions",
    summary: "The execution history, newest first",
    tag: "admin",
    security: "admin",
    query: [
      { name: "limit", schema: { type: "integer", minimum: 1, maximum: 500, default: 50 }, description: "1 to 500" },
      { name: "kind", schema: { enum: [...EXECUTION_KINDS] }, description: "only this kind" },
      { name: "plugin", schema: { type: "string" }, description: "only this plugin" },
      {
        name: "status",
        schema: { enum: [...EXECUTION_STATUSES] },
        description: "only this status (combines with kind and plugin)",
      },
      { name: "before", schema: { type: "string" }, description: "the next_before of the previous page" },
    ],
    ok: { 200: "ExecutionList" },
    errors: [400],
  },
  {
    method: "get",
    path: `${T}/health`,
    operationId: "listHealthChecks",
    summary: "Health checks: latest result, history and uptime",
    tag: "admin",
    security: "admin",
    ok: { 200: "HealthCheckList" },
  },
  {
    method: "post",
    path: `${T}/health/run`,
    operationId: "runHealthChecks",
    summary: "Run the tenant's health checks now: every plugin's, or one plugin's",
    tag: "admin",
    security: "admin",
    query: [
      { name: "plugin", schema: { type: "string" }, description: "only this plugin's checks (404 when it has none)" },
    ],
    ok: { 200: "HealthRun" },
  },
  {
    method: "post",
    path: `${T}/events/{event_id}/replay`,
    operationId: "replayEvent",
    summary: "Run an accepted event again for the plugins whose final record failed (or those named)",
    tag: "admin",
    security: "admin",
    body: { schema: "ReplayInput", optional: true },
    ok: { 202: "Replay", 200: "Replay" },
  },
  {
    method: "post",
    path: "/v1/admin/rotate-secrets",
    operationId: "rotateSecrets",
    summary: "Re-encrypt every secret under the primary master key (platform token)",
    tag: "platform",
    security: "platform",
    ok: { 200: "RotationReport" },
  },
];

/** Every status an operation may answer, errors included. */
export function statusesOf(op: Operation): number[] {
  const all = new Set([...Object.keys(op.ok).map(Number), ...ERRORS[op.security], ...(op.errors ?? [])]);
  if (op.body) { for (const s of BODY_ERRORS) all.add(s); }
  return [...all].sort((a, b) => a - b);
}
