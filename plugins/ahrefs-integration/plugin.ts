/**
 * ahrefs-integration: every day, for each configured target, takes a snapshot of the enabled
 * features (backlinks: Domain Rating, live backlinks, referring domains; rankings: organic
 * keywords, top-3 keywords, traffic, traffic value; keywords: top organic keywords by traffic)
 * and stores it per target and date. Requests are paced to the plan's rate limit; a run stops
 * early when the token is rejected, API units run out, the rate limit persists or its time is
 * up, keeps what it fetched, and the next run continues with the targets left (progress.ts).
 */
import type {
  DataPanel,
  DataSeriesHooks,
  HookContext,
  ScheduledTaskDefinition,
  ScheduledTaskHooks,
  TaskExecutionContext,
  TaskResult,
} from "@dvp/kernel";
import { errorMessage } from "@dvp/kernel";
import { defaultSleep } from "@dvp/kernel/client";
import { Plugin } from "@dvp/kernel";
import { pluginHttpClient, type ReferencePluginOptions } from "../_shared/http.ts";
import { AhrefsClient, AhrefsError, type TargetQuery } from "./client.ts";
import { type AhrefsConfig, CONFIG_SCHEMA, SECRETS_SCHEMA } from "./config.ts";
import { Pacer } from "./pacer.ts";
import { Progress } from "./progress.ts";
import { loadSnapshots, type Snapshot, snapshotKey } from "./snapshots.ts";

export interface AhrefsOptions extends ReferencePluginOptions {
  /** API base (default https://api.ahrefs.com/v3); tests point it at a fake. */
  apiBaseUrl?: string;
}

const TASK_ID = "ahrefs-integration.daily-snapshot";
/** Kept free at the end of the task's time limit for the last request (its own timeout) and the result. */
const DEADLINE_MARGIN_MS = 60_000;

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
      // A run that stops early (rate limit, time limit) fails, and each retry continues it.
      maxRetries: 3,
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
    // A Retry-After up to 65 s is waited for by the HTTP client; Ahrefs' own 429s carry none, and
    // the pacer then waits a whole window (client.ts).
    const http = pluginHttpClient(this.fetch, this.logger, ctx.tenantId, this.options, {
      timeoutMs: 60_000,
      retryAfterCapMs: 65_000,
    });
    const now = () => this.host.now();
    const started = now();
    const pacer = new Pacer(
      config.requests_per_minute,
      now,
      this.options.http?.sleep ?? defaultSleep,
      started + (task.timeoutSeconds ?? 600) * 1000 - DEADLINE_MARGIN_MS,
    );
    const client = new AhrefsClient(http, token, this.options.apiBaseUrl, pacer);
    const storage = this.storage(ctx.tenantId);
    const today = execution.scheduledTime.toISOString().slice(0, 10);
    const progress = new Progress(storage, config.targets, {
      now,
      sleep: (ms) => (this.options.http?.sleep ?? defaultSleep)(ms),
      onWriteError: (key, error) =>
        this.logger.warn("progress not saved; written again with the next write", {
          tenant_id: ctx.tenantId,
          key,
          error: errorMessage(error),
        }),
    });
    const work = await progress.load(today);
    const features = new Set(config.enabled_features);
    const callsPerTarget = (features.has("backlinks") ? 2 : 0) + (features.has("rankings") ? 1 : 0) +
      (features.has("keywords") ? 1 : 0);
    const errors: string[] = [];
    let stored = 0;
    let stoppedBy: string | null = null;
    // However the loop ends (a stop, a storage error), the progress so far is written.
    try {
      for (const day of work) {
        for (const target of day.targets) {
          if (execution.signal.aborted) stoppedBy ??= "aborted";
          // A target that could not be finished in time is left whole for the next run.
          if (!stoppedBy && !pacer.fits(callsPerTarget)) stoppedBy = "deadline";
          if (stoppedBy) break;
          const q: TargetQuery = {
            target,
            date: day.date,
            mode: config.mode,
            ...(config.country ? { country: config.country } : {}),
            signal: execution.signal,
          };
          const snapshot: Snapshot = { target, date: day.date, takenAt: new Date(now()).toISOString() };
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
            if (!(error instanceof AhrefsError) || error.kind !== "deadline") {
              errors.push(errorMessage(error));
              this.logger.warn("snapshot failed", { tenant_id: ctx.tenantId, target, error: errorMessage(error) });
            }
            if (error instanceof AhrefsError && error.kind !== "target") {
              stoppedBy = error.kind;
              // Kept, but not marked done: the next run takes this target's snapshot again, whole.
              if (Object.keys(snapshot).length > 3) stored += await this.#save(storage, config, snapshot);
              break;
            }
            await progress.markDone(day, target); // a bad target would fail again
            continue;
          }
          stored += await this.#save(storage, config, snapshot);
          await progress.markDone(day, target);
        }
      }
    } finally {
      await progress.close();
    }
    const remaining = work.reduce((n, day) => n + day.targets.filter((t) => !day.done.includes(t)).length, 0);
    const earlier = work.filter((day) => day.date !== today).map((day) => day.date);
    const data = {
      date: today,
      targets: config.targets.length,
      snapshots_stored: stored,
      api_calls: client.calls,
      ...(earlier.length ? { continued: earlier } : {}),
      ...(stoppedBy ? { stopped_by: stoppedBy, remaining } : {}),
    };
    if (stoppedBy && remaining > 0) {
      errors.push(`stopped (${stoppedBy}) with ${remaining} snapshot(s) left; the next run continues`);
    }
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
