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
import { errorMessage } from "../errors.ts";
import type { ExecutionStatus } from "../store/history.ts";
import type { TenantRecord } from "../store/tenants.ts";
import { backoffDelay } from "../timing/backoff.ts";
import { iso, recordTask, resultFields, runAttempt } from "./attempt.ts";
import type { SchedulerDeps } from "./context.ts";
import { TASK_RETRY } from "./execute.ts";
import { type JobState, leaseUntil, mergeAfterRun, slotClock } from "./state.ts";

export interface Tally {
  ran: number;
  failed: number;
  skipped: number;
}

export const emptyTally = (): Tally => ({ ran: 0, failed: 0, skipped: 0 });

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
      // Deleting a tenant removes its jobs (Kernel.deleteTenant). One that cannot be read here may
      // only be out of sight for a moment (a KV replica behind, a cached miss): look again in a
      // minute, and the slots it missed are recorded then. Missing for a day, it went outside the kernel.
      const since = state.tenantMissingSince ?? now;
      if (now - since >= TENANT_GONE_MS) {
        await this.#dropEntries(tenantId, jobId, seen);
        await store.remove(state);
      } else {
        state.tenantMissingSince = since;
        await this.#park(state, now, seen, 60_000);
      }
      return tally;
    }
    if (state.tenantMissingSince !== undefined) {
      delete state.tenantMissingSince; // seen again: a later absence counts from then
      await store.write(state);
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
    const basis = fingerprint(state);

    // The run lock is the truth about a run in progress; `state.running` is its hint. Only the
    // run itself writes the state while it holds the lock, so a slow write from a tick that
    // skipped a slot can never bring a finished run's lease back.
    const holder = state.running ? await store.lockHolder(state) : null;
    if (holder && typeof holder.until === "number" && now < holder.until) {
      await this.#overlap(state, holder.executionId ?? state.running!.executionId, holder.until, now, seen, tally);
      return tally;
    }
    // Set when this copy of the state changed and must be written even if the index does not move.
    let dirty = false;
    if (state.running && holder?.executionId === state.running.executionId) {
      const lost = state.running;
      // Concurrent ticks all see the expired lease: one of them records it.
      if (!(await store.claim(state, lost.slot, `${lost.attempt}-lost`, JSON.stringify({ at: now })))) {
        await this.#unwedge(state, lost.slot, `${lost.attempt}-lost`, lost.executionId, now);
        return tally;
      }
      state.running = null;
      dirty = true;
      tally.failed++;
      const error = `did not finish: its lease ran out at ${iso(lost.until)} (the invocation was probably cut off)`;
      if (lost.manual) {
        state.last = await recordTask(this.#deps, state, {
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
    } else if (state.running) {
      // The lock is gone: that run finished and released it, and this state copy is older than
      // its final write. Nothing to record.
      state.running = null;
      dirty = true;
    }

    if (state.retry) {
      const retry = state.retry;
      if (state.nextDue !== null && state.nextDue <= now) {
        state.retry = null;
        dirty = true;
        // Claiming the retry's attempt gives it up for everyone; one tick records it.
        const marker = JSON.stringify({ skip: true, executionId: "superseded", at: now });
        if (await store.claim(state, retry.slot, retry.attempt, marker)) {
          state.last = await recordTask(this.#deps, state, {
            status: "failed",
            final: true,
            attempt: retry.attempt - 1,
            scheduledTime: iso(retry.slot),
            error: retry.lastError,
            reason: `gave up before attempt ${retry.attempt}: the next slot (${iso(state.nextDue)}) is already due`,
          });
        }
      } else if (retry.at <= now) {
        await this.#run(tenant, state, basis, retry.slot, retry.attempt, now, seen, tally);
        return tally;
      } else {
        await this.#save(state, seen, { force: dirty });
        return tally;
      }
    }

    if (state.nextDue !== null && state.nextDue <= now) {
      const slot = clock.latestAtOrBefore(now)!;
      const coalesced = slot > state.nextDue ? `coalesced the missed slots since ${iso(state.nextDue)}` : undefined;
      await this.#run(tenant, state, basis, slot, 1, now, seen, tally, coalesced);
      return tally;
    }
    await this.#save(state, seen, { force: dirty });
    return tally;
  }

  /**
   * Another tick claimed the handling of this lost run but has not saved it. Normally it is
   * doing so right now. If its claim is over five minutes old, it died in between: drop the dead
   * run's lock, so that the next tick sees the run as over and the job moves on.
   */
  async #unwedge(state: JobState, slot: number, attempt: string, lostId: string, now: number): Promise<void> {
    const { store } = this.#deps;
    let at = now;
    try {
      at = JSON.parse((await store.readClaim(state, slot, attempt)) ?? "{}").at ?? now;
    } catch { /* unreadable: treat as just taken */ }
    if (now - at <= 5 * 60_000) return;
    if (!(await store.unlock(state, lostId))) return; // another run holds it now
    this.#deps.kernel.logger.warn("dropped the lock of a lost run whose recording was never saved", {
      tenant_id: state.tenantId,
      task_id: state.jobId,
      slot: iso(slot),
    });
  }

  /**
   * Claim the attempt, take the run lock, run, record, save. `basis` is the fingerprint of the
   * state this decision was made from: if the stored state changed before the lock was ours (a
   * run finished meanwhile), the claim is given back and the next tick decides afresh, so a stale
   * copy never overwrites what that run wrote.
   */
  async #run(
    tenant: Readonly<TenantRecord>,
    state: JobState,
    basis: string,
    slot: number,
    attempt: number,
    now: number,
    seen: number[],
    tally: Tally,
    reason?: string,
  ): Promise<void> {
    const { store } = this.#deps;
    const executionId = crypto.randomUUID();
    // Stamped with the real clock too (see the lease below): a late invocation's fresh claim must
    // not look a lease old to a concurrent tick.
    const started = Math.max(now, this.#deps.kernel.now());
    const holder = JSON.stringify({ executionId, at: started });
    if (!(await store.claim(state, slot, attempt, holder))) {
      await this.#claimTaken(state, slot, attempt, now, seen, tally);
      return;
    }
    // From the later of the tick's time and the kernel's clock: an invocation that starts late
    // (its scheduledTime minutes behind) still gets its whole lease, so no tick takes it for lost.
    const until = leaseUntil(state, started, this.#deps.options.leaseGraceMs);
    if (!(await store.lock(state, executionId, now, until))) {
      await this.#locked(state, slot, attempt, now, seen, tally);
      return;
    }
    let unrecorded = false;
    try {
      const fresh = await store.read(state.tenantId, state.jobId);
      if (!fresh || fingerprint(fresh) !== basis) {
        await store.releaseClaim(state, slot, attempt);
        return;
      }
      await this.#runLocked(tenant, state, slot, attempt, executionId, now, until, seen, tally, reason);
    } catch (error) {
      if (!(error instanceof UnrecordedRun)) throw error;
      unrecorded = true;
      throw error.cause;
    } finally {
      // A run whose final record (or pending retry) could not be written keeps its lock: a released
      // lock tells the next tick that the run finished and recorded itself. Kept, it lets the lease
      // run out, and the next tick records the run as lost and retries it, so the slot never ends
      // without a final record.
      if (!unrecorded) await store.unlock(state, executionId);
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
    const missedFrom = attempt === 1 && state.nextDue !== null && state.nextDue < slot ? state.nextDue : null;
    if (attempt === 1) state.nextDue = slotClock(state).nextAfter(slot);
    state.retry = null;
    state.running = { slot, attempt, executionId, until };
    // The index entry stays where it is: a tick during the run finds the lease and skips. Without
    // an index, the state itself says when to look next: the next slot or the lease's end.
    if (!store.indexed) await store.placeIndex(state);
    await store.write(state);
    // Before the run, so the history reads in order, and never in its way: a failed write here
    // leaves a missed slot without its record, not the run without its own or its lock.
    if (missedFrom !== null) {
      await this.#recordMissed(state, missedFrom, slot, executionId, tally).catch((error) => {
        this.#deps.kernel.logger.error("could not record the slots a run replaced", {
          tenant_id: state.tenantId,
          task_id: state.jobId,
          error: errorMessage(error),
        });
      });
    }

    const outcome = await runAttempt(this.#deps, {
      tenant,
      state,
      slot,
      attempt,
      executionId,
      now,
      correlationId: executionId,
      trigger: "schedule",
    });
    const progress = { final: false };
    try {
      await this.#recordRun(state, slot, attempt, executionId, outcome, seen, tally, reason, progress);
    } catch (error) {
      throw progress.final ? error : new UnrecordedRun(error);
    }
  }

  async #recordRun(
    state: JobState,
    slot: number,
    attempt: number,
    executionId: string,
    outcome: Awaited<ReturnType<typeof runAttempt>>,
    seen: number[],
    tally: Tally,
    reason: string | undefined,
    progress: { final: boolean },
  ): Promise<void> {
    const { store } = this.#deps;
    const finishedAt = this.#deps.kernel.now();
    const fresh = mergeAfterRun(await store.read(state.tenantId, state.jobId), state, executionId);
    const target = fresh ?? state;
    if (outcome.status === "succeeded") {
      tally.ran++;
      if (state.kind === "task") {
        target.last = await recordTask(this.#deps, state, {
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
      progress.final = true;
    } else {
      tally.failed++;
      await this.#failed(target, slot, attempt, executionId, finishedAt, {
        error: outcome.result.errorMessage ?? "failed",
        status: outcome.status,
        durationMs: outcome.result.durationMs,
        data: outcome.result.data,
        permanent: outcome.permanent,
      });
      // A retry lives in the state written next: until then, the lock must stay for the lease path.
      progress.final = target.retry === null;
    }
    if (fresh) await this.#save(fresh, seen, { force: true });
  }

  /**
   * A run holds the job's lock: the latest slot that came due meanwhile is skipped — claimed with
   * a skip marker, recorded once — and the index entry moved to when the job next needs a look.
   * The state is not written (the run owns it; without an index only its `dueMinute`, by
   * compare-and-set): a later tick that finds the slot's skip marker moves `nextDue` past it.
   */
  async #overlap(state: JobState, holder: string, until: number, now: number, seen: number[], tally: Tally) {
    const { store } = this.#deps;
    const clock = slotClock(state);
    let next = state.nextDue;
    if (state.nextDue !== null && state.nextDue <= now) {
      const slot = clock.latestAtOrBefore(now)!;
      next = clock.nextAfter(slot);
      const marker = JSON.stringify({ skip: true, executionId: holder, at: now });
      if (await store.claim(state, slot, 1, marker)) {
        await this.#recordSkip(state, slot, holder, until);
        tally.skipped++;
      }
    }
    // A look at the next slot, and one when the lock's lease ends, in case that run never reports back.
    await store.lookAgain(state, [next, until], seen);
  }

  /**
   * This slot's attempt is ours, but another run holds the lock (it started between our read and
   * our claim). A regular slot is skipped: our claim becomes a skip marker and the skip is
   * recorded. A retry gives its claim back and waits for a later tick. The state is not written.
   */
  async #locked(state: JobState, slot: number, attempt: number, now: number, seen: number[], tally: Tally) {
    const { store } = this.#deps;
    if (attempt > 1 && state.retry) {
      await store.releaseClaim(state, slot, attempt);
      return;
    }
    const holder = await store.lockHolder(state);
    const executionId = holder?.executionId ?? "unknown";
    await store.markSkipped(state, slot, JSON.stringify({ skip: true, executionId, at: now }));
    await this.#recordSkip(state, slot, executionId, holder?.until);
    tally.skipped++;
    await store.lookAgain(state, [slotClock(state).nextAfter(slot)], seen);
  }

  /**
   * Slots no tick came for (an outage, a deploy) are not run one by one: the run for `runSlot`
   * replaces them. Each still gets its own final record, `skipped`, naming that run: the latest
   * MISSED_RECORDS_MAX of them (an outage of days must not cost thousands of writes in one tick);
   * a successful run's own record names where the missed slots began. Each slot is claimed first
   * (with a skip marker), so a slot gets at most one record however many ticks get here.
   */
  async #recordMissed(state: JobState, from: number, runSlot: number, executionId: string, tally: Tally) {
    if (state.kind !== "task") return;
    const clock = slotClock(state);
    const missed: number[] = [];
    for (let s: number | null = from; s !== null && s < runSlot; s = clock.nextAfter(s)) {
      missed.push(s);
      if (missed.length > MISSED_RECORDS_MAX) missed.shift();
    }
    const marker = JSON.stringify({ skip: true, executionId, at: this.#deps.kernel.now() });
    const failed: string[] = [];
    for (const slot of missed) {
      try {
        if (!(await this.#deps.store.claim(state, slot, 1, marker))) continue;
        await recordTask(this.#deps, state, {
          status: "skipped",
          final: true,
          attempt: 1,
          scheduledTime: iso(slot),
          reason: `missed (no tick came in time): replaced by the run for ${iso(runSlot)}`,
        });
        tally.skipped++;
      } catch (error) {
        failed.push(`${iso(slot)}: ${errorMessage(error)}`);
      }
    }
    if (failed.length) throw new Error(`${failed.length} of ${missed.length} records failed (${failed[0]})`);
  }

  async #recordSkip(state: JobState, slot: number, executionId: string, until: number | undefined): Promise<void> {
    if (state.kind !== "task") return;
    await recordTask(this.#deps, state, {
      status: "skipped",
      final: true,
      attempt: 1,
      scheduledTime: iso(slot),
      reason: `still running: another run of this task (execution ${executionId}) holds its lock${
        typeof until === "number" ? ` until ${iso(until)}` : ""
      }`,
    });
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
    if (claim.skip !== true && now < leaseUntil(state, at, this.#deps.options.leaseGraceMs)) return;
    // A run in progress owns the state; this can wait for a tick after it.
    const holder = await this.#deps.store.lockHolder(state);
    if (typeof holder?.until === "number" && now < holder.until) return;
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
    failure: {
      error: string;
      status: ExecutionStatus;
      durationMs: number | undefined;
      data?: Record<string, unknown>;
      permanent?: true;
    },
  ): Promise<void> {
    const retries = attempt <= state.task.maxRetries && !failure.permanent; // a PluginError is not retried
    if (retries) {
      const at = now +
        backoffDelay(attempt, {
          ...TASK_RETRY,
          baseDelayMs: this.#deps.options.retryBaseMs,
          random: this.#deps.options.random,
        });
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
    state.last = await recordTask(this.#deps, state, {
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

  /** Move the index entry to when the job next needs attention, and write the state. */
  async #save(state: JobState, seen: number[], opts: { force?: boolean } = {}) {
    const before = state.dueMinute;
    await this.#deps.store.placeIndex(state, seen);
    if (opts.force || before !== state.dueMinute) await this.#deps.store.write(state);
  }

  /** Look at the job again in `afterMs` (default an hour), its state otherwise unchanged. */
  async #park(state: JobState, now: number, seen: number[], afterMs = 3_600_000): Promise<void> {
    const parked = { ...state, running: null, retry: null, nextDue: now + afterMs };
    await this.#deps.store.placeIndex(parked, seen);
    state.dueMinute = parked.dueMinute;
    await this.#deps.store.write(state);
  }

  async #dropEntries(tenantId: string, jobId: string, seen: number[]): Promise<void> {
    await this.#deps.store.deleteEntries(tenantId, jobId, seen);
  }
}

/** What a decision about the job depends on; a stored state with another fingerprint has moved on. */
function fingerprint(state: JobState): string {
  const { nextDue, retry, running, task } = state;
  return JSON.stringify([nextDue, retry, running?.executionId ?? null, task.schedule]);
}

/** How long a job's tenant stays unreadable before the job is taken for deleted. */
const TENANT_GONE_MS = 86_400_000;

/** Missed slots that get a `skipped` record of their own when a run replaces them (the latest ones). */
const MISSED_RECORDS_MAX = 100;

/** A run that happened, but whose final record, or the retry it needs, could not be written. */
class UnrecordedRun extends Error {
  constructor(cause: unknown) {
    super("the run's outcome could not be recorded", { cause });
  }
}
