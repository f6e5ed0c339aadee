/**
 * ahrefs-integration: every day, for each configured target, takes a snapshot of the enabled
 * features (backlinks: Domain Rating, live backlinks, referring domains; rankings: organic
 * keywords, top-3 keywords, traffic, traffic value; keywords: top organic keywords by traffic)
 * and stores it per target and date. Stops early when the token is rejected, API units run out
 * or the rate limit persists (every later call would fail too); what was fetched is kept.
 */
import type {
  DataPanel,
  DataSeriesHooks,
  HookContext,
  ScheduledTaskDefinition,
  ScheduledTaskHooks,
  TaskExecutionContext,
  TaskResult,
} from "../../src/index.ts";
import { errorMessage } from "../../src/errors.ts";
import { Plugin } from "../../src/plugin.ts";
import { pluginHttpClient, type ReferencePluginOptions } from "../_shared/http.ts";
import { AhrefsClient, AhrefsError, type TargetQuery } from "./client.ts";
import { type AhrefsConfig, CONFIG_SCHEMA, SECRETS_SCHEMA } from "./config.ts";
import { loadSnapshots, type Snapshot, snapshotKey } from "./snapshots.ts";

export interface AhrefsOptions extends ReferencePluginOptions {
  /** API base (default https://api.ahrefs.com/v3); tests point it at a fake. */
  apiBaseUrl?: string;
}

const TASK_ID = "ahrefs-integration.daily-snapshot";

export class AhrefsIntegrationPlugin extends Plugin<AhrefsConfig> implements ScheduledTaskHooks, DataSeriesHooks {
  readonly name = "ahrefs-integration";
  readonly version = "1.0.0";
  override description = "Takes a daily Ahrefs snapshot (Domain Rating, backlinks, organic keywords) of each target";
  override author = "DVP CMS";
  override kernelVersion = "^1.0.0";
  override CONFIG_SCHEMA = CONFIG_SCHEMA;
  override SECRETS_SCHEMA = SECRETS_SCHEMA;

  constructor(private readonly options: AhrefsOptions = {}) {
    super();
  }

  async registerScheduledTasks(ctx: HookContext): Promise<ScheduledTaskDefinition[]> {
    const config = await this.getConfig(ctx.tenantId);
    return [{
      taskId: TASK_ID,
      name: "Ahrefs daily snapshot",
      description: "Daily: the enabled Ahrefs metrics of each target.",
      schedule: { cronExpression: `0 ${config.sync_hour_utc} * * *`, timezone: "UTC" },
      maxRetries: 1,
      timeoutSeconds: 600,
    }];
  }

  async executeScheduledTask(
    task: ScheduledTaskDefinition,
    ctx: HookContext,
    execution: TaskExecutionContext,
  ): Promise<TaskResult> {
    if (task.taskId !== TASK_ID) return { success: false, errorMessage: `unknown task ${task.taskId}` };
    const config = await this.getConfig(ctx.tenantId);
    const token = (await this.getSecrets(ctx.tenantId)).require("api_token");
    // Ahrefs allows 60 requests a minute: a short Retry-After is waited for, a long one ends the run.
    const http = pluginHttpClient(this.fetch, this.logger, ctx.tenantId, this.options, {
      timeoutMs: 60_000,
      retryAfterCapMs: 65_000,
    });
    const client = new AhrefsClient(http, token, this.options.apiBaseUrl);
    const storage = this.storage(ctx.tenantId);
    const date = execution.scheduledTime.toISOString().slice(0, 10);
    const features = new Set(config.enabled_features);
    const errors: string[] = [];
    let stored = 0;
    let stoppedBy: string | null = null;
    for (const target of config.targets) {
      if (execution.signal.aborted) break;
      const q: TargetQuery = {
        target,
        date,
        mode: config.mode,
        ...(config.country ? { country: config.country } : {}),
        signal: execution.signal,
      };
      const snapshot: Snapshot = { target, date, takenAt: new Date(this.host.now()).toISOString() };
      try {
        if (features.has("backlinks")) {
          Object.assign(snapshot, await client.domainRating(q));
          const stats = await client.backlinksStats(q);
          snapshot.backlinks = stats.live;
          snapshot.refdomains = stats.live_refdomains;
        }
        if (features.has("rankings")) Object.assign(snapshot, await client.metrics(q));
        if (features.has("keywords")) snapshot.keywords = await client.organicKeywords(q, config.keywords_limit);
      } catch (error) {
        errors.push(errorMessage(error));
        this.logger.warn("snapshot failed", { tenant_id: ctx.tenantId, target, error: errorMessage(error) });
        if (error instanceof AhrefsError && error.kind !== "target") {
          stoppedBy = error.kind;
          if (Object.keys(snapshot).length > 3) stored += await this.#save(storage, config, snapshot);
          break;
        }
        continue;
      }
      stored += await this.#save(storage, config, snapshot);
    }
    const data = {
      date,
      targets: config.targets.length,
      snapshots_stored: stored,
      api_calls: client.calls,
      ...(stoppedBy ? { stopped_by: stoppedBy } : {}),
    };
    return errors.length ? { success: false, errorMessage: errors.join("; "), data } : { success: true, data };
  }

  async #save(storage: ReturnType<Plugin["storage"]>, config: AhrefsConfig, snapshot: Snapshot): Promise<number> {
    await storage.put(snapshotKey(snapshot.target, snapshot.date), snapshot, {
      ttlSeconds: config.retention_days * 86_400,
    });
    return 1;
  }

  async dataSeries(ctx: HookContext): Promise<DataPanel[]> {
    const config = await this.getConfig(ctx.tenantId);
    const storage = this.storage(ctx.tenantId);
    const panels: DataPanel[] = [];
    for (const target of config.targets ?? []) {
      const snapshots = await loadSnapshots(storage, target);
      const series = (name: keyof Snapshot, unit: string) => ({
        name,
        unit,
        points: snapshots.filter((s) => typeof s[name] === "number").map((s) => ({ t: s.date, v: s[name] as number })),
      });
      panels.push({
        title: `Ahrefs: ${target}`,
        series: [
          series("domain_rating", "DR"),
          series("backlinks", "links"),
          series("refdomains", "domains"),
          series("org_keywords", "keywords"),
          series("org_traffic", "visits/month"),
        ].filter((s) => s.points.length > 0),
      });
    }
    return panels;
  }
}
