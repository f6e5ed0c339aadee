/**
 * Health cycles: every check a monitor plugin registered for the tenant, run side by side under
 * a time limit, each result appended to that check's bounded history (one KV key per check). A
 * status change is written to the execution history and dispatched as `healthStatusChanged` to
 * the tenant's enabled plugins. The first result of a check counts as a change only when it is
 * not healthy, so enabling a monitor does not announce that everything is fine.
 */
import { abortHookContext, contextForCall, type HookContext } from "../context.ts";
import { errorMessage } from "../errors.ts";
import type { HealthCheckDefinition, HealthCheckResult, HealthMonitorHooks, HealthStatus } from "../hooks.ts";
import type { TenantRecord } from "../store/tenants.ts";
import type { SchedulerDeps } from "./context.ts";
import { withDeadline } from "./execute.ts";
import { schedKeys } from "./keys.ts";
import type { JobState } from "./state.ts";
import type { HealthCheckRecord, HealthCheckView } from "./types.ts";

const STATUSES: readonly HealthStatus[] = ["healthy", "degraded", "unhealthy"];

/** The stored document of one check. */
interface CheckDoc {
  plugin: string;
  checkType: string;
  target: string;
  /** Newest first. */
  history: HealthCheckRecord[];
}

export async function runHealthChecks(
  deps: SchedulerDeps,
  state: JobState,
  tenant: Readonly<TenantRecord>,
  ctx: HookContext,
  now: number,
): Promise<HealthCheckRecord[]> {
  const { kernel, store, options } = deps;
  const entry = kernel.registry.require(state.plugin);
  const monitor = entry.plugin as unknown as HealthMonitorHooks;
  const checks: HealthCheckDefinition[] = state.checks ?? [];
  if (!checks.length) return [];
  const keys = checks.map((c) => schedKeys.healthCheck(tenant.id, state.plugin, c.checkType, c.target));
  // A context per check: a check that times out has its ctx.signal aborted, and no other's.
  const calls = checks.map(() => contextForCall(ctx));
  const [stored, outcomes] = await Promise.all([
    store.driver.getMany(keys),
    Promise.all(
      checks.map((c, i) =>
        withDeadline(
          options.healthTimeoutSeconds * 1000,
          (signal) => monitor.executeHealthCheck(calls[i]!, c.checkType, c.target, signal),
        )
      ),
    ),
  ]);
  outcomes.forEach((o, i) => o.timedOut && abortHookContext(calls[i]!, new Error(o.error ?? "timed out")));
  const checkedAtDefault = new Date(now).toISOString();
  const records: HealthCheckRecord[] = [];
  for (let i = 0; i < checks.length; i++) {
    const { checkType, target } = checks[i]!;
    const outcome = outcomes[i]!;
    const result = toResult(outcome.value, outcome.error, outcome.durationMs);
    const record: HealthCheckRecord = {
      ...result,
      plugin: state.plugin,
      checkType,
      target,
      checkedAt: result.checkedAt ?? checkedAtDefault,
    };
    records.push(record);
    const doc: CheckDoc = stored[i] ? JSON.parse(stored[i]!) : { plugin: state.plugin, checkType, target, history: [] };
    const previous = doc.history[0]?.status ?? null;
    doc.history = [record, ...doc.history].slice(0, options.healthHistoryLimit);
    await store.driver.put(keys[i]!, JSON.stringify(doc));
    if (previous === record.status || (previous === null && record.status === "healthy")) continue;
    await kernel.history.record({
      tenantId: tenant.id,
      kind: "health",
      plugin: state.plugin,
      name: `${checkType}:${target}`,
      status: record.status === "healthy" ? "succeeded" : "failed",
      final: true,
      durationMs: record.latencyMs,
      reason: `status changed from ${previous ?? "unknown"} to ${record.status}`,
      ...(record.message ? { error: record.message } : {}),
      data: { previous, current: record.status },
      correlationId: ctx.correlationId,
    });
    const change = { plugin: state.plugin, checkType, target, previous, current: record.status, result: record };
    await kernel.runAction(kernel.enabledPlugins(tenant, "healthStatusChanged"), "healthStatusChanged", ctx, [change]);
  }
  return records;
}

