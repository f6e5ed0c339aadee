/**
 * The state machine of one job at one moment: what a tick (or a queue consumer) does when the
 * due index says a job needs attention. In order:
 *
 * 1. a run still inside its lease: the slots that came due meanwhile are skipped (recorded, with
 *    the reason), never started beside it;
 * 2. a lease that ran out without a result: that attempt failed (the invocation was cut off);
 * 3. a pending retry: superseded when the next slot is already due, else run when its time came;
 * 4. due slots: ONE run for the latest of them (missed ticks coalesce, never a burst).
 *
 * Every attempt is claimed (putIfAbsent on `sched:slot:…:<attempt>`) before it starts, so a
 * duplicated or concurrent tick finds the claim and does nothing.
 */
import type { TaskExecutionContext } from "../context.ts";
import { errorMessage, KernelError } from "../errors.ts";
import type { ScheduledTaskDefinition, ScheduledTaskHooks, TaskResult } from "../hooks.ts";
import type { ExecutionRecord, ExecutionStatus, NewExecutionRecord } from "../store/history.ts";
import type { TenantRecord } from "../store/tenants.ts";
import type { SchedulerDeps } from "./context.ts";
import { backoffMs, checkTaskResult, withDeadline } from "./execute.ts";
import { runHealthChecks } from "./health.ts";
import { type JobState, slotClock } from "./state.ts";
import type { HealthCheckRecord } from "./types.ts";

export interface Tally {
  ran: number;
  failed: number;
  skipped: number;
}

export const emptyTally = (): Tally => ({ ran: 0, failed: 0, skipped: 0 });

interface AttemptResult {
  result: TaskResult;
  status: ExecutionStatus;
  checks?: HealthCheckRecord[];
}

type Trigger = "schedule" | "manual";

export class JobRunner {
  readonly #deps: SchedulerDeps;
  readonly #resync: (tenantId: string, plugin: string) => Promise<void>;

  constructor(deps: SchedulerDeps, resync: (tenantId: string, plugin: string) => Promise<void>) {
    this.#deps = deps;
    this.#resync = resync;
  }

