/**
 * A clock that moves only when the test says so. The test kernel reads it for timestamps,
 * storage expiry, history and schedules, so "a day later" is one call, not a day of waiting.
 */
export interface FakeClock {
  /** Milliseconds since the epoch: pass as `now` to anything that takes a clock. */
  now(): number;
  /** The current time as a Date. */
  date(): Date;
  /** Move forward by `ms` (must be ≥ 0: time does not run backwards by accident). Returns the new time. */
  advance(ms: number): number;
  /** Jump to a point in time (either direction). */
  set(time: Date | string | number): void;
}

/** The default start: a fixed, recognisable instant, so snapshots and logs are stable. */
export const DEFAULT_START = "2026-01-01T00:00:00.000Z";

export function createFakeClock(start: Date | string | number = DEFAULT_START): FakeClock {
  let current = toMillis(start, "start");
  const now = () => current;
  return {
    now,
    date: () => new Date(current),
    advance(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) {
        throw new RangeError(`clock.advance(ms): ms must be a finite number ≥ 0, got ${ms}`);
      }
      current += ms;
      return current;
    },
    set(time) {
      current = toMillis(time, "time");
    },
  };
}

function toMillis(time: Date | string | number, what: string): number {
  const ms = time instanceof Date ? time.getTime() : typeof time === "string" ? Date.parse(time) : time;
  if (!Number.isFinite(ms)) {
    throw new RangeError(`fake clock: ${what} ${JSON.stringify(String(time))} is not a valid time`);
  }
  return ms;
}
