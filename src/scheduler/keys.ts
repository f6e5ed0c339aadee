/**
 * The scheduler's KV keys. Each prefix is documented in docs/scheduling.md.
 *
 * - `sched:due:<minute>:<tenant>:<job>`  the due index: one entry per job, at the epoch minute
 *   it next needs attention. Zero-padded so lexicographic order is time order: a tick lists from
 *   the start of the prefix and stops at the first entry after `now`, so its cost grows with
 *   the work due, not with the number of tenants.
 * - `sched:state:<tenant>:<job>`  one job's definition and state (next due, running lease,
 *   pending retry, last result). Written by whoever holds the slot's claim.
 * - `sched:slot:<tenant>:<job>:<slot>:<attempt>`  the claim of one attempt at one slot, taken
 *   with putIfAbsent before anything runs; a duplicate or concurrent tick finds it taken.
 * - `sched:lock:<tenant>:<job>`  held while a run of the job is in progress (TTL = its lease), so
 *   that two runs of one job never overlap, even when two ticks claimed different slots.
 * - `sched:hc:<tenant>:<plugin>:<checkType>:<target>`  one health check's bounded history.
 * - `sched:net:cursor`  where the safety net's rotation over the tenants goes on (read-mostly
 *   KV, one write per tick; only where there is no due index).
 *
 * A job is a scheduled task (`plugin.task`) or a plugin's health cycle (`plugin#health`).
 * Tenant ids are UUIDs and job ids contain no `:`, so every key splits unambiguously.
 */
export const DUE_PREFIX = "sched:due:";
/** The safety net's cursor over the tenants (no due index: Cloudflare). */
export const SAFETY_NET_CURSOR = "sched:net:cursor";
/** Every tenant's job states (`sched:state:<tenant>:<job>`). */
export const STATE_PREFIX = "sched:state:";
const MINUTE_MS = 60_000;

export const schedKeys = {
  due: (minute: number, tenantId: string, jobId: string) => `${DUE_PREFIX}${padMinute(minute)}:${tenantId}:${jobId}`,
  state: (tenantId: string, jobId: string) => `${STATE_PREFIX}${tenantId}:${jobId}`,
  statePrefix: (tenantId: string) => `${STATE_PREFIX}${tenantId}:`,
  claim: (tenantId: string, jobId: string, slot: number, attempt: number | string) =>
    `sched:slot:${tenantId}:${jobId}:${new Date(slot).toISOString()}:${attempt}`,
  lock: (tenantId: string, jobId: string) => `sched:lock:${tenantId}:${jobId}`,
  healthCheck: (tenantId: string, plugin: string, checkType: string, target: string) =>
    `sched:hc:${tenantId}:${plugin}:${encodeURIComponent(checkType)}:${encodeURIComponent(target)}`,
  healthPrefix: (tenantId: string, plugin?: string) =>
    `sched:hc:${tenantId}:${plugin === undefined ? "" : `${plugin}:`}`,
} as const;

/** The job id of a plugin's health cycle. `#` cannot appear in a task id, so the two never collide. */
export function healthJobId(plugin: string): string {
  return `${plugin}#health`;
}

/** 10 digits: epoch minutes stay below that until the year 20983. */
export function padMinute(minute: number): string {
  return String(minute).padStart(10, "0");
}

export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}

/** The first whole minute at or after `ms`: a job due at 06:01:30 is picked up by the 06:02 tick. */
export function minuteAtOrAfter(ms: number): number {
  return Math.ceil(ms / MINUTE_MS);
}

/** Splits a due-index key; null when it is not one. */
export function parseDueKey(key: string): { minute: number; tenantId: string; jobId: string } | null {
  if (!key.startsWith(DUE_PREFIX)) return null;
  const [minute, tenantId, jobId] = key.slice(DUE_PREFIX.length).split(":");
  if (!minute || !/^\d{10}$/.test(minute) || !tenantId || !jobId) return null;
  return { minute: Number(minute), tenantId, jobId };
}
