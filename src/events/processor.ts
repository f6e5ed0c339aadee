/**
 * The event pipeline (DESIGN §6): an accepted webhook is made durable before the 2xx (a queue
 * message, or a KV inbox marker that the tick sweeps), then dispatched to the plugins that were
 * enabled when it arrived. Each (event, plugin) ends in exactly one final history record:
 * succeeded, skipped, or failed after a bounded number of attempts (kept, visible, replayable).
 * A per-(event, plugin) done-key makes redelivery a no-op for the plugins already final; it is
 * written first and carries a copy of the final record (with the record's key), so a record
 * whose write failed is written by the next delivery instead of the plugin running again.
 */
import { KernelError, ValidationError } from "../errors.ts";
import type { ActionHookName } from "../hooks.ts";
import type { Kernel } from "../kernel.ts";
import type { WorkMessage, WorkQueue } from "../queue.ts";
import type { RegisteredPlugin } from "../registry.ts";
import type { ExecutionStatus } from "../store/history.ts";
import { traceOf } from "../context.ts";
import type { TraceSpan } from "../trace/span.ts";
import type { TenantRecord } from "../store/tenants.ts";
import { backoffDelay, type BackoffPolicy } from "../timing/backoff.ts";
import { eventKeys, parseInboxKey } from "./keys.ts";
import type { AcceptResult, ContentEvent, ContentEventType, EventProcessor } from "./types.ts";

export interface EventProcessorOptions {
  /** Deliver through this queue (Cloudflare Queue, Deno KV queue); without one, a KV inbox. */
  queue?: WorkQueue;
  /** Attempts per (event, plugin) before the final "failed" record (default 3). */
  maxAttempts?: number;
  /** How long events and their done-keys are kept: the deduplication window (default 7 days, at least 1). */
  retentionDays?: number;
  /** Seconds after arrival before the sweep may pick an inbox event up (default 60). */
  sweepDelaySeconds?: number;
  /** First retry delay in seconds, doubled per attempt, plus up to 50 % jitter (default 30). */
  retryBaseSeconds?: number;
  /** The jitter's random source, in [0, 1) (default Math.random). */
  random?: () => number;
  /** Inbox events one sweep handles (default 100). */
  sweepLimit?: number;
}

/** The event types of the contract and the action hook each one runs. */
export const EVENT_HOOKS: Readonly<Record<ContentEventType, ActionHookName>> = {
  "content.published": "contentPublished",
  "content.updated": "contentUpdated",
  "content.deleted": "contentDeleted",
};

/** Pages of 1,000 inbox markers one sweep reads at most. */
const SWEEP_MAX_PAGES = 3;

/** Time a dispatch is given to write its records after its slowest plugin's limit, before the sweep may take over. */
const RECORDING_MARGIN_MS = 30_000;

/** How long after acceptance a missing event (or tenant) may still be propagating (Cloudflare KV: ~60 s). */
const VISIBILITY_WINDOW_MS = 120_000;

/** Thrown by `handleMessage` when some plugins will be retried: the consumer retries the message. */
export class RetryLaterError extends Error {
  readonly delaySeconds: number;
  constructor(message: string, delaySeconds: number) {
    super(message);
    this.name = "RetryLaterError";
    this.delaySeconds = delaySeconds;
  }
}

/** Where one run over an event left it; `missing`: its record was not found (gone, or not visible yet). */
interface Processed {
  done: boolean;
  pending: number;
  retryInSeconds: number;
  missing?: boolean;
}

/** What the KV holds for an accepted event. */
interface StoredEvent {
  v: 1;
  event: ContentEvent;
  hook: ActionHookName;
  /** Plugins enabled (and implementing the hook) when the event arrived. */
  plugins: string[];
}

interface PluginProgress {
  final: boolean;
  tries: number;
}

/** What a done-key holds: the final status, and the final record's key and stored text. */
interface DoneMarker {
  status: string;
  history?: string;
  record?: string;
}

/** A done-key's value: the record goes in as JSON, not as a string of JSON (no second escaping). */
function writeDone(status: string, history: string, recordJson: string): string {
  return `{"status":${JSON.stringify(status)},"history":${JSON.stringify(history)},"record":${recordJson}}`;
}