  /** Handle whatever the job needs at `now`. `seen` are the index minutes the caller found it under. */
  async process(tenantId: string, jobId: string, now: number, seen: number[] = []): Promise<Tally> {
    const { kernel, store } = this.#deps;
    const tally = emptyTally();
    let state = await store.read(tenantId, jobId);
    if (!state) {
      await this.#dropEntries(tenantId, jobId, seen);
      return tally;
    }
    const tenant = await kernel.getTenant(tenantId);
    if (!tenant) {
      await this.#dropEntries(tenantId, jobId, seen);
      await store.remove(state);
      return tally;
    }
    const entry = kernel.registry.get(state.plugin);
    if (!entry || tenant.plugins[state.plugin]?.enabled !== true) {
      // Disabling removes the job (sync); finding one here means a cache or KV replica is behind,
      // or the plugin left this deployment. Run nothing and look again in an hour.
      await this.#park(state, now, seen);
      return tally;
    }
    if (entry.plugin.version !== state.pluginVersion) {
      // A new deployment of the plugin: take its current definitions before running.
      const plugin = state.plugin;
      try {
        await this.#resync(tenantId, plugin);
        state = await store.read(tenantId, jobId);
      } catch (error) {
        kernel.logger.error("could not re-sync a plugin's schedules; running the stored definition", {
          tenant_id: tenantId,
          plugin,
          error: errorMessage(error),
        });
      }
      if (!state) {
        await this.#dropEntries(tenantId, jobId, seen);
        return tally;
      }
    }
    const clock = slotClock(state);

    if (state.running && now < state.running.until) {
      if (state.nextDue !== null && state.nextDue <= now) {
        const slot = clock.latestAtOrBefore(now)!;
        const marker = JSON.stringify({ skip: true, executionId: state.running.executionId, at: now });
        if (await store.claim(state, slot, 1, marker)) {
          state.nextDue = clock.nextAfter(slot);
          const running = state.running;
          if (state.kind === "task") {
            state.last = await this.#record(state, {
              status: "skipped",
              final: true,
              attempt: 1,
              scheduledTime: iso(slot),
              reason: `still running: the run for ${
                iso(running.slot)
              } (execution ${running.executionId}, attempt ${running.attempt}) has not finished`,
            });
          }
          tally.skipped++;
          await this.#save(state, seen, { mergeRunning: true });
          return tally;
        }
      }
      await this.#settleIndex(state, seen);
      return tally;
    }

    if (state.running) {
      const lost = state.running;
      // Concurrent ticks all see the expired lease: one of them records it.
      if (!(await store.claim(state, lost.slot, `${lost.attempt}-lost`, lost.executionId))) return tally;
      state.running = null;
      tally.failed++;
      const error = `did not finish: its lease ran out at ${iso(lost.until)} (the invocation was probably cut off)`;
      if (lost.manual) {
        state.last = await this.#record(state, {
          id: lost.executionId,
          status: "failed",
          final: true,
          attempt: 1,
          scheduledTime: iso(lost.slot),
          error,
          reason: "run now",
        });
      } else {
        await this.#failed(state, lost.slot, lost.attempt, lost.executionId, now, {
          error,
          status: "failed",
          durationMs: undefined,
        });
      }
    }

    if (state.retry) {
      const retry = state.retry;
      if (state.nextDue !== null && state.nextDue <= now) {
        state.retry = null;
        // Claiming the retry's attempt gives it up for everyone; one tick records it.
        const marker = JSON.stringify({ skip: true, executionId: "superseded", at: now });
        if (await store.claim(state, retry.slot, retry.attempt, marker)) {
          state.last = await this.#record(state, {
            status: "failed",
            final: true,
            attempt: retry.attempt - 1,
            scheduledTime: iso(retry.slot),
            error: retry.lastError,
            reason: `gave up before attempt ${retry.attempt}: the next slot (${iso(state.nextDue)}) is already due`,
          });
        }
      } else if (retry.at <= now) {
        await this.#run(tenant, state, retry.slot, retry.attempt, now, seen, tally);
        return tally;
      } else {
        await this.#save(state, seen);
        return tally;
      }
    }

    if (state.nextDue !== null && state.nextDue <= now) {
      const slot = clock.latestAtOrBefore(now)!;
      const coalesced = slot > state.nextDue ? `coalesced the missed slots since ${iso(state.nextDue)}` : undefined;
      await this.#run(tenant, state, slot, 1, now, seen, tally, coalesced);
      return tally;
    }
    await this.#save(state, seen);
    return tally;
  }

  /** Run a task now, outside its schedule, through the same recorded path (no retries). */
  async runNow(tenantId: string, taskId: string, correlationId: string | null): Promise<TaskResult> {
    const { kernel, store } = this.#deps;
    const tenant = await kernel.requireTenant(tenantId);
    const state = await store.read(tenant.id, taskId);
    if (!state || state.kind !== "task" || tenant.plugins[state.plugin]?.enabled !== true) {
      throw new KernelError("ERR_TASK_NOT_FOUND", `task ${taskId} is not scheduled for tenant ${tenant.id}`);
    }
    const now = kernel.now();
    if (state.running && now < state.running.until) {
      const errorMessage = `task ${taskId} is already running (execution ${state.running.executionId} since the slot ${
        iso(state.running.slot)
      })`;
      await this.#record(state, {
        status: "skipped",
        final: true,
        attempt: 1,
        scheduledTime: iso(now),
        reason: `run now: ${errorMessage}`,
        correlationId,
      });
      return { success: false, errorMessage, durationMs: 0 };
    }
    const executionId = crypto.randomUUID();
    state.running = { slot: now, attempt: 1, executionId, until: this.#leaseUntil(state, now), manual: true };
    await store.write(state);
    const outcome = await this.#attempt(
      tenant,
      state,
      now,
      1,
      executionId,
      now,
      correlationId ?? executionId,
      "manual",
    );
    const fresh = this.#merge(await store.read(tenant.id, taskId), state, executionId);
    const record = await this.#record(state, {
      id: executionId,
      status: outcome.status,
      final: true,
      attempt: 1,
      scheduledTime: iso(now),
      durationMs: outcome.result.durationMs,
      reason: "run now",
      correlationId: correlationId ?? executionId,
      ...resultFields(outcome.result),
    });
    if (fresh) {
      fresh.last = record;
      await store.write(fresh);
    }
    return outcome.result;
  }

  /** Run the health checks of one job now (the dashboard's "check now"); no lease, nothing skipped. */
  async runHealthNow(tenant: Readonly<TenantRecord>, state: JobState, now: number): Promise<HealthCheckRecord[]> {
    const executionId = crypto.randomUUID();
    const ctx = this.#deps.kernel.context(tenant, {
      causationId: executionId,
      correlationId: executionId,
      timestamp: new Date(now),
      metadata: { taskId: state.jobId, trigger: "manual" },
    });
    return runHealthChecks(this.#deps, state, tenant, ctx, now);
  }

  async #run(
    tenant: Readonly<TenantRecord>,
    state: JobState,
    slot: number,
    attempt: number,
    now: number,
    seen: number[],
    tally: Tally,
    reason?: string,
  ): Promise<void> {
    const { store } = this.#deps;
    const executionId = crypto.randomUUID();
    const holder = JSON.stringify({ executionId, at: now });
    if (!(await store.claim(state, slot, attempt, holder))) {
      await this.#claimTaken(state, slot, attempt, now, seen, tally);
      return;
    }
    const until = this.#leaseUntil(state, now);
    if (!(await store.lock(state, executionId, now, until))) {
      await this.#locked(state, slot, attempt, now, seen, tally);
      return;
    }
    try {
      await this.#runLocked(tenant, state, slot, attempt, executionId, now, until, seen, tally, reason);
    } finally {
      await store.unlock(state);
    }
  }

  async #runLocked(
    tenant: Readonly<TenantRecord>,
    state: JobState,
    slot: number,
    attempt: number,
    executionId: string,
    now: number,
    until: number,
    seen: number[],
    tally: Tally,
    reason: string | undefined,
  ): Promise<void> {
    const { store } = this.#deps;
    if (attempt === 1) state.nextDue = slotClock(state).nextAfter(slot);
    state.retry = null;
    state.running = { slot, attempt, executionId, until };
    // The index entry stays where it is: a tick during the run finds the lease and skips.
    await store.write(state);

    const outcome = await this.#attempt(tenant, state, slot, attempt, executionId, now, executionId, "schedule");
    const finishedAt = this.#deps.kernel.now();
    const fresh = this.#merge(await store.read(state.tenantId, state.jobId), state, executionId);
    const target = fresh ?? state;
    if (outcome.status === "succeeded") {
      tally.ran++;
      if (state.kind === "task") {
        target.last = await this.#record(state, {
          id: executionId,
          status: "succeeded",
          final: true,
          attempt,
          scheduledTime: iso(slot),
          durationMs: outcome.result.durationMs,
          correlationId: executionId,
          ...(reason ? { reason } : {}),
          ...resultFields(outcome.result),
        });
      }
    } else {
      tally.failed++;
      await this.#failed(target, slot, attempt, executionId, finishedAt, {
        error: outcome.result.errorMessage ?? "failed",
        status: outcome.status,
        durationMs: outcome.result.durationMs,
        data: outcome.result.data,
      });
    }
    if (fresh) await this.#save(fresh, seen, { force: true });
  }

  /**
   * This slot's attempt is ours, but another run of the job holds the lock (a tick for an
   * earlier slot is still running it). A regular slot is skipped, recorded once (we hold its
   * claim); a retry gives its claim back and waits for a later tick.
   */
  async #locked(state: JobState, slot: number, attempt: number, now: number, seen: number[], tally: Tally) {
    const { store } = this.#deps;
    if (attempt > 1 && state.retry) {
      await store.releaseClaim(state, slot, attempt);
      return;
    }
    const holder = await store.lockHolder(state);
    state.nextDue = slotClock(state).nextAfter(slot);
    if (state.kind === "task") {
      state.last = await this.#record(state, {
        status: "skipped",
        final: true,
        attempt: 1,
        scheduledTime: iso(slot),
        reason: `still running: another run of this task (execution ${
          holder?.executionId ?? "unknown"
        }) holds its lock${typeof holder?.until === "number" ? ` until ${iso(holder.until)}` : ""}`,
      });
    }
    tally.skipped++;
    await this.#save(state, seen, { mergeRunning: true });
  }

  /**
   * Another tick or consumer holds this attempt's claim. Normally it is running it right now and
   * will record it. A claim older than the attempt's lease whose holder never wrote a lease was
   * taken by an invocation that died in between: count that attempt as failed and move on. A
   * skip marker means the slot was skipped (the skipper may have died before saving): move on.
   */
  async #claimTaken(state: JobState, slot: number, attempt: number, now: number, seen: number[], tally: Tally) {
    let claim: { at?: unknown; executionId?: unknown; skip?: unknown } = {};
    try {
      claim = JSON.parse((await this.#deps.store.readClaim(state, slot, attempt)) ?? "{}");
    } catch { /* unreadable: treat as taken just now */ }
    const at = typeof claim.at === "number" ? claim.at : now;
    if (claim.skip !== true && now < this.#leaseUntil(state, at)) return;
    if (attempt === 1 && state.nextDue !== null && state.nextDue <= slot) {
      state.nextDue = slotClock(state).nextAfter(slot);
    }
    if (claim.skip !== true) {
      // Concurrent ticks all find the dead claim: one of them records it.
      if (!(await this.#deps.store.claim(state, slot, `${attempt}-dead`, String(claim.executionId)))) return;
      tally.failed++;
      await this.#failed(state, slot, attempt, String(claim.executionId ?? "unknown"), now, {
        error: "did not start: the invocation that claimed this attempt ended before running it",
        status: "failed",
        durationMs: undefined,
      });
    }
    await this.#save(state, seen, { force: true });
  }

  /** Record a failed attempt and schedule its retry, or record the final failure. */
  async #failed(
    state: JobState,
    slot: number,
    attempt: number,
    executionId: string,
    now: number,
    failure: { error: string; status: ExecutionStatus; durationMs: number | undefined; data?: Record<string, unknown> },
  ): Promise<void> {
    const retries = attempt <= state.task.maxRetries;
    if (retries) {
      const at = now + backoffMs(attempt, this.#deps.options.random, this.#deps.options.retryBaseMs);
      state.retry = { slot, attempt: attempt + 1, at, lastError: failure.error };
    } else state.retry = null;
    this.#deps.kernel.logger.warn(`task ${state.jobId} failed (attempt ${attempt})`, {
      tenant_id: state.tenantId,
      plugin: state.plugin,
      task_id: state.jobId,
      execution_id: executionId,
      error: failure.error,
      retry_at: state.retry ? iso(state.retry.at) : undefined,
    });
    if (state.kind !== "task") return;
    state.last = await this.#record(state, {
      id: executionId,
      status: retries ? "retrying" : failure.status,
      final: !retries,
      attempt,
      scheduledTime: iso(slot),
      durationMs: failure.durationMs,
      correlationId: executionId,
      error: failure.error,
      ...(retries ? { reason: `retry as attempt ${attempt + 1} at ${iso(state.retry!.at)}` } : {}),
      ...(failure.data ? { data: failure.data } : {}),
    });
  }

  async #attempt(
    tenant: Readonly<TenantRecord>,
    state: JobState,
    slot: number,
    attempt: number,
    executionId: string,
    now: number,
    correlationId: string,
    trigger: Trigger,
  ): Promise<AttemptResult> {
    const { kernel } = this.#deps;
    const ctx = kernel.context(tenant, {
      correlationId,
      causationId: executionId,
      timestamp: new Date(now),
      metadata: { taskId: state.jobId, trigger },
    });
    if (state.kind === "health") {
      try {
        const checks = await runHealthChecks(this.#deps, state, tenant, ctx, now);
        return { result: { success: true }, status: "succeeded", checks };
      } catch (error) {
        return { result: { success: false, errorMessage: errorMessage(error) }, status: "failed" };
      }
    }
    const plugin = kernel.registry.require(state.plugin).plugin as unknown as ScheduledTaskHooks;
    const definition = taskDefinition(state);
    const outcome = await withDeadline(state.task.timeoutSeconds * 1000, (signal) => {
      const execCtx: TaskExecutionContext = Object.freeze({
        taskId: state.jobId,
        executionId,
        scheduledTime: new Date(slot),
        actualTime: new Date(kernel.now()),
        attempt,
        tenantId: tenant.id,
        correlationId,
        signal,
      });
      return plugin.executeScheduledTask(definition, ctx, execCtx);
    });
    const durationMs = outcome.durationMs;
    if (outcome.timedOut) {
      return { result: { success: false, errorMessage: outcome.error, durationMs }, status: "timed_out" };
    }
    if (outcome.error !== undefined) {
      return { result: { success: false, errorMessage: outcome.error, durationMs }, status: "failed" };
    }
    const checked = checkTaskResult(outcome.value);
    if ("error" in checked) {
      return { result: { success: false, errorMessage: checked.error, durationMs }, status: "failed" };
    }
    const result = { ...checked.result, durationMs };
    if (!result.success) result.errorMessage ??= "the task reported success: false";
    return { result, status: result.success ? "succeeded" : "failed" };
  }

  /** The state as it is now, with this run's lease released and no schedule moved backwards. */
  #merge(fresh: JobState | null, mine: JobState, executionId: string): JobState | null {
    if (!fresh) return null;
    if (fresh.running?.executionId === executionId) fresh.running = null;
    if (mine.nextDue !== null && (fresh.nextDue === null || fresh.nextDue < mine.nextDue)) {
      if (JSON.stringify(fresh.task.schedule) === JSON.stringify(mine.task.schedule)) fresh.nextDue = mine.nextDue;
    }
    return fresh;
  }

  #leaseUntil(state: JobState, from: number): number {
    return from + state.task.timeoutSeconds * 1000 + this.#deps.options.leaseGraceMs;
  }

  /** Move the index entry to when the job next needs attention, and write the state. */
  async #save(state: JobState, seen: number[], opts: { force?: boolean; mergeRunning?: boolean } = {}) {
    const { store } = this.#deps;
    if (opts.mergeRunning) {
      // The run may have finished while we decided: keep what it wrote about itself.
      const fresh = await store.read(state.tenantId, state.jobId);
      if (fresh && fresh.running?.executionId !== state.running?.executionId) {
        state.running = fresh.running;
        state.retry = fresh.retry;
      }
    }
    const before = state.dueMinute;
    await store.placeIndex(state, seen);
    if (opts.force || opts.mergeRunning || before !== state.dueMinute) await store.write(state);
  }

  /**
   * A run is in progress and owns the state: only move the index entry to the lease's end (or
   * the next slot). The state's `dueMinute` is left as is; the entry it names is gone or
   * becomes a stale hint, cleaned when met.
   */
  async #settleIndex(state: JobState, seen: number[]): Promise<void> {
    await this.#deps.store.placeIndex({ ...state, dueMinute: null }, seen);
  }

  /** Disabled or unknown plugin: keep the job but look at it again in an hour. */
  async #park(state: JobState, now: number, seen: number[]): Promise<void> {
    const parked = { ...state, running: null, retry: null, nextDue: now + 3_600_000 };
    await this.#deps.store.placeIndex(parked, seen);
    state.dueMinute = parked.dueMinute;
    await this.#deps.store.write(state);
  }

  async #dropEntries(tenantId: string, jobId: string, seen: number[]): Promise<void> {
    await this.#deps.store.deleteEntries(tenantId, jobId, seen);
  }

  #record(state: JobState, fields: Partial<NewExecutionRecord> & { status: ExecutionStatus; final: boolean }) {
    return this.#deps.kernel.history.record({
      tenantId: state.tenantId,
      kind: "task",
      plugin: state.plugin,
      name: state.jobId,
      ...fields,
    } as NewExecutionRecord) as Promise<ExecutionRecord>;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function resultFields(result: TaskResult): Partial<NewExecutionRecord> {
  return {
    ...(result.data ? { data: result.data } : {}),
    ...(result.success ? {} : { error: result.errorMessage }),
  };
}

function taskDefinition(state: JobState): ScheduledTaskDefinition {
  const { taskId, name, description, schedule, maxRetries, timeoutSeconds } = state.task;
  return Object.freeze({
    taskId,
    name,
    description,
    schedule: Object.freeze({ ...schedule }),
    maxRetries,
    timeoutSeconds,
  });
}
