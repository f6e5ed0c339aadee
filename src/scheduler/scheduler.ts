/**
 * The Scheduler: one entry per clock tick, per tenant alarm, per queue message and per admin
 * action. With a due index (memory, Deno KV) a tick lists it up to `now` (cost: the work due, not
 * the number of tenants), runs the first `maxInlinePerTick` jobs here, fans the rest out to the
 * queue when there is one, and leaves whatever is over the ceiling for the next tick (the oldest
 * entries come first, so nothing starves). Without one (Cloudflare) each tenant's object runs its
 * own due jobs when its alarm fires (`runTenant`), and the tick is only the safety net that
 * re-arms missing alarms (safety-net.ts).
 */
import { isUuid } from "../context.ts";
import { errorMessage, KernelError } from "../errors.ts";
import type { Kernel } from "../kernel.ts";
import { sendAll, type WorkMessage, type WorkQueue } from "../queue.ts";
import type { SchedulerDeps } from "./context.ts";
import { emptyTally, JobRunner, type Tally } from "./job-runner.ts";
import { healthViews } from "./health.ts";
import { runHealthNow, runTaskNow } from "./manual.ts";
import { DUE_PREFIX, healthJobId, minuteOf, parseDueKey } from "./keys.ts";
import { pool } from "./pool.ts";
import { safetyNetTick } from "./safety-net.ts";
import { scheduleText } from "./schedule-text.ts";
import { type JobState, JobStore, wakeAt } from "./state.ts";
import { syncPlugin } from "./sync.ts";
import type {
  HealthCheckRecord,
  HealthCheckView,
  Scheduler,
  SchedulerOptions,
  TaskView,
  TickOptions,
  TickReport,
} from "./types.ts";
import type { TaskResult } from "../hooks.ts";
import type { TenantRecord } from "../store/tenants.ts";

interface DueEntry {
  tenantId: string;
  jobId: string;
  minutes: number[];
}

