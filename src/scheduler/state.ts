/**
 * One job's persisted state and the due index that points at it. The state is the truth; an
 * index entry is a hint to look at the job at a given minute. A stale or duplicated entry costs
 * one read and is cleaned up when met, so the index needs no transaction with the state.
 *
 * Without a due index (`dueIndex: false`: Cloudflare, where each tenant's Durable Object arms its
 * alarm from its own job states), the state's `dueMinute` alone says when to look at the job
 * next (`wakeAt`), and nothing is written outside the tenant's authority.
 */
import type { HealthCheckDefinition } from "../hooks.ts";
import { comparesAt, type KVDriver } from "../store/driver.ts";
import type { ExecutionRecord } from "../store/history.ts";
import type { NormalizedTask } from "./definitions.ts";
import { minuteAtOrAfter, schedKeys } from "./keys.ts";
import { SlotClock } from "./schedule.ts";

export interface RunningLease {
  slot: number;
  attempt: number;
  executionId: string;
  /** Until then the run is assumed alive; after it, an unfinished run counts as a failed attempt. */
  until: number;
  /** A `runNow` run: never retried. */
  manual?: boolean;
}

export interface PendingRetry {
  slot: number;
  /** The attempt number the retry will carry. */
  attempt: number;
  at: number;
  lastError: string;
}

export interface JobState {
  v: 1;
  tenantId: string;
  plugin: string;
  /** The plugin version the definition came from; a new version re-syncs. */
  pluginVersion: string;
  jobId: string;
  kind: "task" | "health";
  /** For health jobs the schedule is the health interval and maxRetries is 0. */
  task: NormalizedTask;
  checks?: HealthCheckDefinition[];
  /** Interval schedules only: the tenant's phase within the interval (ms). */
  phaseMs: number;
  /** The earliest slot not yet run or skipped (ms), or null when the cron never fires again. */
  nextDue: number | null;
  /**
   * The minute of this job's entry in the due index, or null when it has none. Without a due
   * index: the minute the job next needs a look (its tenant's alarm is armed for it).
   */
  dueMinute: number | null;
  /** Since when (ms) the job's tenant could not be read; absent while it can. */
  tenantMissingSince?: number;
  running: RunningLease | null;
  retry: PendingRetry | null;
  last: ExecutionRecord | null;
}

export function slotClock(state: JobState): SlotClock {
  return new SlotClock(state.task.schedule, state.phaseMs);
}

/** When the job next needs a tick's attention: its next slot, a pending retry, or its lease's end. */
export function attentionAt(state: JobState): number | null {
  const times = [state.nextDue, state.retry?.at ?? null, state.running?.until ?? null]
    .filter((t): t is number => t !== null);
  return times.length ? Math.min(...times) : null;
}

/**
 * When the job's tenant must look at it next: the minute its index entry (or, without an index,
 * its `dueMinute`) names; a state that has none yet, its attention time. Later than
 * `attentionAt` while the job is handed to the queue or a run elsewhere holds it.
 */
export function wakeAt(state: JobState): number | null {
  return state.dueMinute !== null ? state.dueMinute * 60_000 : attentionAt(state);
}

export class JobStore {
  readonly #driver: KVDriver;
  readonly #claimTtlSeconds: number;
  readonly #indexed: boolean;
  /** The stored text each state was read or written as: a compare-and-set needs no second read. */
  readonly #raw = new WeakMap<JobState, string>();
  // Claims and locks live only in the tenant's authority (memory, Deno KV, the tenant's Durable
  // Object), whose putIfAbsent and compare-and-sets are atomic; an isolate's memory never decides.
  /** The value this isolate last wrote to each lock: its release needs no read to know its holder. */
  readonly #written = new Map<string, { executionId: string; raw: string }>();

  /**
   * `dueIndex: false`: keep no due index (Cloudflare: each tenant's object is armed from its job
   * states, so a run writes nothing to KV); `dueMinute` in the state is then the only pointer.
   */
  constructor(driver: KVDriver, options: { claimTtlSeconds?: number; dueIndex?: boolean } = {}) {
    this.#driver = driver;
    this.#claimTtlSeconds = options.claimTtlSeconds ?? 3 * 86_400;
    this.#indexed = options.dueIndex ?? true;
  }

  get driver(): KVDriver {
    return this.#driver;
  }

  /** Whether a due index is kept (`sched:due:`, listed by the tick). */
  get indexed(): boolean {
    return this.#indexed;
  }

  async read(tenantId: string, jobId: string): Promise<JobState | null> {
    const raw = await this.#driver.get(schedKeys.state(tenantId, jobId));
    return raw === null ? null : this.#parse(raw);
  }

