/**
 * One run over an accepted event: an attempt for each of its plugins without a final record (or
 * for one pair's plugin), through the kernel's isolated, timed dispatch; each outcome reported
 * to the ledger (final) or as an attempt to retry with jittered backoff. The event's marker goes
 * with its last final record, in the same commit where the store allows.
 */
import { traceOf } from "../context.ts";
import type { RegisteredPlugin } from "../registry.ts";
import type { TenantRecord } from "../store/tenants.ts";
import { backoffDelay } from "../timing/backoff.ts";
import type { EventDeps } from "./context.ts";
import { eventKeys } from "./keys.ts";
import type { PairProgress } from "./ledger.ts";
import type { StoredEvent } from "./stored-event.ts";

/** Where one run over an event left it. */
export interface Dispatched {
  done: boolean;
  pending: number;
  retryInSeconds: number;
}

/**
 * One attempt for every plugin of the event that has no final record yet, or for `only` (a
 * pair's message; `known`: its progress, read with the delivery's events). The other plugins of
 * a pair's event are read, not run, and only where a marker waits for the event's last pair.
 */
export async function dispatchEvent(
  deps: EventDeps,
  stored: StoredEvent,
  tenant: Readonly<TenantRecord>,
  fresh: boolean,
  only?: string,
  known?: PairProgress,
): Promise<Dispatched> {
  const { kernel } = deps;
  const driver = kernel.driver;
  const { event, hook } = stored;
  const names = only === undefined ? stored.plugins : stored.plugins.filter((p) => p === only);
  let progress: Map<string, PairProgress>;
  if (fresh) {
    // Just claimed: no plugin has a record yet, so no reads are needed.
    progress = new Map(names.map((name) => [name, { done: null, tries: 0 }]));
  } else {
    progress = only !== undefined && known
      ? new Map([[only, known]])
      : await deps.ledger.readProgress(tenant.id, event.id, names);
    await deps.ledger.restoreRecords([...progress.values()].flatMap((p) => p.done ? [p.done] : []));
  }
  // Whether this run ends the event (every other plugin has its final record), read when a marker needs to know.
  const others = stored.plugins.filter((p) => !names.includes(p));
  let othersFinal: Promise<boolean> | undefined;
  const isLast = () =>
    othersFinal ??= others.length === 0 ? Promise.resolve(true) : driver
      .getMany(others.map((p) => eventKeys.done(tenant.id, event.id, p)))
      .then((values) => values.every((v) => v !== null && v !== undefined));

  const run: RegisteredPlugin[] = [];
  for (const name of names) {
    if (progress.get(name)!.done !== null) continue;
    const entry = kernel.registry.get(name);
    if (!entry || !entry.hooks.has(hook)) {
      await deps.ledger.finalize(stored, name, "skipped", fresh, { reason: "plugin is no longer registered" });
    } else if (tenant.plugins[name]?.enabled !== true) {
      await deps.ledger.finalize(stored, name, "skipped", fresh, { reason: "plugin was disabled before it ran" });
    } else run.push(entry);
  }

  let pending = 0;
  let nextAttempt = 0;
  // The event's last plugin to run: its final record, its ledger entry and the marker's removal
  // can be one commit (one request to the tenant's Durable Object).
  const inbox = eventKeys.inbox(tenant.id, event.id);
  const lastWrites = async () => deps.markers && run.length === 1 && await isLast() ? [inbox] : [];
  let inboxCleared = false;
  if (run.length) {
    const ctx = kernel.context(tenant, {
      correlationId: event.correlationId ?? null,
      causationId: event.id,
      metadata: { event_type: event.type, webhook_id: event.id, received_at: event.receivedAt },
      ...(event.trace ? { trace: event.trace } : {}),
    });
    const args = [event.contentId, event.content, event.metadata] as never;
    const trace = traceOf(ctx)!;
    if (run.length === 1) trace.soleHook(run[0]!.name);
    const startMs = Date.now();
    const outcomes = await kernel.runAction(run, hook, ctx, args);
    await Promise.all(outcomes.map(async (outcome) => {
      const attempt = progress.get(outcome.plugin)!.tries + 1;
      const spans = trace.spansFor(outcome.plugin, {
        name: hook,
        startMs,
        durationMs: outcome.durationMs,
        error: outcome.error,
      });
      const details = { attempt, durationMs: Math.round(outcome.durationMs), error: outcome.error, spans };
      // A success, the last attempt, or a PluginError (never retried) is final.
      if (outcome.status === "ok" || attempt >= deps.maxAttempts || outcome.permanent) {
        const status = outcome.status === "ok" ? "succeeded" : outcome.status;
        inboxCleared = await deps.ledger.finalize(stored, outcome.plugin, status, fresh, details, await lastWrites());
      } else {
        pending++;
        nextAttempt = Math.max(nextAttempt, attempt);
        await driver.put(eventKeys.tries(tenant.id, event.id, outcome.plugin), String(attempt), {
          ttlSeconds: deps.ttlSeconds,
        });
        await kernel.history.record({
          tenantId: tenant.id,
          kind: "hook",
          plugin: outcome.plugin,
          name: hook,
          status: "retrying",
          final: false,
          eventId: event.id,
          correlationId: event.correlationId ?? null,
          ...details,
        });
      }
    }));
  }

  const retryInSeconds = Math.round(backoffDelay(nextAttempt, deps.retry) / 1000);
  // With a queue the marker stays put while a pair is retried (the queue redelivers it), and goes
  // once every pair is final; without one, it comes due for the retry.
  if (deps.markers) {
    if (pending === 0) {
      if (!inboxCleared && await isLast()) await driver.delete(inbox);
    } else if (!deps.queue) {
      await driver.put(inbox, JSON.stringify({ due: kernel.now() + retryInSeconds * 1000 }), {
        ttlSeconds: deps.ttlSeconds,
      });
    }
  }
  return { done: pending === 0, pending, retryInSeconds };
}