/**
 * A plugin's answer as a HealthCheckResult; a throw, a timeout or a malformed answer is
 * unhealthy. Never throws: `details` is copied through JSON, and a value that cannot be (a
 * BigInt, a cycle, a proxy that throws) is itself the unhealthy answer.
 */
function toResult(value: unknown, error: string | undefined, durationMs: number): HealthCheckResult {
  if (error !== undefined) return { status: "unhealthy", latencyMs: durationMs, message: error };
  try {
    return readResult(value, durationMs);
  } catch (problem) {
    return {
      status: "unhealthy",
      latencyMs: durationMs,
      message: `executeHealthCheck returned a value that cannot be read as JSON: ${errorMessage(problem)}`,
    };
  }
}

function readResult(value: unknown, durationMs: number): HealthCheckResult {
  const v = value as HealthCheckResult | undefined;
  if (!v || typeof v !== "object" || !STATUSES.includes(v.status)) {
    return {
      status: "unhealthy",
      latencyMs: durationMs,
      message: `executeHealthCheck returned ${
        JSON.stringify(v)?.slice(0, 200) ?? "nothing"
      }; status must be healthy, degraded or unhealthy`,
    };
  }
  return {
    status: v.status,
    latencyMs: typeof v.latencyMs === "number" ? v.latencyMs : durationMs,
    ...(typeof v.message === "string" ? { message: v.message } : {}),
    ...(v.details && typeof v.details === "object" ? { details: JSON.parse(JSON.stringify(v.details)) } : {}),
    ...(typeof v.checkedAt === "string" ? { checkedAt: v.checkedAt } : {}),
  };
}

/** Every registered or recorded check of the tenant: latest result, history newest first, uptime. */
export async function healthViews(
  deps: SchedulerDeps,
  tenantId: string,
  states: JobState[],
  historyLimit: number,
): Promise<HealthCheckView[]> {
  const { store } = deps;
  const prefix = schedKeys.healthPrefix(tenantId);
  const keys: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.driver.list({ prefix, cursor });
    keys.push(...page.keys);
    cursor = page.cursor;
  } while (cursor);
  const docs = new Map<string, CheckDoc>();
  const active = new Set(states.filter((s) => s.kind === "health").map((s) => s.plugin));
  const values = keys.length ? await store.driver.getMany(keys) : [];
  for (const raw of values) {
    if (!raw) continue;
    const doc = JSON.parse(raw) as CheckDoc;
    if (active.has(doc.plugin)) docs.set(`${doc.plugin}\n${doc.checkType}\n${doc.target}`, doc);
  }
  for (const state of states) {
    if (state.kind !== "health") continue;
    for (const c of state.checks ?? []) {
      const id = `${state.plugin}\n${c.checkType}\n${c.target}`;
      if (!docs.has(id)) docs.set(id, { plugin: state.plugin, checkType: c.checkType, target: c.target, history: [] });
    }
  }
  return [...docs.values()]
    .sort((a, b) =>
      a.plugin.localeCompare(b.plugin) || a.checkType.localeCompare(b.checkType) || a.target.localeCompare(b.target)
    )
    .map((doc) => {
      const history = doc.history.slice(0, historyLimit);
      const healthy = history.filter((r) => r.status === "healthy").length;
      return {
        plugin: doc.plugin,
        checkType: doc.checkType,
        target: doc.target,
        latest: history[0] ?? null,
        history,
        uptime: history.length ? healthy / history.length : null,
        status: history[0]?.status ?? null,
      };
    });
}

/** Remove stored results of checks the plugin no longer registers. */
export async function pruneChecks(
  deps: SchedulerDeps,
  tenantId: string,
  plugin: string,
  keep: HealthCheckDefinition[],
): Promise<void> {
  const wanted = new Set(keep.map((c) => schedKeys.healthCheck(tenantId, plugin, c.checkType, c.target)));
  const prefix = schedKeys.healthPrefix(tenantId, plugin);
  let cursor: string | null = null;
  do {
    const page = await deps.store.driver.list({ prefix, cursor });
    for (const key of page.keys) if (!wanted.has(key)) await deps.store.driver.delete(key);
    cursor = page.cursor;
  } while (cursor);
}
