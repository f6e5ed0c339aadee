/**
 * Schedules: a 5-field cron expression read in an IANA time zone (croner), or an interval of at
 * least 60 seconds. Compiled patterns are cached per isolate; next-due times are computed when a
 * job is synced or has just run, never for idle jobs on every tick (croner's nextRun with a
 * time zone costs ~0.05-0.2 ms a call).
 */
import { Cron } from "croner";
import { BoundedMap } from "../cache/bounded-map.ts";
import { KernelError } from "../errors.ts";
import type { TaskSchedule } from "../hooks.ts";

/** A validated schedule: exactly one of cron/interval, and the zone (default UTC). */
export interface NormalizedSchedule {
  cronExpression?: string;
  intervalSeconds?: number;
  timezone: string;
}

export const MIN_INTERVAL_SECONDS = 60;
const MAX_INTERVAL_SECONDS = 366 * 86_400;
const cronCache = new BoundedMap<string, Cron>(1_000);

/** Throws a message (without plugin/task, which the caller adds) when the schedule is unusable. */
export function normalizeSchedule(input: unknown): NormalizedSchedule {
  if (!input || typeof input !== "object" || Array.isArray(input)) {
    throw new Error("schedule must be an object with cronExpression or intervalSeconds");
  }
  const { cronExpression, intervalSeconds, timezone } = input as TaskSchedule;
  const zone = timezone ?? "UTC";
  if (typeof zone !== "string" || !isTimeZone(zone)) {
    throw new Error(`timezone ${JSON.stringify(timezone)} is not an IANA time zone (e.g. "Europe/Berlin")`);
  }
  if ((cronExpression === undefined) === (intervalSeconds === undefined)) {
    throw new Error("schedule needs exactly one of cronExpression and intervalSeconds");
  }
  if (cronExpression !== undefined) {
    if (typeof cronExpression !== "string") throw new Error("cronExpression must be a string");
    const expr = cronExpression.trim().replace(/\s+/g, " ");
    if (!expr.startsWith("@") && expr.split(" ").length !== 5) {
      throw new Error(`cron expression "${cronExpression}" must have 5 fields (minute hour day month weekday)`);
    }
    try {
      const cron = compileCron(expr, zone);
      if (cron.nextRun(new Date(0)) === null && cron.nextRun() === null) throw new Error("it never fires");
    } catch (error) {
      throw new Error(`invalid cron expression "${cronExpression}": ${(error as Error).message}`);
    }
    return { cronExpression: expr, timezone: zone };
  }
  if (
    typeof intervalSeconds !== "number" || !Number.isInteger(intervalSeconds) ||
    intervalSeconds < MIN_INTERVAL_SECONDS || intervalSeconds > MAX_INTERVAL_SECONDS
  ) {
    throw new Error(
      `intervalSeconds must be a whole number from ${MIN_INTERVAL_SECONDS} (the tick's granularity) to ${MAX_INTERVAL_SECONDS}, got ${
        JSON.stringify(intervalSeconds)
      }`,
    );
  }
  return { intervalSeconds, timezone: zone };
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function compileCron(expr: string, timezone: string): Cron {
  const cacheKey = `${timezone} ${expr}`;
  let cron = cronCache.get(cacheKey);
  if (!cron) {
    cron = new Cron(expr, { timezone, mode: "5-part", paused: true });
    cronCache.set(cacheKey, cron);
  }
  return cron;
}

/**
 * Slot arithmetic for one job. Interval slots are `phase + k × interval` (ms since the epoch);
 * the phase spreads tenants that share an interval over the interval instead of piling them all
 * onto one tick. Cron slots are whatever croner says in the zone.
 */
export class SlotClock {
  readonly #schedule: NormalizedSchedule;
  readonly #phaseMs: number;

  constructor(schedule: NormalizedSchedule, phaseMs = 0) {
    this.#schedule = schedule;
    this.#phaseMs = phaseMs;
  }

  /** The first slot strictly after `ms`, or null when the cron never fires again. */
  nextAfter(ms: number): number | null {
    const { intervalSeconds, cronExpression, timezone } = this.#schedule;
    if (intervalSeconds !== undefined) {
      const step = intervalSeconds * 1000;
      return Math.floor((ms - this.#phaseMs) / step) * step + this.#phaseMs + step;
    }
    return compileCron(cronExpression!, timezone).nextRun(new Date(ms))?.getTime() ?? null;
  }

  /** The latest slot at or before `ms` (the one a late tick runs when it coalesces missed slots). */
  latestAtOrBefore(ms: number): number | null {
    const { intervalSeconds, cronExpression, timezone } = this.#schedule;
    if (intervalSeconds !== undefined) {
      const step = intervalSeconds * 1000;
      return Math.floor((ms - this.#phaseMs) / step) * step + this.#phaseMs;
    }
    // previousRuns is strictly before its reference: +1 ms makes it inclusive.
    return compileCron(cronExpression!, timezone).previousRuns(1, new Date(ms + 1))[0]?.getTime() ?? null;
  }
}

/**
 * A stable per-(tenant, job) phase in whole minutes within the interval, from an FNV-1a hash,
 * so that every tenant's "every 5 minutes" does not land on the same tick.
 */
export function intervalPhaseMs(seed: string, intervalSeconds: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const minutes = Math.max(1, Math.floor(intervalSeconds / 60));
  return (hash % minutes) * 60_000;
}

export function invalidTask(plugin: string, taskId: string, problem: string): KernelError {
  return new KernelError("ERR_TASK_INVALID", `plugin ${plugin}: task ${taskId}: ${problem}`);
}