  async write(state: JobState): Promise<void> {
    const raw = JSON.stringify(state);
    await this.#driver.put(schedKeys.state(state.tenantId, state.jobId), raw);
    this.#raw.set(state, raw);
  }

  #parse(raw: string): JobState {
    const state = JSON.parse(raw) as JobState;
    this.#raw.set(state, raw);
    return state;
  }

  async readAll(tenantId: string): Promise<JobState[]> {
    const keys: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.#driver.list({ prefix: schedKeys.statePrefix(tenantId), cursor });
      keys.push(...page.keys);
      cursor = page.cursor;
    } while (cursor);
    const values = keys.length ? await this.#driver.getMany(keys) : [];
    return values.filter((v): v is string => v !== null).map((v) => this.#parse(v));
  }

  /** Remove a job: its state and its index entry. */
  async remove(state: JobState): Promise<void> {
    if (this.#indexed && state.dueMinute !== null) {
      await this.#driver.delete(schedKeys.due(state.dueMinute, state.tenantId, state.jobId));
    }
    await this.#driver.delete(schedKeys.state(state.tenantId, state.jobId));
  }

  /**
   * Point the index at the minute the job next needs attention (sets `state.dueMinute`; the
   * caller writes the state). `seen` are the entries the caller came from: removed unless one of
   * them is the right one.
   */
  async placeIndex(state: JobState, seen: readonly number[] = []): Promise<void> {
    const at = attentionAt(state);
    const minute = at === null ? null : minuteAtOrAfter(at);
    if (!this.#indexed) {
      state.dueMinute = minute;
      return;
    }
    const present = new Set(seen);
    if (minute !== null && minute !== state.dueMinute && !present.has(minute)) {
      await this.#driver.put(schedKeys.due(minute, state.tenantId, state.jobId), "");
    }
    if (state.dueMinute !== null) present.add(state.dueMinute);
    present.delete(minute!);
    await this.deleteEntries(state.tenantId, state.jobId, [...present]);
    state.dueMinute = minute;
  }

  async deleteEntries(tenantId: string, jobId: string, minutes: readonly number[]): Promise<void> {
    if (!this.#indexed) return;
    for (const minute of minutes) await this.#driver.delete(schedKeys.due(minute, tenantId, jobId));
  }

  /** Move a fanned-out job's entry out of the next ticks' way while the queue delivers it. */
  async moveEntry(tenantId: string, jobId: string, from: number, to: number): Promise<void> {
    if (!this.#indexed) return;
    await this.#driver.put(schedKeys.due(to, tenantId, jobId), "");
    await this.#driver.delete(schedKeys.due(from, tenantId, jobId));
  }

  /**
   * Ask for a look at the job at each of `times` (nulls ignored) without taking over its state:
   * a run elsewhere owns it, or the queue is about to deliver it. With a due index, one entry per
   * time (`seen` are the entries the caller came from). Without one, the earliest time goes into
   * the state's `dueMinute` by compare-and-set against the copy this store read: "moved" when the
   * state changed meanwhile (whoever changed it placed its own `dueMinute`), "cannot" where no
   * compare-and-set is possible (nothing is written then: a plain write could undo a run's).
   */
  async lookAgain(
    state: JobState,
    times: readonly (number | null)[],
    seen: readonly number[] = [],
  ): Promise<"placed" | "moved" | "cannot"> {
    const known = times.filter((t): t is number => t !== null);
    if (this.#indexed) {
      // No time at all still drops the entries the caller came from.
      for (const [i, nextDue] of (known.length ? known : [null]).entries()) {
        await this.placeIndex({ ...state, nextDue, retry: null, running: null, dueMinute: null }, i === 0 ? seen : []);
      }
      return "placed";
    }
    if (!known.length) return "placed";
    const minute = minuteAtOrAfter(Math.min(...known));
    if (minute === state.dueMinute) return "placed";
    const key = schedKeys.state(state.tenantId, state.jobId);
    const raw = this.#raw.get(state);
    if (raw === undefined || !this.#driver.putIfUnchanged || !comparesAt(this.#driver, key)) return "cannot";
    const text = JSON.stringify({ ...state, dueMinute: minute });
    if (!(await this.#driver.putIfUnchanged(key, raw, text))) return "moved";
    state.dueMinute = minute;
    this.#raw.set(state, text);
    return "placed";
  }

  async readClaim(state: JobState, slot: number, attempt: number | string): Promise<string | null> {
    return this.#driver.get(schedKeys.claim(state.tenantId, state.jobId, slot, attempt));
  }

  /** Turn a claim this caller holds into a skip marker (its slot was skipped, not run). */
  async markSkipped(state: JobState, slot: number, marker: string): Promise<void> {
    await this.#driver.put(schedKeys.claim(state.tenantId, state.jobId, slot, 1), marker, {
      ttlSeconds: this.#claimTtlSeconds,
    });
  }

  /** Give back a claim this caller took but could not use (a retry that found the job locked). */
  async releaseClaim(state: JobState, slot: number, attempt: number): Promise<void> {
    await this.#driver.delete(schedKeys.claim(state.tenantId, state.jobId, slot, attempt));
  }

  /**
   * Take the job's run lock until `until` (its lease); false while another run holds it. A lock
   * whose `until` has passed on the kernel's clock belongs to a run whose invocation died and is
   * taken over. (The KV TTL only collects garbage: it follows the backend's clock.)
   */
  async lock(state: JobState, executionId: string, now: number, until: number): Promise<boolean> {
    const key = schedKeys.lock(state.tenantId, state.jobId);
    const value = JSON.stringify({ executionId, until });
    // Kept a day past the lease, so that a lock left by a dead run is still there to be seen.
    const ttlSeconds = Math.ceil((until - now) / 1000) + 86_400;
    let held = await this.#driver.putIfAbsent(key, value, { ttlSeconds });
    if (!held) {
      const raw = await this.#driver.get(key);
      const holder = parseHolder(raw);
      if (raw !== null && typeof holder?.until === "number" && holder.until <= now) {
        // Taking over a lock whose lease ran out: compare-and-set from exactly that lock where the
        // store can, so that of two ticks taking it over at once only one holds it. (Delete and
        // put-if-absent would let the second delete the first one's fresh lock.)
        if (this.#driver.putIfUnchanged && comparesAt(this.#driver, key)) {
          held = await this.#driver.putIfUnchanged(key, raw, value, { ttlSeconds });
        } else {
          await this.#driver.delete(key);
          held = await this.#driver.putIfAbsent(key, value, { ttlSeconds });
        }
      }
    }
    if (held) this.#written.set(key, { executionId, raw: value });
    return held;
  }

  async lockHolder(state: JobState): Promise<{ executionId?: string; until?: number } | null> {
    return parseHolder(await this.#driver.get(schedKeys.lock(state.tenantId, state.jobId)));
  }

  /**
   * Release the run lock, after the run's final state is written: only if `executionId` still
   * holds it (true when released). A run that outlived its lease finds the lock taken over by
   * the next run and leaves it alone; deleting it would let a third run start beside that one.
   */
  async unlock(state: JobState, executionId: string): Promise<boolean> {
    const key = schedKeys.lock(state.tenantId, state.jobId);
    const mine = this.#written.get(key);
    const release = () => {
      if (this.#written.get(key)?.executionId === executionId) this.#written.delete(key);
    };
    const compares = comparesAt(this.#driver, key);
    if (this.#driver.deleteIfUnchanged && compares && mine?.executionId === executionId) {
      // Against the value this run wrote: gone if the lock was taken over since.
      release();
      return this.#driver.deleteIfUnchanged(key, mine.raw);
    }
    const raw = await this.#driver.get(key);
    if (raw === null || parseHolder(raw)?.executionId !== executionId) return false;
    release();
    // Compare-and-delete against the value read; a driver without it (Cloudflare KV) has the
    // window between that read and this delete.
    if (this.#driver.deleteIfUnchanged && compares) return this.#driver.deleteIfUnchanged(key, raw);
    await this.#driver.delete(key);
    return true;
  }

  /** Claim one attempt at one slot; false when another tick or consumer already has it. */
  async claim(state: JobState, slot: number, attempt: number | string, holder: string): Promise<boolean> {
    const key = schedKeys.claim(state.tenantId, state.jobId, slot, attempt);
    return this.#driver.putIfAbsent(key, holder, { ttlSeconds: this.#claimTtlSeconds });
  }
}

/** When a run started at `from` stops counting as alive: its time limit plus a grace period. */
export function leaseUntil(state: JobState, from: number, graceMs: number): number {
  return from + state.task.timeoutSeconds * 1000 + graceMs;
}

/** The state as it is now (`fresh`), with this run's lease released and no schedule moved backwards. */
export function mergeAfterRun(fresh: JobState | null, mine: JobState, executionId: string): JobState | null {
  if (!fresh) return null;
  if (fresh.running?.executionId === executionId) fresh.running = null;
  const sameSchedule = JSON.stringify(fresh.task.schedule) === JSON.stringify(mine.task.schedule);
  if (sameSchedule && mine.nextDue !== null && (fresh.nextDue === null || fresh.nextDue < mine.nextDue)) {
    fresh.nextDue = mine.nextDue;
  }
  return fresh;
}

/** A lock's value: who holds it and until when; `{}` when it cannot be read. */
function parseHolder(raw: string | null): { executionId?: string; until?: number } | null {
  try {
    return raw === null ? null : JSON.parse(raw);
  } catch {
    return {};
  }
}
