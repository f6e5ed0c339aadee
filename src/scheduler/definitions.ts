/**
 * Checking what plugins register: task definitions (namespaced ids, a valid schedule, retry and
 * timeout limits) and health checks. A problem is a KernelError("ERR_TASK_INVALID") naming the
 * plugin and the task, raised when the plugin's tasks are registered for a tenant.
 */
import type { HealthCheckDefinition, ScheduledTaskDefinition } from "../hooks.ts";
import { invalidTask, type NormalizedSchedule, normalizeSchedule } from "./schedule.ts";

/** A task definition with every default applied. */
export interface NormalizedTask {
  taskId: string;
  name: string;
  description: string;
  schedule: NormalizedSchedule;
  maxRetries: number;
  timeoutSeconds: number;
}

export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_TIMEOUT_SECONDS = 300;
/** A Cron Trigger invocation may run for 15 minutes; a task longer than that cannot finish in one. */
export const MAX_TIMEOUT_SECONDS = 900;
const MAX_RETRIES_LIMIT = 10;
const TASK_PART = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export function normalizeTasks(plugin: string, defs: unknown): NormalizedTask[] {
  if (!Array.isArray(defs)) {
    throw invalidTask(plugin, "(all)", "registerScheduledTasks must return an array of task definitions");
  }
  const seen = new Set<string>();
  return defs.map((def: Partial<ScheduledTaskDefinition>, i) => {
    const taskId = typeof def?.taskId === "string" ? def.taskId : `#${i}`;
    const fail = (problem: string) => invalidTask(plugin, taskId, problem);
    if (!def || typeof def !== "object") throw fail("a task definition must be an object");
    if (typeof def.taskId !== "string") throw fail("taskId must be a string");
    const local = def.taskId.startsWith(`${plugin}.`) ? def.taskId.slice(plugin.length + 1) : null;
    if (local === null || !TASK_PART.test(local)) {
      throw fail(`taskId must be namespaced "${plugin}.<task>" (letters, digits, - and _ after the dot)`);
    }
    if (seen.has(def.taskId)) throw fail("taskId is registered twice");
    seen.add(def.taskId);
    if (typeof def.name !== "string" || !def.name.trim()) throw fail("name must be a non-empty string");
    if (def.description !== undefined && typeof def.description !== "string") {
      throw fail("description must be a string");
    }
    const maxRetries = def.maxRetries ?? DEFAULT_MAX_RETRIES;
    if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > MAX_RETRIES_LIMIT) {
      throw fail(`maxRetries must be a whole number from 0 to ${MAX_RETRIES_LIMIT}`);
    }
    const timeoutSeconds = def.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    if (typeof timeoutSeconds !== "number" || !(timeoutSeconds > 0) || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
      throw fail(`timeoutSeconds must be a number above 0 and at most ${MAX_TIMEOUT_SECONDS}`);
    }
    let schedule: NormalizedSchedule;
    try {
      schedule = normalizeSchedule(def.schedule);
    } catch (error) {
      throw fail((error as Error).message);
    }
    return {
      taskId: def.taskId,
      name: def.name,
      description: def.description ?? "",
      schedule,
      maxRetries,
      timeoutSeconds,
    };
  });
}

export function normalizeChecks(plugin: string, checks: unknown): HealthCheckDefinition[] {
  if (!Array.isArray(checks)) {
    throw invalidTask(plugin, "health", "registerHealthChecks must return an array of { checkType, target }");
  }
  const seen = new Set<string>();
  const out: HealthCheckDefinition[] = [];
  for (const check of checks as Partial<HealthCheckDefinition>[]) {
    const { checkType, target } = check ?? {};
    if (typeof checkType !== "string" || !checkType || typeof target !== "string" || !target) {
      throw invalidTask(
        plugin,
        "health",
        `every health check needs a non-empty checkType and target, got ${JSON.stringify(check)}`,
      );
    }
    // Both go into a KV key, URI-encoded (Cloudflare allows 512 bytes per key).
    if (encodeURIComponent(checkType).length + encodeURIComponent(target).length > 320) {
      throw invalidTask(
        plugin,
        "health",
        `checkType and target are too long for a storage key (320 characters URI-encoded): ${target.slice(0, 80)}…`,
      );
    }
    const id = `${checkType}\n${target}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ checkType, target });
  }
  return out;
}