export class KernelScheduler implements Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #runner: JobRunner;
  readonly #safetyNet: SchedulerOptions["safetyNet"];

  constructor(kernel: Kernel, options: SchedulerOptions = {}) {
    const positive = (name: string, value: number | undefined, fallback: number, min = 1) => {
      const v = value ?? fallback;
      if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
        throw new KernelError("ERR_CONFIGURATION", `scheduler option ${name} must be a number of at least ${min}`);
      }
      return v;
    };
    this.#deps = {
      kernel,
      store: new JobStore(kernel.driver, { dueIndex: options.dueIndex ?? true }),
      options: {
        queue: options.queue,
        maxInlinePerTick: positive("maxInlinePerTick", options.maxInlinePerTick, 40),
        maxEnqueuePerTick: positive("maxEnqueuePerTick", options.maxEnqueuePerTick, 150, 0),
        concurrency: positive("concurrency", options.concurrency, 8),
        healthIntervalSeconds: positive("healthIntervalSeconds", options.healthIntervalSeconds, 300, 60),
        healthTimeoutSeconds: positive("healthTimeoutSeconds", options.healthTimeoutSeconds, 30, 0.001),
        healthHistoryLimit: positive("healthHistoryLimit", options.healthHistoryLimit, 50),
        retryBaseMs: positive("retryBaseSeconds", options.retryBaseSeconds, 60, 0) * 1000,
        random: options.random ?? Math.random,
        leaseGraceMs: 60_000,
        queueLeaseMinutes: 5,
        maxInlinePerAlarm: positive("maxInlinePerAlarm", options.maxInlinePerAlarm, 1, 0),
      },
    };
    if (options.safetyNet) {
      if (options.dueIndex !== false) {
        throw new KernelError("ERR_CONFIGURATION", "scheduler option safetyNet needs dueIndex: false");
      }
      positive("safetyNet.tenantsPerTick", options.safetyNet.tenantsPerTick, 1);
      this.#safetyNet = options.safetyNet;
    }
    this.#runner = new JobRunner(this.#deps, (tenantId, plugin) => this.sync(tenantId, plugin));
  }

  async tick(now: Date = new Date(this.#deps.kernel.now()), options: TickOptions = {}): Promise<TickReport> {
    const started = performance.now();
    const nowMs = now.getTime();
    if (!Number.isFinite(nowMs)) throw new KernelError("ERR_VALIDATION", "tick: now is not a valid date");
    if (!this.#deps.store.indexed) {
      // Each tenant's authority runs its own jobs: this tick only re-arms what lost its alarm.
      const report = emptyReport();
      if (this.#safetyNet) report.safetyNet = await safetyNetTick(this.#deps.kernel, this.#safetyNet);
      report.durationMs = Math.round((performance.now() - started) * 100) / 100;
      return report;
    }
    const { maxInlinePerTick, maxEnqueuePerTick, queue, concurrency } = this.#deps.options;
    const capacity = maxInlinePerTick + (queue ? maxEnqueuePerTick : 0);
    const { entries, more } = await this.#listDue(minuteOf(nowMs), capacity, options.only);
    const inline = entries.slice(0, maxInlinePerTick);
    const overflow = entries.slice(maxInlinePerTick);
    const report: TickReport = { ...emptyReport(), due: entries.length };
    if (overflow.length) {
      if (queue) report.enqueued = await this.#fanOut(overflow, minuteOf(nowMs));
      report.deferred = overflow.length - report.enqueued;
    }
    if (more) report.deferred++;
    addTallies(report, await pool(inline, concurrency, (e) => this.#processSafely(e, nowMs)));
    report.durationMs = Math.round((performance.now() - started) * 100) / 100;
    if (report.deferred) {
      this.#deps.kernel.logger.warn("tick left due jobs for the next tick", {
        deferred: report.deferred,
        more_beyond_ceiling: more,
      });
    }
    return report;
  }

  async runTenant(tenantId: string, now: Date = new Date(this.#deps.kernel.now())): Promise<TickReport> {
    const started = performance.now();
    const nowMs = now.getTime();
    const id = tenantId.toLowerCase();
    const { kernel, store, options } = this.#deps;
    let states = await store.readAll(id);
    // A deployment that changed a plugin's version: its current definitions before anything runs,
    // so that an object whose alarm fires picks the deployment up by itself.
    if (states.some((s) => outdated(kernel, s))) {
      try {
        const tenant = await kernel.getTenant(id);
        if (tenant) states = await this.#syncStale(tenant, states, false);
      } catch (error) {
        // Not the whole alarm: each due job below re-syncs (or fails) on its own and is looked at again.
        kernel.logger.warn("could not re-sync the schedules a deployment changed", {
          tenant_id: id,
          error: errorMessage(error),
        });
      }
    }
    const due = states
      .filter((s) => (wakeAt(s) ?? Infinity) <= nowMs)
      .sort((a, b) => wakeAt(a)! - wakeAt(b)!);
    const entry = (s: JobState): DueEntry => ({
      tenantId: s.tenantId,
      jobId: s.jobId,
      minutes: s.dueMinute === null ? [] : [s.dueMinute],
    });
    const report: TickReport = { ...emptyReport(), due: due.length };
    const inline = options.queue ? due.slice(0, options.maxInlinePerAlarm) : due;
    if (options.queue && due.length > inline.length) {
      const { sent, unsent } = await this.#handToQueue(due.slice(inline.length), nowMs);
      report.enqueued = sent;
      inline.push(...unsent);
    }
    addTallies(report, await pool(inline.map(entry), options.concurrency, (e) => this.#processSafely(e, nowMs)));
    if (due.length && !store.indexed) await this.#lookAgainLater(id, due, nowMs);
    report.durationMs = Math.round((performance.now() - started) * 100) / 100;
    return report;
  }

  /**
   * The jobs this alarm looked at and left due (a slot claimed by a run elsewhere that has not
   * written the job yet, or never will; a tenant unreadable for a moment) are looked at again at
   * the next minute, as the tick a minute later did: armed for a moment already past, the alarm
   * would fire again at once, and again, for as long as that lasts. Compare-and-set: a job whose
   * state moved meanwhile placed its own next look.
   */
  async #lookAgainLater(tenantId: string, looked: readonly JobState[], nowMs: number): Promise<void> {
    const { store } = this.#deps;
    const jobs = new Set(looked.map((s) => s.jobId));
    const next = (minuteOf(nowMs) + 1) * 60_000;
    for (const state of await store.readAll(tenantId)) {
      if (jobs.has(state.jobId) && (wakeAt(state) ?? Infinity) <= nowMs) await store.lookAgain(state, [next]);
    }
  }

  /**
   * Send due jobs to the queue from their tenant's alarm. Each job's `dueMinute` is moved past the
   * queue's lease first (compare-and-set: a job whose state moved meanwhile is someone else's now,
   * and is left out), so the alarm does not offer it again while the consumer has it; if the
   * message is lost, the job comes due again when that lease ends. Slot claims keep the run once
   * however often it is delivered. Jobs the queue refused, or that could not be parked (a store
   * without compare-and-set), are returned, to run here.
   */
  async #handToQueue(states: JobState[], nowMs: number): Promise<{ sent: number; unsent: JobState[] }> {
    const { store, options, kernel } = this.#deps;
    const parked = (minuteOf(nowMs) + options.queueLeaseMinutes) * 60_000;
    const handed: JobState[] = [];
    const here: JobState[] = []; // where the job cannot be parked, the alarm runs it
    for (const state of states) {
      const placed = await store.lookAgain(state, [parked]);
      if (placed === "placed") handed.push(state);
      else if (placed === "cannot") here.push(state);
    }
    const slot = new Date(parked).toISOString();
    const messages = handed.map((s) => workMessage(s.tenantId, s.jobId, slot));
    const { sent, error } = await sendInBatches(options.queue!, messages);
    if (error !== undefined) {
      kernel.logger.error("alarm could not fan out to the queue; running the jobs here", { error, sent });
    }
    return { sent, unsent: [...here, ...handed.slice(sent)] };
  }

  async runNow(tenantId: string, taskId: string, options: { correlationId?: string | null } = {}): Promise<TaskResult> {
    const tenant = await this.#deps.kernel.requireTenant(tenantId);
    const plugin = taskId.includes(".") ? taskId.slice(0, taskId.indexOf(".")) : "";
    if (!(await this.#deps.store.read(tenant.id, taskId)) && this.#deps.kernel.registry.has(plugin)) {
      await this.sync(tenant.id, plugin); // first use after a deployment: definitions not stored yet
    }
    return runTaskNow(this.#deps, tenant.id, taskId, options.correlationId ?? null);
  }

  async tasks(tenantId: string): Promise<TaskView[]> {
    const tenant = await this.#deps.kernel.requireTenant(tenantId);
    const states = await this.#ensureSynced(tenant.id);
    return states
      .filter((s) => s.kind === "task")
      .sort((a, b) => a.jobId.localeCompare(b.jobId))
      .map((s) => {
        const next = [s.nextDue, s.retry?.at ?? null].filter((t): t is number => t !== null);
        return {
          taskId: s.jobId,
          plugin: s.plugin,
          name: s.task.name,
          description: s.task.description,
          schedule: { ...s.task.schedule },
          scheduleText: scheduleText(s.task.schedule),
          nextRunAt: next.length ? new Date(Math.min(...next)).toISOString() : null,
          maxRetries: s.task.maxRetries,
          timeoutSeconds: s.task.timeoutSeconds,
          lastResult: s.last,
        };
      });
  }

  async health(tenantId: string, options: { historyLimit?: number } = {}): Promise<HealthCheckView[]> {
    const tenant = await this.#deps.kernel.requireTenant(tenantId);
    const states = await this.#ensureSynced(tenant.id);
    const limit = Math.min(Math.max(options.historyLimit ?? this.#deps.options.healthHistoryLimit, 1), 1000);
    return healthViews(this.#deps, tenant.id, states, limit);
  }

  async runHealthCycle(tenantId: string, now?: Date, options: { plugin?: string } = {}): Promise<HealthCheckRecord[]> {
    const tenant = await this.#deps.kernel.requireTenant(tenantId);
    const states = (await this.#ensureSynced(tenant.id)).filter((s) =>
      s.kind === "health" && (options.plugin === undefined || s.plugin === options.plugin)
    );
    const at = now?.getTime() ?? this.#deps.kernel.now();
    const records: HealthCheckRecord[] = [];
    for (const state of states) records.push(...await runHealthNow(this.#deps, tenant, state, at));
    return records;
  }

  async handleMessage(message: WorkMessage): Promise<void> {
    if (message.kind !== "task" && message.kind !== "health") {
      throw new KernelError("ERR_VALIDATION", `scheduler: cannot handle a ${JSON.stringify(message?.kind)} message`);
    }
    const jobId = message.kind === "task" ? message.taskId : healthJobId(message.plugin);
    if (!isUuid(message.tenantId) || typeof jobId !== "string" || !/^[^:]+$/.test(jobId)) {
      // Acknowledge rather than throw: a malformed message would only come back on every retry.
      this.#deps.kernel.logger.warn("scheduler dropped a malformed queue message", {
        kind: message.kind,
        tenant_id: String(message.tenantId).slice(0, 64),
      });
      return;
    }
    const seen = Date.parse(message.slot);
    await this.#runner.process(
      message.tenantId.toLowerCase(),
      jobId,
      this.#deps.kernel.now(),
      Number.isFinite(seen) ? [minuteOf(seen)] : [],
    );
  }

  async sync(tenantId: string, plugin?: string): Promise<void> {
    const { kernel, store } = this.#deps;
    const id = tenantId.toLowerCase();
    const tenant = await kernel.getTenant(id);
    const existing = await store.readAll(id);
    if (!tenant) {
      for (const state of existing) await store.remove(state);
      return;
    }
    const names = plugin !== undefined ? [plugin] : [
      ...new Set([
        ...kernel.registry.implementing("scheduledTasks").map((p) => p.name),
        ...kernel.registry.implementing("healthChecks").map((p) => p.name),
        ...existing.map((s) => s.plugin),
      ]),
    ];
    for (const name of names) await syncPlugin(this.#deps, tenant, name, existing.filter((s) => s.plugin === name));
  }

  /**
   * Sync every tenant (after a deployment that changed plugins' tasks, from a CLI or a one-off
   * request). Costs one pass over all tenants: not for the tick.
   */
  async syncAll(): Promise<{ tenants: number; failed: { tenantId: string; error: string }[] }> {
    let tenants = 0;
    const failed: { tenantId: string; error: string }[] = [];
    for await (const id of this.#deps.kernel.tenants.ids()) {
      tenants++;
      try {
        await this.sync(id);
      } catch (error) {
        failed.push({ tenantId: id, error: (error as Error)?.message ?? String(error) });
      }
    }
    return { tenants, failed };
  }

  async syncIfStale(tenantId: string): Promise<string[]> {
    const id = tenantId.toLowerCase();
    const tenant = await this.#deps.kernel.getTenant(id);
    if (!tenant) return [];
    const synced: string[] = [];
    await this.#syncStale(tenant, await this.#deps.store.readAll(id), true, synced);
    return synced;
  }

  /** The tenant's jobs; plugins enabled before their jobs were stored (a new deployment) are synced first. */
  async #ensureSynced(tenantId: string) {
    const tenant = await this.#deps.kernel.requireTenant(tenantId);
    return this.#syncStale(tenant, await this.#deps.store.readAll(tenantId), true);
  }

  /**
   * Re-sync the plugins whose stored jobs came from another plugin version and, with `missing`,
   * the enabled ones without stored jobs (a deployment added their tasks); the jobs as they are then.
   */
  async #syncStale(
    tenant: Readonly<TenantRecord>,
    states: JobState[],
    missing: boolean,
    synced: string[] = [],
  ): Promise<JobState[]> {
    const { kernel, store } = this.#deps;
    const scheduled = new Set(states.map((s) => s.plugin));
    const versions = new Map(states.map((s) => [s.plugin, s.pluginVersion]));
    const stale = [
      ...new Set([
        ...kernel.enabledPlugins(tenant, "scheduledTasks"),
        ...kernel.enabledPlugins(tenant, "healthChecks"),
      ]),
    ].filter((p) => scheduled.has(p.name) ? versions.get(p.name) !== p.plugin.version : missing);
    if (!stale.length) return states;
    for (const p of stale) {
      try {
        await syncPlugin(this.#deps, tenant, p.name, states.filter((s) => s.plugin === p.name));
        synced.push(p.name);
      } catch (error) {
        // One plugin's broken definitions must not hide the tenant's other tasks.
        kernel.logger.warn("could not sync a plugin's schedules", {
          tenant_id: tenant.id,
          plugin: p.name,
          error: (error as Error)?.message,
        });
      }
    }
    return store.readAll(tenant.id);
  }

  async #listDue(
    nowMinute: number,
    capacity: number,
    only?: TickOptions["only"],
  ): Promise<{ entries: DueEntry[]; more: boolean }> {
    const byJob = new Map<string, DueEntry>();
    let cursor: string | null = null;
    let more = false;
    scan: do {
      const page = await this.#deps.kernel.driver.list({
        prefix: DUE_PREFIX,
        cursor,
        limit: Math.min(1000, capacity + 1),
      });
      for (const key of page.keys) {
        const due = parseDueKey(key);
        if (!due) {
          await this.#deps.kernel.driver.delete(key); // not ours to keep: it would be listed on every tick
          continue;
        }
        if (due.minute > nowMinute) break scan;
        // Another kind than asked for stays due, for the next tick that runs it.
        if (only && (due.jobId.endsWith("#health") ? "health" : "tasks") !== only) continue;
        const id = `${due.tenantId}:${due.jobId}`;
        const known = byJob.get(id);
        if (known) known.minutes.push(due.minute);
        else if (byJob.size >= capacity) {
          more = true;
          break scan;
        } else byJob.set(id, { tenantId: due.tenantId, jobId: due.jobId, minutes: [due.minute] });
      }
      cursor = page.cursor;
    } while (cursor);
    return { entries: [...byJob.values()], more };
  }

  /** Send overflow jobs to the queue, then move their entries out of the next ticks' way. */
  async #fanOut(entries: DueEntry[], nowMinute: number): Promise<number> {
    const { queue, queueLeaseMinutes } = this.#deps.options;
    const store = this.#deps.store;
    const parked = nowMinute + queueLeaseMinutes;
    const slot = new Date(parked * 60_000).toISOString();
    const messages = entries.map((e) => workMessage(e.tenantId, e.jobId, slot));
    const { sent, error } = await sendInBatches(queue!, messages, async (from, to) => {
      for (const e of entries.slice(from, to)) {
        for (const minute of e.minutes) await store.moveEntry(e.tenantId, e.jobId, minute, parked);
      }
    });
    if (error !== undefined) {
      this.#deps.kernel.logger.error("tick could not fan out to the queue; the rest waits for the next tick", {
        error,
        sent,
      });
    }
    return sent;
  }

  async #processSafely(entry: DueEntry, now: number): Promise<Tally> {
    try {
      return await this.#runner.process(entry.tenantId, entry.jobId, now, entry.minutes);
    } catch (error) {
      // Storage trouble for one job must not stop the others; its entry stays for the next tick.
      this.#deps.kernel.logger.error("scheduler could not process a due job", {
        tenant_id: entry.tenantId,
        task_id: entry.jobId,
        error: (error as Error)?.message,
      });
      return { ...emptyTally(), failed: 1 };
    }
  }
}

