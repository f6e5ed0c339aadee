/**
 * gsc-integration: once a day, authenticates as the tenant's Google service account and pulls
 * Search Analytics for each configured site — the daily totals (dimension date) and the rows by
 * date and the configured dimensions, paginated — storing them per site and date. The dashboard
 * charts clicks and impressions per day through `dataSeries`.
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
import { Plugin } from "@dvp/kernel";
import { pluginHttpClient, type ReferencePluginOptions } from "../_shared/http.ts";
import type { SavedUrl } from "@dvp/kernel/client";
import { GoogleTokenProvider, parseServiceAccount, serviceAccountUrls } from "./auth.ts";
import { type SearchAnalyticsQuery, SearchConsoleClient } from "./client.ts";
import { CONFIG_SCHEMA, type GscConfig, SECRETS_SCHEMA } from "./config.ts";
import { syncRange } from "./dates.ts";
import { loadDaily, loadTotals, saveDay, saveDayCost, type StoredRow, toStoredRow } from "./store.ts";
import { MAX_ROWS_PER_DAY, SyncProgress } from "./sync-progress.ts";

export interface GscOptions extends ReferencePluginOptions {
  /** Google APIs base URL (default https://www.googleapis.com); tests point it at a fake. */
  apiBaseUrl?: string;
}

const TASK_ID = "gsc-integration.daily-sync";

export class GscIntegrationPlugin extends Plugin<GscConfig> implements ScheduledTaskHooks, DataSeriesHooks {
  readonly name = "gsc-integration";
  readonly version = "1.0.0";
  override description = "Fetches Google Search Console search analytics every day";
  override author = "DVP CMS";
  override kernelVersion = "^1.0.0";
  override CONFIG_SCHEMA = CONFIG_SCHEMA;
  override SECRETS_SCHEMA = SECRETS_SCHEMA;

  constructor(private readonly options: GscOptions = {}) {
    super();
  }

  override savedUrls(kind: "config" | "secrets", value: Record<string, unknown>): SavedUrl[] {
    return kind === "secrets" ? serviceAccountUrls(value.service_account_json) : [];
  }

