import type { PluginNames } from "../names.ts";
import type { HookGroup } from "./hooks.ts";

export function pluginTemplate(
  n: PluginNames,
  groups: HookGroup[],
  meta: { description: string; author: string; kernelRange: string },
): string {
  const has = (g: HookGroup) => groups.includes(g);
  const types = ["type HookContext", "Plugin"];
  const protocols: string[] = [];
  if (has("content")) {
    types.push("type Content", "type ContentLifecycleHooks", "type Metadata", "upstreamError");
    protocols.push("ContentLifecycleHooks");
  }
  if (has("filters")) {
    if (!types.includes("type Content")) types.push("type Content");
    if (!types.includes("type Metadata")) types.push("type Metadata");
    if (!types.includes("PluginError")) types.push("PluginError");
    types.push("type ContentFilterHooks");
    protocols.push("ContentFilterHooks");
  }
  if (has("tasks")) {
    types.push(
      "type ScheduledTaskDefinition",
      "type ScheduledTaskHooks",
      "type TaskExecutionContext",
      "type TaskResult",
    );
    protocols.push("ScheduledTaskHooks");
  }
  if (has("health")) {
    types.push("type HealthCheckDefinition", "type HealthCheckResult", "type HealthMonitorHooks");
    protocols.push("HealthMonitorHooks");
  }
  const sortKey = (s: string) => s.replace(/^type /, "").toLowerCase();
  types.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));

  const sections: string[] = [];
  if (has("content")) sections.push(CONTENT);
  if (has("filters")) sections.push(FILTERS);
  if (has("tasks")) sections.push(tasks(n));
  if (has("health")) sections.push(HEALTH);

  return `/**
 * ${n.title}: ${meta.description}
 */
import {
${types.map((t) => `  ${t},`).join("\n")}
} from "../../src/index.ts";
import type { HttpClientOptions } from "../../src/entries/client.ts";
import { ${n.clientClass} } from "./client.ts";
import { CONFIG_SCHEMA, type ${n.configType}, SECRETS_SCHEMA } from "./config.ts";

export class ${n.className} extends Plugin<${n.configType}> implements ${protocols.join(", ")} {
  readonly name = "${n.slug}";
  readonly version = "0.1.0";
  override description = ${JSON.stringify(meta.description)};
  override author = ${JSON.stringify(meta.author)};
  override kernelVersion = ${JSON.stringify(meta.kernelRange)};
  override CONFIG_SCHEMA = CONFIG_SCHEMA;
  override SECRETS_SCHEMA = SECRETS_SCHEMA;

  /**
   * \`allowInsecureUrls\`: the deployment's DVP_ALLOW_INSECURE_URLS (http and local hosts, for
   * development only). \`http\`: overrides for the HTTP client, e.g. an instant \`sleep\` in tests.
   */
  constructor(private readonly options: { allowInsecureUrls?: boolean; http?: Partial<HttpClientOptions> } = {}) {
    super();
  }
${sections.join("")}
  /**
   * A client for the tenant's endpoint and token (config and secrets are per tenant), with a time
   * budget for the work it serves: every attempt and the backoff between them (0.5 s, then 1 s)
   * end before the kernel stops waiting. A hook has hookTimeoutMs (10 s): 3 × 2.5 s + 1.5 s = 9 s.
   * A health check has 30 s: 3 × 8 s + 1.5 s = 25.5 s. A task has its timeoutSeconds (120 s): the
   * tenant's timeout_seconds per attempt (3 × 30 s + 1.5 s by default; the task's signal ends the rest).
   */
  async client(tenantId: string, use: "hook" | "health" | "task"): Promise<${n.clientClass}> {
    const config = await this.getConfig(tenantId);
    const secrets = await this.getSecrets(tenantId);
    const calls = use === "hook"
      ? { timeoutMs: 2_500, retries: 2 }
      : use === "health"
      ? { timeoutMs: 8_000, retries: 2 }
      : { timeoutMs: (config.timeout_seconds ?? 30) * 1000, retries: 2 };
    return new ${n.clientClass}({
      baseUrl: config.api_endpoint,
      token: secrets.require("api_token"),
      tenantId,
      fetch: this.fetch,
      logger: this.logger,
      ...calls,
      http: { ...this.options.http, allowInsecureUrls: this.options.allowInsecureUrls },
    });
  }
}
`;
}