const emptyReport = (): TickReport => ({
  due: 0,
  ran: 0,
  failed: 0,
  skipped: 0,
  enqueued: 0,
  deferred: 0,
  durationMs: 0,
});

function addTallies(report: TickReport, tallies: readonly Tally[]): void {
  for (const t of tallies) {
    report.ran += t.ran;
    report.failed += t.failed;
    report.skipped += t.skipped;
  }
}

/** A job whose plugin is registered in another version than the one its definition came from. */
function outdated(kernel: Kernel, state: JobState): boolean {
  const entry = kernel.registry.get(state.plugin);
  return entry !== undefined && entry.plugin.version !== state.pluginVersion;
}

/** The queue message that has a consumer run one job (`handleMessage`). */
/**
 * Sends `messages` a queue batch (100) at a time, `afterBatch` after each: how many were sent (and
 * handled) before the first failure, and its message.
 */
async function sendInBatches(
  queue: WorkQueue,
  messages: WorkMessage[],
  afterBatch?: (from: number, to: number) => Promise<void>,
): Promise<{ sent: number; error?: string }> {
  let sent = 0;
  try {
    for (let i = 0; i < messages.length; i += 100) {
      const to = Math.min(i + 100, messages.length);
      await sendAll(queue, messages.slice(i, to));
      await afterBatch?.(i, to);
      sent = to;
    }
    return { sent };
  } catch (error) {
    return { sent, error: errorMessage(error) };
  }
}

function workMessage(tenantId: string, jobId: string, slot: string): WorkMessage {
  return jobId.endsWith("#health")
    ? { kind: "health", tenantId, plugin: jobId.slice(0, -"#health".length), slot }
    : { kind: "task", tenantId, taskId: jobId, slot };
}