/** A done-key's value, or null when there is none (a bare status string is read as a marker without a copy). */
function readDone(value: string | null | undefined): DoneMarker | null {
  if (value === null || value === undefined) return null;
  try {
    const parsed = JSON.parse(value) as { status?: unknown; history?: unknown; record?: unknown };
    if (parsed && typeof parsed === "object" && typeof parsed.status === "string") {
      return {
        status: parsed.status,
        ...(typeof parsed.history === "string" ? { history: parsed.history } : {}),
        ...(typeof parsed.record === "string"
          ? { record: parsed.record }
          : parsed.record && typeof parsed.record === "object"
          ? { record: JSON.stringify(parsed.record) }
          : {}),
      };
    }
  } catch { /* not JSON: a bare status */ }
  return { status: value };
}

/** Inbox events one sweep processes side by side. */
const SWEEP_CONCURRENCY = 16;

export class KernelEventProcessor implements EventProcessor {
  readonly kernel: Kernel;
  readonly queue: WorkQueue | undefined;
  readonly maxAttempts: number;
  readonly #ttl: number;
  readonly #sweepDelayMs: number;
  readonly #retry: BackoffPolicy;
  readonly #sweepLimit: number;
  /** Event runs in flight in this isolate. */
  readonly #processing = new Map<string, Promise<Processed>>();
  /** Background dispatches started without a waitUntil, so tests and shutdown can wait. */
  readonly #background = new Set<Promise<unknown>>();

  constructor(kernel: Kernel, options: EventProcessorOptions = {}) {
    this.kernel = kernel;
    this.queue = options.queue;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
    this.#ttl = Math.max(1, options.retentionDays ?? 7) * 86_400;
    this.#sweepDelayMs = (options.sweepDelaySeconds ?? 60) * 1000;
    // Jittered, never sooner than the step: tenants that failed in one outage do not retry in one instant.
    const baseDelayMs = (options.retryBaseSeconds ?? 30) * 1000;
    this.#retry = { baseDelayMs, maxDelayMs: 43_200_000, jitter: [1, 1.5], random: options.random };
    this.#sweepLimit = options.sweepLimit ?? 100;
  }