const CONTENT = `
  // ── ContentLifecycleHooks: action hooks. The kernel runs them isolated: a throw is caught,
  // logged with tenant, plugin and correlation id, and recorded as this plugin's failed outcome
  // (the event processor retries it); it never breaks the publish flow or another plugin.

  async contentPublished(ctx: HookContext, contentId: string, content: Content, _metadata?: Metadata): Promise<void> {
    await this.notify(ctx, "content.published", contentId, content);
  }

  async contentUpdated(ctx: HookContext, contentId: string, content: Content, _metadata?: Metadata): Promise<void> {
    await this.notify(ctx, "content.updated", contentId, content);
  }

  async contentDeleted(ctx: HookContext, contentId: string, content: Content, _metadata?: Metadata): Promise<void> {
    await this.notify(ctx, "content.deleted", contentId, content);
  }

  private async notify(ctx: HookContext, type: string, contentId: string, content: Content): Promise<void> {
    const client = await this.client(ctx.tenantId, "hook");
    const result = await client.post("/events", {
      type,
      content_id: contentId,
      domain: content.domain ?? null,
      path: content.path ?? null,
    }, ctx.signal); // aborted when the kernel stops waiting (hookTimeoutMs)
    // A 4xx is final (PluginError); a time-out, 429 or 5xx is a plain Error, which the kernel retries.
    if (!result.success) throw upstreamError(\`\${type} notification failed: \${result.error}\`, result);
    this.logger.info(\`\${type}: notified for \${contentId}\`, {
      tenant_id: ctx.tenantId,
      correlation_id: ctx.correlationId ?? undefined,
      status: result.status,
    });
  }
`;

const FILTERS = `
  // ── ContentFilterHooks: run in priority order before the CMS stores content; each receives the
  // previous plugin's output and MUST return the content. A PluginError rejects the operation
  // with its message (the CMS shows it to the editor).

  beforeContentCreate(_ctx: HookContext, content: Content, _metadata?: Metadata): Content {
    if (typeof content.title !== "string") return content;
    const title = content.title.trim();
    if (!title) throw new PluginError("title must not be empty");
    return { ...content, title };
  }
`;

function tasks(n: PluginNames): string {
  return `
  // ── ScheduledTaskHooks: the scheduler asks each tenant for its tasks when the plugin is
  // enabled or reconfigured, and runs each due slot once, with retries and a timeout whose
  // AbortSignal arrives in executionCtx.signal.

  registerScheduledTasks(_ctx: HookContext): ScheduledTaskDefinition[] {
    return [{
      taskId: "${n.slug}.daily-sync",
      name: "Daily sync",
      description: "Fetches the latest items from the API and keeps a summary in plugin storage",
      schedule: { cronExpression: "0 6 * * *" },
      maxRetries: 3,
      timeoutSeconds: 120,
    }];
  }

  async executeScheduledTask(
    task: ScheduledTaskDefinition,
    ctx: HookContext,
    executionCtx: TaskExecutionContext,
  ): Promise<TaskResult> {
    if (executionCtx.attempt > 1) {
      this.logger.warn(\`\${task.taskId}: retry attempt \${executionCtx.attempt}\`, { tenant_id: ctx.tenantId });
    }
    const client = await this.client(ctx.tenantId, "task");
    const result = await client.get<{ items?: unknown[] }>("/items", executionCtx.signal);
    if (!result.success) return { success: false, errorMessage: result.error };
    const items = Array.isArray(result.data?.items) ? result.data.items.length : 0;
    await this.storage(ctx.tenantId).put("last-sync", {
      at: executionCtx.actualTime.toISOString(),
      scheduled_for: executionCtx.scheduledTime.toISOString(),
      items,
    });
    return { success: true, data: { items_processed: items } };
  }
`;
}

const HEALTH = `
  // ── HealthMonitorHooks: the scheduler runs each tenant's checks every health cycle and keeps
  // their history; the dashboard shows status and uptime.

  async registerHealthChecks(ctx: HookContext): Promise<HealthCheckDefinition[]> {
    const config = await this.getConfig(ctx.tenantId);
    return [{ checkType: "api", target: config.api_endpoint }];
  }

  async executeHealthCheck(
    ctx: HookContext,
    _checkType: string,
    _target: string,
    signal?: AbortSignal,
  ): Promise<HealthCheckResult> {
    const started = performance.now();
    const result = await (await this.client(ctx.tenantId, "health")).get("/health", signal);
    const latencyMs = Math.round(performance.now() - started);
    if (!result.success) return { status: "unhealthy", latencyMs, message: result.error };
    return { status: latencyMs > 2_000 ? "degraded" : "healthy", latencyMs, message: \`HTTP \${result.status}\` };
  }
`;