  async registerScheduledTasks(ctx: HookContext): Promise<ScheduledTaskDefinition[]> {
    const config = await this.getConfig(ctx.tenantId);
    return [{
      taskId: TASK_ID,
      name: "Sync Search Console data",
      description: "Daily: Search Analytics rows per configured site and date.",
      schedule: { cronExpression: `0 ${config.sync_hour_utc} * * *`, timezone: "UTC" },
      maxRetries: 2,
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
    const account = parseServiceAccount((await this.getSecrets(ctx.tenantId)).require("service_account_json"));
    const http = pluginHttpClient(this.fetch, this.logger, ctx.tenantId, this.options, { timeoutMs: 60_000 });
    const storage = this.storage(ctx.tenantId);
    const now = () => this.host.now();
    const client = new SearchConsoleClient(
      http,
      new GoogleTokenProvider(ctx.tenantId, account, http, now),
      this.options.apiBaseUrl,
    );
    // The API's days are Pacific days (see dates.ts): "today" is the Pacific date of the slot.
    const range = syncRange(execution.scheduledTime, config.end_offset_days, config.date_range_days);
    const base = {
      ...range,
      type: config.search_type,
      dataState: config.data_state,
      rowLimit: config.row_limit,
    };
    const perSite: Record<string, { rows: number; days: number }> = {};
    const errors: string[] = [];
    let rowsProcessed = 0;
    const progress = await SyncProgress.load(storage, range);
    let left: string[] = [];
    for (const [i, site] of config.sites.entries()) {
      if (execution.signal.aborted) break;
      if (progress.isDone(site)) continue;
      try {
        const synced = await this.#syncSite(client, storage, progress, site, base, config, execution.signal, ctx);
        perSite[site] = synced;
        rowsProcessed += synced.rows;
        if (synced.stopped) {
          left = config.sites.slice(i);
          break;
        }
      } catch (error) {
        errors.push(errorMessage(error));
        this.logger.error("site sync failed", { tenant_id: ctx.tenantId, site, error: errorMessage(error) });
      }
    }
    if (left.length) {
      await progress.save();
      errors.push(
        `stopped at the run's storage budget with ${left.length} site(s) not finished; the next run continues`,
      );
    } else if (!execution.signal.aborted) {
      await progress.clear();
    }
    const data = {
      rows_processed: rowsProcessed,
      sites: perSite,
      start_date: base.startDate,
      end_date: base.endDate,
      ...(left.length ? { stopped_by: "storage budget", remaining_sites: left } : {}),
    };
    return errors.length ? { success: false, errorMessage: errors.join("; "), data } : { success: true, data };
  }

  async #syncSite(
    client: SearchConsoleClient,
    storage: ReturnType<Plugin["storage"]>,
    progress: SyncProgress,
    site: string,
    base: Omit<SearchAnalyticsQuery, "dimensions">,
    config: GscConfig,
    signal: AbortSignal,
    ctx: HookContext,
  ): Promise<{ rows: number; days: number; stopped?: true }> {
    // Totals per day come from a query by date alone: summing detailed rows would miss the
    // anonymized queries Google leaves out of them.
    const totals = await client.queryAll(site, { ...base, dimensions: ["date"] }, 1000, signal);
    const dimensions = ["date", ...config.dimensions];
    const rows = config.dimensions.length
      ? await client.queryAll(site, { ...base, dimensions }, config.max_rows_per_site, signal)
      : [];
    const byDate = new Map<string, StoredRow[]>();
    for (const row of rows) {
      const date = row.keys?.[0];
      if (!date) continue;
      let list = byDate.get(date);
      if (!list) byDate.set(date, list = []);
      list.push(toStoredRow(row, 0));
    }
    const syncedAt = new Date(this.host.now()).toISOString();
    const ttlSeconds = config.retention_days * 86_400;
    const days = totals.flatMap((total) => {
      const date = total.keys?.[0];
      return date && !progress.isDone(site, date) ? [{ date, total }] : [];
    });
    const dates = days.map((d) => d.date);
    // The stored totals say how many chunks each day had: one batch read per 100 days.
    if (!progress.spend(Math.ceil(dates.length / 100))) return { rows: 0, days: 0, stopped: true };
    const previous = dates.length ? await loadTotals(storage, site, dates) : new Map();
    let stored = 0;
    let storedDays = 0;
    for (const { date, total } of days) {
      let dayRows = byDate.get(date) ?? [];
      if (dayRows.length > MAX_ROWS_PER_DAY) {
        this.logger.warn("rows of a day cut to the most a run can store", {
          tenant_id: ctx.tenantId,
          site,
          date,
          rows: dayRows.length,
          kept: MAX_ROWS_PER_DAY,
        });
        dayRows = dayRows.slice(0, MAX_ROWS_PER_DAY);
      }
      const before = previous.get(date) ?? null;
      if (!progress.spend(saveDayCost(dayRows.length, before), true)) {
        return { rows: stored, days: storedDays, stopped: true };
      }
      await saveDay(
        storage,
        site,
        {
          date,
          clicks: total.clicks,
          impressions: total.impressions,
          ctr: total.ctr,
          position: total.position,
          syncedAt,
        },
        dayRows,
        ttlSeconds,
        before,
      );
      progress.markDay(site, date);
      stored += dayRows.length;
      storedDays++;
    }
    progress.markSite(site);
    return { rows: stored, days: storedDays };
  }

  async dataSeries(ctx: HookContext): Promise<DataPanel[]> {
    const config = await this.getConfig(ctx.tenantId);
    const storage = this.storage(ctx.tenantId);
    const panels: DataPanel[] = [];
    for (const site of config.sites ?? []) {
      const days = await loadDaily(storage, site);
      panels.push({
        title: `Search Console: ${site}`,
        series: [
          { name: "clicks", unit: "clicks", points: days.map((d) => ({ t: d.date, v: d.clicks })) },
          { name: "impressions", unit: "impressions", points: days.map((d) => ({ t: d.date, v: d.impressions })) },
        ],
      });
    }
    return panels;
  }
}