  /**
   * The dedupe is the store's claim alone, with no isolate-local map beside it: every store that
   * holds events is atomic (memory, Deno KV, the tenant's Durable Object), so concurrent
   * duplicates in one isolate or many get one "accepted".
   */
  async accept(event: ContentEvent, waitUntil?: (work: Promise<unknown>) => void): Promise<AcceptResult> {
    const { kernel } = this;
    const driver = kernel.driver;
    const tenant = await kernel.requireTenant(event.tenantId);
    const hook = EVENT_HOOKS[event.type];
    const enabled = kernel.enabledPlugins(tenant, hook);
    const stored: StoredEvent = {
      v: 1,
      event: { ...event, tenantId: tenant.id },
      hook,
      plugins: enabled.map((p) => p.name),
    };
    const eventKey = eventKeys.event(tenant.id, event.id);
    const ttl = { ttlSeconds: this.#ttl };

    if (this.queue?.claimAndSend) {
      // One atomic step: claimed and sent, or neither, so a duplicate needs no second message.
      const message = { kind: "event", tenantId: tenant.id, eventId: event.id, at: kernel.now() } as const;
      const claim = { key: eventKey, value: JSON.stringify(stored), ttlSeconds: this.#ttl };
      return (await this.queue.claimAndSend(claim, message)) ? "accepted" : "duplicate";
    }
    if (this.queue) {
      const claimed = await driver.putIfAbsent(eventKey, JSON.stringify(stored), ttl);
      try {
        // A duplicate is enqueued again as well: the sender retries only when it saw no 2xx, and
        // the first delivery may have claimed the event, then failed (or lost the answer of) the
        // claim or the send. Processing is idempotent per (event, plugin), so the cost is a no-op
        // message; without it such an event was answered "duplicate" and never dispatched.
        await this.queue.send({ kind: "event", tenantId: tenant.id, eventId: event.id, at: kernel.now() });
      } catch (error) {
        // Not durable: release the claim so the sender's retry is accepted, not called a duplicate.
        if (claimed) await driver.delete(eventKey).catch(() => {});
        throw error;
      }
      return claimed ? "accepted" : "duplicate";
    }

    // Inbox marker first: a marker without an event is dropped by the sweep, whereas a claimed
    // event without a marker would be lost if this invocation died before dispatching it. The
    // sweep waits until this dispatch is over (its slowest plugin's time limit, and time to write
    // the records), so that it does not run a plugin that is still running here a second time.
    // Where the store can, the marker and the event are one commit (one round trip to the tenant's
    // Durable Object): a duplicate writes nothing.
    const marker = {
      key: eventKeys.inbox(tenant.id, event.id),
      value: JSON.stringify({ due: this.#inboxDue(enabled) }),
    };
    const claim = { key: eventKey, value: JSON.stringify(stored) };
    if (driver.claimWith) {
      if (!(await driver.claimWith({ ...claim, ...ttl }, [{ ...marker, ...ttl }]))) return "duplicate";
    } else {
      await driver.put(marker.key, marker.value, ttl);
      if (!(await driver.putIfAbsent(claim.key, claim.value, ttl))) return "duplicate";
    }
    const work = this.#dispatch(stored, tenant, true).catch((error) => {
      kernel.logger.error("event dispatch failed; the sweep will retry", {
        tenant_id: tenant.id,
        event_id: event.id,
        error: (error as Error)?.message ?? String(error),
      });
    });
    if (waitUntil) waitUntil(work);
    else this.#track(work);
    return "accepted";
  }

  /** `raw`: the stored event when the caller has read it already (null: not there), else it is read here. */
  async process(tenantId: string, eventId: string, acceptedAt?: number, raw?: string | null): Promise<void> {
    const finished = await this.#shared(tenantId, eventId, raw);
    // On an eventually consistent store (Cloudflare KV) a consumer in another location may not see
    // the event a moment after it was accepted there: retry until it has had time to propagate,
    // rather than acknowledge an accepted event that never ran.
    if (
      finished.missing && !this.kernel.driver.atomic && acceptedAt !== undefined &&
      this.kernel.now() - acceptedAt < VISIBILITY_WINDOW_MS
    ) {
      throw new RetryLaterError(`event ${eventId} is not visible here yet`, 15);
    }
    if (!finished.done) {
      throw new RetryLaterError(
        `event ${eventId}: ${finished.pending} plugin(s) will be retried`,
        finished.retryInSeconds,
      );
    }
  }

  /** Runs of one event that overlap in this isolate (deliveries, a sweep, a replay) share one instead of racing. */
  #shared(tenantId: string, eventId: string, raw?: string | null): Promise<Processed> {
    const key = `${tenantId.toLowerCase()}:${eventId}`;
    let running = this.#processing.get(key);
    if (!running) {
      running = this.#processStored(tenantId, eventId, raw).finally(() => this.#processing.delete(key));
      this.#processing.set(key, running);
    }
    return running;
  }

  async handleMessage(message: WorkMessage): Promise<void> {
    if (message.kind !== "event") throw new TypeError(`event processor cannot handle "${message.kind}" messages`);
    if (message.replay && Array.isArray(message.replay.plugins)) {
      await this.#applyReplay(message.tenantId, message.eventId, message.replay);
    }
    await this.process(message.tenantId, message.eventId, message.at);
  }

  /**
   * The consumer's entry for the event messages of one delivery, one run per message. Their stored
   * events are read together first: a Deno KV group or a Cloudflare Queue batch carries dozens,
   * and one read each was the largest KV cost of the consumer. If that read fails (or answers
   * for fewer keys than asked), each run reads its own event, as handleMessage does: a value the
   * batch did not return is never taken for a missing event, which would be acknowledged unrun.
   */
  handleMessages(messages: readonly WorkMessage[]): Promise<void>[] {
    if (messages.length < 2) return messages.map((message) => this.handleMessage(message));
    const keyOf = (m: WorkMessage) => m.kind === "event" ? eventKeys.event(m.tenantId.toLowerCase(), m.eventId) : "";
    const keys = messages.map(keyOf).filter((k) => k !== "");
    const read = Promise.resolve()
      .then(() => this.kernel.driver.getMany(keys))
      .then((values) => {
        if (values.length !== keys.length) throw new Error(`getMany answered ${values.length} of ${keys.length} keys`);
        // A value the driver left undefined is not an answer: that message reads its own event.
        return new Map(keys.flatMap((k, i) => values[i] === undefined ? [] : [[k, values[i]!] as const]));
      })
      .catch((error) => {
        this.kernel.logger.warn("reading a delivery's events together failed; reading each alone", {
          events: keys.length,
          error: (error as Error)?.message ?? String(error),
        });
        return new Map<string, string | null>();
      });
    return messages.map(async (message) => {
      if (message.kind !== "event" || message.replay) return this.handleMessage(message);
      await this.process(message.tenantId, message.eventId, message.at, (await read).get(keyOf(message)));
    });
  }

  /**
   * Re-dispatch the inbox events whose marker is due: every tenant's (the tick, on a store that
   * can list them all), or one tenant's (its Durable Object's alarm).
   */
  async sweep(
    now: Date = new Date(this.kernel.now()),
    scope: { tenantId?: string } = {},
  ): Promise<{ retried: number }> {
    const driver = this.kernel.driver;
    const prefix = scope.tenantId ? eventKeys.inbox(scope.tenantId.toLowerCase(), "") : eventKeys.inboxPrefix;
    const due: { tenantId: string; eventId: string }[] = [];
    // Markers are in key order, not due order: page on past markers that are not due yet, so a
    // thousand of them cannot hold back the due ones of later tenants (bounded, for KV's limits).
    let cursor: string | null = null;
    for (let pages = 0; pages < SWEEP_MAX_PAGES && due.length < this.#sweepLimit; pages++) {
      const page = await driver.list({ prefix, cursor, limit: 1000 });
      if (page.keys.length === 0) break;
      const markers = await driver.getMany(page.keys);
      for (let i = 0; i < page.keys.length && due.length < this.#sweepLimit; i++) {
        const parsed = parseInboxKey(page.keys[i]!);
        const raw = markers[i];
        if (!parsed || raw === null || raw === undefined) continue;
        let at = 0;
        try {
          at = Number((JSON.parse(raw) as { due?: number }).due ?? 0);
        } catch { /* a garbled marker is due now */ }
        if (at <= now.getTime()) due.push(parsed);
      }
      cursor = page.cursor;
      if (!cursor) break;
    }
    if (due.length === 0) return { retried: 0 };
    // Side by side, a few at a time: one after another, a plugin that hangs until its time limit
    // would make a sweep cost (events × limit) and outlast the scheduled invocation, starving
    // the events listed after it (test/reliability/plugin-faults.test.ts).
    // Each swept event's marker moves past what its dispatch may take as the dispatch starts: a
    // tick that comes meanwhile does not run the same plugins beside it.
    const plugins = this.kernel.registry.list();
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const { tenantId, eventId } = due[next++]!;
        try {
          const lease = JSON.stringify({ due: this.#inboxDue(plugins) });
          await driver.put(eventKeys.inbox(tenantId, eventId), lease, { ttlSeconds: this.#ttl });
          await this.#shared(tenantId, eventId);
        } catch (error) {
          this.kernel.logger.error("inbox sweep could not process an event", {
            tenant_id: tenantId,
            event_id: eventId,
            error: (error as Error)?.message ?? String(error),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, due.length) }, worker));
    return { retried: due.length };
  }

  /**
   * Run again the plugins whose final record for this event is "failed" or "timed_out", or the
   * named ones (which may include plugins enabled since it arrived; with `failedOnly`, only those of
   * them whose final record is failed or timed out); each must be enabled and implement the event's
   * hook. Only plugins with a final record are reset: one without is still on its way (running, or
   * waiting for its retry) and ends on its own. Nothing is cleared before the replay is durable:
   * with a queue, the message carries the reset and its consumer applies it once (per replay id);
   * without one, the event's inbox marker is written first. Each replayed plugin gets its retries
   * and ends in one new final record.
   */
  async replay(
    tenantId: string,
    eventId: string,
    plugins?: readonly string[],
    options: { failedOnly?: boolean } = {},
  ): Promise<{ replayed: string[] }> {
    const id = tenantId.toLowerCase();
    const { kernel } = this;
    const driver = kernel.driver;
    const raw = await driver.get(eventKeys.event(id, eventId));
    if (raw === null) {
      throw new KernelError("ERR_EVENT_NOT_FOUND", `event ${eventId} is not kept any more (or never arrived)`);
    }
    const stored = JSON.parse(raw) as StoredEvent;
    const tenant = await kernel.requireTenant(id);
    const runnable = (name: string) =>
      tenant.plugins[name]?.enabled === true && kernel.registry.get(name)?.hooks.has(stored.hook) === true;
    const named = plugins ? [...new Set(plugins)] : undefined;
    const refused = (named ?? []).filter((name) => !runnable(name));
    if (refused.length) {
      throw new ValidationError(
        `only plugins enabled for this tenant that implement ${stored.hook} can be replayed`,
        refused.map((name) => ({ path: "/plugins", message: `${name} is not enabled, or has no ${stored.hook}` })),
      );
    }
    const names = named ?? stored.plugins.filter(runnable);
    const done = (await driver.getMany(names.map((p) => eventKeys.done(id, eventId, p)))).map(readDone);
    // The done-keys about to be cleared may hold the only copy of a record whose write failed.
    await this.#restoreRecords(done.filter((d): d is DoneMarker => d !== null));
    const failed = (status: string | undefined) => status === "failed" || status === "timed_out";
    const again = names.filter((name, i) => {
      const status = done[i]?.status;
      if (status === undefined) return named !== undefined && !options.failedOnly && !stored.plugins.includes(name);
      return (named !== undefined && !options.failedOnly) || failed(status);
    });
    if (again.length === 0) return { replayed: [] };
    const replay = { id: crypto.randomUUID(), plugins: again };
    if (this.queue) {
      await this.queue.send({ kind: "event", tenantId: id, eventId, at: kernel.now(), replay });
    } else {
      // The marker first (due after the whole event's slowest plugin): should this request die
      // before the reset, the sweep finds the event as it was, with its final records.
      const entries = stored.plugins.concat(again).map((p) => kernel.registry.get(p)).filter((e) => e !== undefined);
      await driver.put(eventKeys.inbox(id, eventId), JSON.stringify({ due: this.#inboxDue(entries) }), {
        ttlSeconds: this.#ttl,
      });
      await this.#applyReplay(id, eventId, replay);
      await this.#shared(id, eventId);
    }
    return { replayed: again };
  }

  /**
   * A replay's reset, applied once per replay id (a redelivered replay message must not clear the
   * records its first delivery wrote): new plugins join the event, and the named plugins' final
   * records and attempt counts are cleared, so the event's next run runs them again. (Two
   * deliveries of one replay message at the same moment may both reset; the done-keys still let
   * one final record per plugin through.)
   */
  async #applyReplay(tenantId: string, eventId: string, replay: { id: string; plugins: string[] }): Promise<void> {
    const id = tenantId.toLowerCase();
    const driver = this.kernel.driver;
    const ttl = { ttlSeconds: this.#ttl };
    const applied = eventKeys.replay(id, eventId, replay.id);
    if ((await driver.get(applied)) !== null) return;
    const eventKey = eventKeys.event(id, eventId);
    const raw = await driver.get(eventKey);
    if (raw === null) return; // past retention: nothing left to run
    const stored = JSON.parse(raw) as StoredEvent;
    const added = replay.plugins.filter((p) => !stored.plugins.includes(p));
    if (added.length) {
      stored.plugins = [...stored.plugins, ...added];
      await driver.put(eventKey, JSON.stringify(stored), ttl);
    }
    for (const plugin of replay.plugins) {
      await driver.delete(eventKeys.done(id, eventId, plugin));
      await driver.delete(eventKeys.tries(id, eventId, plugin));
    }
    // Marked after the reset and before the run: a delivery that died before this point resets again
    // (nothing has run since), and one after it finds the mark and keeps what the run recorded.
    await driver.put(applied, "applied", ttl);
  }

  /**
   * The queue gave up on this event (its dead-letter queue delivered it): every plugin without a
   * final record gets one now, "failed" with `reason`, so the history says what became of it and
   * an operator can replay it. Plugins already final are left as they are.
   */
  async abandon(tenantId: string, eventId: string, reason: string): Promise<{ finalized: string[] }> {
    const id = tenantId.toLowerCase();
    const driver = this.kernel.driver;
    const raw = await driver.get(eventKeys.event(id, eventId));
    if (raw === null) return { finalized: [] }; // past retention, or never claimed: nothing is waiting for it
    const stored = JSON.parse(raw) as StoredEvent;
    const progress = await this.#readProgress(id, eventId, stored.plugins);
    const finalized: string[] = [];
    for (const name of stored.plugins) {
      const { done, tries } = progress.get(name)!;
      if (done !== null) continue;
      await this.#finalize(stored, name, "failed", false, { ...(tries ? { attempt: tries } : {}), reason });
      finalized.push(name);
    }
    if (!this.queue) await driver.delete(eventKeys.inbox(id, eventId));
    return { finalized };
  }

  /** Resolves when the background dispatches started without a waitUntil have settled. */
  async idle(): Promise<void> {
    while (this.#background.size) await Promise.allSettled([...this.#background]);
  }

  async #processStored(tenantId: string, eventId: string, known?: string | null): Promise<Processed> {
    const id = tenantId.toLowerCase();
    const driver = this.kernel.driver;
    const raw = known !== undefined ? known : await driver.get(eventKeys.event(id, eventId));
    if (raw === null) {
      // Expired, never claimed (a marker whose claim failed), or not visible here yet (see process).
      await driver.delete(eventKeys.inbox(id, eventId));
      return { done: true, pending: 0, retryInSeconds: 0, missing: true };
    }
    const stored = JSON.parse(raw) as StoredEvent;
    const tenant = await this.kernel.getTenant(id);
    if (!tenant) {
      // On an eventually consistent store, a tenant created a moment ago in another location may
      // not be visible here yet: keep the event (and its inbox marker) and try again, as for a
      // missing event. Later, the tenant was deleted, with its history: there is nothing to record.
      const age = this.kernel.now() - Date.parse(stored.event.receivedAt);
      if (!driver.atomic && age < VISIBILITY_WINDOW_MS) {
        return { done: true, pending: 0, retryInSeconds: 15, missing: true };
      }
      await driver.delete(eventKeys.inbox(id, eventId));
      return { done: true, pending: 0, retryInSeconds: 0 };
    }
    return this.#dispatch(stored, tenant, false);
  }

  /** One attempt for every plugin of the event that has no final record yet. */
  async #dispatch(
    stored: StoredEvent,
    tenant: Readonly<TenantRecord>,
    fresh: boolean,
  ): Promise<{ done: boolean; pending: number; retryInSeconds: number }> {
    const { kernel } = this;
    const driver = kernel.driver;
    const { event, hook } = stored;
    const names = stored.plugins;
    const progress = new Map<string, PluginProgress>();
    if (fresh) {
      // Just claimed: no plugin has a record yet, so no reads are needed.
      for (const name of names) progress.set(name, { final: false, tries: 0 });
    } else if (names.length) {
      const read = await this.#readProgress(tenant.id, event.id, names);
      const finals: DoneMarker[] = [];
      for (const [name, { done, tries }] of read) {
        if (done) finals.push(done);
        progress.set(name, { final: done !== null, tries });
      }
      await this.#restoreRecords(finals);
    }

    const run: RegisteredPlugin[] = [];
    for (const name of names) {
      if (progress.get(name)!.final) continue;
      const entry = kernel.registry.get(name);
      if (!entry || !entry.hooks.has(hook)) {
        await this.#finalize(stored, name, "skipped", fresh, { reason: "plugin is no longer registered" });
      } else if (tenant.plugins[name]?.enabled !== true) {
        await this.#finalize(stored, name, "skipped", fresh, { reason: "plugin was disabled before it ran" });
      } else run.push(entry);
    }

    let pending = 0;
    let nextAttempt = 0;
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
        if (outcome.status === "ok") {
          await this.#finalize(stored, outcome.plugin, "succeeded", fresh, details);
        } else if (attempt >= this.maxAttempts || outcome.permanent) { // a PluginError is not retried
          await this.#finalize(stored, outcome.plugin, outcome.status, fresh, details);
        } else {
          pending++;
          nextAttempt = Math.max(nextAttempt, attempt);
          await driver.put(eventKeys.tries(tenant.id, event.id, outcome.plugin), String(attempt), {
            ttlSeconds: this.#ttl,
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

    const retryInSeconds = Math.round(backoffDelay(nextAttempt, this.#retry) / 1000);
    // Queue mode writes no inbox marker (the queue redelivers), so there is none to update.
    if (!this.queue) {
      const inbox = eventKeys.inbox(tenant.id, event.id);
      if (pending === 0) await driver.delete(inbox);
      else {
        await driver.put(inbox, JSON.stringify({ due: kernel.now() + retryInSeconds * 1000 }), {
          ttlSeconds: this.#ttl,
        });
      }
    }
    return { done: pending === 0, pending, retryInSeconds };
  }

  /**
   * The one final record of (event, plugin). The done-key is claimed first, with a copy of the
   * record and its key: from then on the plugin does not run again for this event, whatever
   * happens to the record's own write. If that write fails (or commits but reports a failure),
   * this throws, the delivery is retried, and the retry writes the same record under the same
   * key (#restoreRecords): never none, never two.
   */
  async #finalize(
    stored: StoredEvent,
    plugin: string,
    status: ExecutionStatus,
    fresh: boolean,
    details: { attempt?: number; durationMs?: number; error?: string; reason?: string; spans?: TraceSpan[] },
  ): Promise<void> {
    const { kernel } = this;
    const driver = kernel.driver;
    const { event, hook } = stored;
    const prepared = kernel.history.prepare({
      tenantId: event.tenantId,
      kind: "hook",
      plugin,
      name: hook,
      status,
      final: true,
      eventId: event.id,
      correlationId: event.correlationId ?? null,
      ...details,
    });
    const marker = writeDone(status, prepared.key, prepared.json);
    const doneKey = eventKeys.done(event.tenantId, event.id, plugin);
    const ttl = { ttlSeconds: this.#ttl };
    if (fresh) await driver.put(doneKey, marker, ttl);
    else if (!(await driver.putIfAbsent(doneKey, marker, ttl))) return;
    await kernel.history.write(prepared);
  }

  /** Writes the final records that done-keys promise but the history lacks (their first write failed). */
  async #restoreRecords(finals: DoneMarker[]): Promise<void> {
    const copies = finals.filter((d): d is Required<DoneMarker> => !!d.history && !!d.record);
    if (copies.length === 0) return;
    const present = await this.kernel.driver.getMany(copies.map((d) => d.history));
    await Promise.all(copies.map(async (done, i) => {
      if (present[i] !== null && present[i] !== undefined) return;
      await this.kernel.history.write({ key: done.history, json: done.record });
      this.kernel.logger.warn("wrote a final record whose first write had failed", { history_key: done.history });
    }));
  }

  /** Each plugin's done-key (its final record, if any) and attempts so far for one event, in one read. */
  async #readProgress(
    tenantId: string,
    eventId: string,
    names: readonly string[],
  ): Promise<Map<string, { done: DoneMarker | null; tries: number }>> {
    const values = await this.kernel.driver.getMany([
      ...names.map((p) => eventKeys.done(tenantId, eventId, p)),
      ...names.map((p) => eventKeys.tries(tenantId, eventId, p)),
    ]);
    return new Map(names.map((name, i) => [name, {
      done: readDone(values[i]),
      tries: Number(values[names.length + i] ?? 0) || 0,
    }]));
  }

  /** When the sweep may take over an inbox event whose dispatch to these plugins starts now. */
  #inboxDue(plugins: readonly RegisteredPlugin[]): number {
    let longest = 0;
    for (const p of plugins) longest = Math.max(longest, p.plugin.hookTimeoutMs ?? this.kernel.hookTimeoutMs);
    return this.kernel.now() + Math.max(this.#sweepDelayMs, longest + RECORDING_MARGIN_MS);
  }

  #track(work: Promise<unknown>): void {
    this.#background.add(work);
    work.finally(() => this.#background.delete(work));
  }
}

export function createEventProcessor(kernel: Kernel, options: EventProcessorOptions = {}): KernelEventProcessor {
  return new KernelEventProcessor(kernel, options);
}
