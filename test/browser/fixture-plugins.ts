/**
 * Plugins for the dashboard's tests: every config construct the form generator knows (and two it
 * does not), secrets, scheduled tasks that succeed and fail, health checks with latency and
 * certificate-expiry details, and data series. No network: results are computed.
 */
import type {
  DataPanel,
  DataSeriesHooks,
  HealthCheckDefinition,
  HealthCheckResult,
  HealthMonitorHooks,
  HookContext,
  ScheduledTaskDefinition,
  ScheduledTaskHooks,
  TaskExecutionContext,
  TaskResult,
} from "../../src/index.ts";
import { Plugin } from "../../src/index.ts";

export const DEMO_SITE_CONFIG_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    site_url: { type: "string", format: "uri", title: "Site URL", description: "The public address of the site." },
    site_name: { type: "string", title: "Site name", maxLength: 80 },
    timeout_seconds: { type: "integer", title: "Timeout (seconds)", minimum: 1, maximum: 300, default: 30 },
    sample_rate: { type: "number", title: "Sample rate", minimum: 0, maximum: 1, default: 0.5 },
    notify: { type: "boolean", title: "Send notifications", default: true },
    region: { type: "string", title: "Region", enum: ["eu", "us", "apac"], default: "eu" },
    features: {
      type: "array",
      title: "Enabled features",
      items: { type: "string", enum: ["keywords", "backlinks", "rankings"] },
      default: ["keywords"],
    },
    domains: {
      type: "array",
      title: "Domains",
      description: "Domains this site serves.",
      items: { type: "string", minLength: 3 },
    },
    alerts: {
      type: "object",
      title: "Alerts",
      description: "Where warnings go.",
      properties: {
        email: { type: "string", format: "email", title: "Alert e-mail" },
        threshold_days: { type: "integer", title: "Warn days before expiry", minimum: 1, default: 14 },
      },
      additionalProperties: false,
    },
    routes: {
      type: "array",
      title: "Routing rules",
      items: {
        type: "object",
        properties: { from: { type: "string" }, to: { type: "string" } },
        required: ["from", "to"],
      },
    },
    retry_policy: {
      title: "Retry policy",
      oneOf: [{ type: "string", enum: ["none", "default"] }, { type: "integer", minimum: 1 }],
    },
  },
  required: ["site_url"],
  additionalProperties: false,
} as const;

export const DEMO_SITE_SECRETS_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    api_token: { type: "string", title: "API token", description: "From the site's settings.", minLength: 8 },
    hook_url: { type: "string", title: "Build hook URL" },
  },
  required: ["api_token"],
  additionalProperties: false,
} as const;

export class DemoSitePlugin extends Plugin implements ScheduledTaskHooks, DataSeriesHooks {
  readonly name = "demo-site";
  readonly version = "1.2.0";
  override description = "Syncs the demo site and charts its search traffic";
  override author = "DVP";
  override CONFIG_SCHEMA = DEMO_SITE_CONFIG_SCHEMA;
  override SECRETS_SCHEMA = DEMO_SITE_SECRETS_SCHEMA;

  registerScheduledTasks(): ScheduledTaskDefinition[] {
    return [
      {
        taskId: "demo-site.sync",
        name: "Sync pages",
        description: "Pulls the page list from the site.",
        schedule: { cronExpression: "0 6 * * *" },
      },
      {
        taskId: "demo-site.report",
        name: "Weekly report",
        schedule: { cronExpression: "30 8 * * 1", timezone: "Europe/Berlin" },
        maxRetries: 0,
      },
    ];
  }

  async executeScheduledTask(
    task: ScheduledTaskDefinition,
    ctx: HookContext,
    _exec: TaskExecutionContext,
  ): Promise<TaskResult> {
    if (task.taskId === "demo-site.report") {
      return { success: false, errorMessage: "report service answered 503 Service Unavailable" };
    }
    const secrets = await this.getSecrets(ctx.tenantId);
    if (!secrets.get("api_token")) return { success: false, errorMessage: "api_token is not set" };
    const config = await this.getConfig(ctx.tenantId);
    return { success: true, data: { pages_synced: 42, site: config.site_url } };
  }

  dataSeries(ctx: HookContext): Promise<DataPanel[]> {
    const end = Date.UTC(2026, 10, 23);
    const days = Array.from({ length: 14 }, (_, i) => new Date(end - (13 - i) * 86_400_000).toISOString().slice(0, 10));
    const seed = ctx.tenantSlug.length;
    return Promise.resolve([{
      title: "Search performance (https://demo.example/)",
      series: [
        { name: "Clicks", points: days.map((t, i) => ({ t, v: 40 + ((i * 7 + seed) % 13) * 3 })) },
        { name: "Impressions", points: days.map((t, i) => ({ t, v: 1200 + ((i * 11 + seed) % 17) * 40 })) },
      ],
    }]);
  }
}

export class DemoMonitorPlugin extends Plugin implements HealthMonitorHooks {
  readonly name = "demo-monitor";
  readonly version = "0.3.1";
  override description = "Watches uptime and certificate expiry of the demo domains";
  override CONFIG_SCHEMA = {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: {
      domains: { type: "array", title: "Domains", items: { type: "string" }, default: ["demo.example"] },
      latency_budget_ms: { type: "integer", title: "Latency budget (ms)", minimum: 50, default: 800 },
    },
    additionalProperties: false,
  } as const;

  #runs = 0;

  async registerHealthChecks(ctx: HookContext): Promise<HealthCheckDefinition[]> {
    const config = await this.getConfig(ctx.tenantId) as { domains: string[] };
    return config.domains.flatMap((d) => [{ checkType: "uptime", target: d }, { checkType: "ssl", target: d }]);
  }

  executeHealthCheck(_ctx: HookContext, checkType: string, target: string): Promise<HealthCheckResult> {
    const n = this.#runs++;
    if (checkType === "ssl") {
      const days = 30 - (n % 5);
      return Promise.resolve({
        status: days < 14 ? "degraded" : "healthy",
        latencyMs: 40 + (n % 4) * 5,
        message: `certificate for ${target} expires in ${days} days`,
        details: { days_left: days, not_after: new Date(Date.now() + days * 86_400_000).toISOString() },
      });
    }
    const latency = 120 + ((n * 37) % 200);
    return Promise.resolve({
      status: n % 7 === 3 ? "unhealthy" : "healthy",
      latencyMs: latency,
      message: n % 7 === 3 ? "HTTP 502 from origin" : "HTTP 200",
      details: { statusCode: n % 7 === 3 ? 502 : 200 },
    });
  }
}

export function fixturePlugins(): Plugin[] {
  return [new DemoSitePlugin(), new DemoMonitorPlugin()];
}
