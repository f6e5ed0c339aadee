/**
 * The event pipeline (DESIGN §6), the orchestration of its steps, each in its own file:
 *
 * - `accept.ts`: durable before the 2xx (the dedupe claim and the event, with a queue message or
 *   an inbox marker; one commit where the store allows);
 * - `ledger.ts`: exactly one final record per (event, plugin): the done-key claimed before the
 *   record, carrying a copy of it, so a second report changes nothing and a lost record is
 *   written again from the copy;
 * - `dispatch-event.ts`: one run over an event (or one pair): an attempt per unfinished plugin,
 *   each outcome final or retried with jittered backoff;
 * - `sweep.ts`: which unfinished events are due to be re-driven (the tenant object's alarm, or
 *   the tick);
 * - `redrive.ts`: with a queue beside the store, the unfinished pairs sent again, then failed;
 * - `messages.ts`: the queue messages, one per (event, plugin);
 * - `replay.ts`: a replay's reset, applied once per replay id;
 * - `stored-event.ts`: what an accepted event is in storage;
 * - `context.ts`: what these share, and when an unfinished event's marker comes due.
 *
 * Here, the entries: accept, a delivery's messages (read together), the sweep, replay and the
 * dead letters. With a queue, each (event, plugin) pair is a message of its own, run, retried and
 * finalized on its own; the re-drive sends the unfinished pairs to the queue again instead of
 * running them.
 */
import { KernelError, ValidationError } from "../errors.ts";
import type { Kernel } from "../kernel.ts";
import { sendAll, type WorkMessage, type WorkQueue } from "../queue.ts";
import { commitAccept } from "./accept.ts";
import { type EventDeps, inboxDue, markerDue } from "./context.ts";
import { type Dispatched, dispatchEvent } from "./dispatch-event.ts";
import { eventKeys } from "./keys.ts";
import { type DoneMarker, EventLedger, type PairProgress, pairProgress, progressKeys, readDone } from "./ledger.ts";
import { type EventMessage, pairMessages } from "./messages.ts";
import { finalizeOpen, redriveEvent } from "./redrive.ts";
import { applyReplay } from "./replay.ts";
import { decodeStoredEvent, EVENT_HOOKS, RetryLaterError, type StoredEvent } from "./stored-event.ts";
import { type DueEvent, listDueInbox } from "./sweep.ts";
import type { AcceptResult, ContentEvent, EventProcessor } from "./types.ts";

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
  /**
   * With a queue beside the store: seconds after acceptance before the re-drive sends an
   * unfinished pair's message again, doubled per re-drive (default 900: the queue's own retries
   * are over by then). After MAX_REDRIVES the pair is recorded as failed.
   */
  queueRedriveSeconds?: number;
}

/** How long after acceptance a missing event (or tenant) may still be propagating (Cloudflare KV: ~60 s). */
const VISIBILITY_WINDOW_MS = 120_000;

/** Where one run over an event left it; `missing`: its record was not found (gone, or not visible yet). */
interface Processed extends Dispatched {
  missing?: boolean;
}

/** Inbox events one sweep processes side by side. */
const SWEEP_CONCURRENCY = 16;

export class KernelEventProcessor implements EventProcessor {
  readonly kernel: Kernel;
  readonly queue: WorkQueue | undefined;
  readonly maxAttempts: number;
  readonly #deps: EventDeps;
  readonly #sweepLimit: number;
  /** Event runs in flight in this isolate. */
  readonly #processing = new Map<string, Promise<Processed>>();
  /** Background dispatches started without a waitUntil, so tests and shutdown can wait. */
  readonly #background = new Set<Promise<unknown>>();

  constructor(kernel: Kernel, options: EventProcessorOptions = {}) {
    this.kernel = kernel;
    this.queue = options.queue;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
    const ttlSeconds = Math.max(1, options.retentionDays ?? 7) * 86_400;
    // Jittered, never sooner than the step: tenants that failed in one outage do not retry in one instant.
    const baseDelayMs = (options.retryBaseSeconds ?? 30) * 1000;
    this.#deps = {
      kernel,
      queue: this.queue,
      ledger: new EventLedger(kernel, ttlSeconds),
      ttlSeconds,
      maxAttempts: this.maxAttempts,
      retry: { baseDelayMs, maxDelayMs: 43_200_000, jitter: [1, 1.5], random: options.random },
      markers: !this.queue?.claimAndSend,
      sweepDelayMs: (options.sweepDelaySeconds ?? 60) * 1000,
      redriveMs: (options.queueRedriveSeconds ?? 900) * 1000,
    };
    this.#sweepLimit = options.sweepLimit ?? 100;
  }

  /**
   * The dedupe is the store's claim alone, with no isolate-local map beside it: every store that
   * holds events is atomic (memory, Deno KV, the tenant's Durable Object), so concurrent
   * duplicates in one isolate or many get one "accepted".
   */
  async accept(event: ContentEvent, waitUntil?: (work: Promise<unknown>) => void): Promise<AcceptResult> {
    const { kernel } = this;
    const tenant = await kernel.requireTenant(event.tenantId);
    const hook = EVENT_HOOKS[event.type];
    const enabled = kernel.enabledPlugins(tenant, hook);
    const stored: StoredEvent = {
      v: 1,
      event: { ...event, tenantId: tenant.id },
      hook,
      plugins: enabled.map((p) => p.name),
    };
    if (!(await commitAccept(this.#deps, stored, () => markerDue(this.#deps, enabled)))) return "duplicate";
    if (this.queue) return "accepted"; // the consumer dispatches it
    if (stored.plugins.length === 0) return "accepted"; // no plugin enabled for this hook: nothing to run
    const work = dispatchEvent(this.#deps, stored, tenant, true).catch((error) => {
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

  /**
   * `raw`: the stored event when the caller has read it already (null: not there), else it is read
   * here. `plugin`: that plugin alone (a pair's message), else every plugin without a final record.
   */
  async process(
    tenantId: string,
    eventId: string,
    acceptedAt?: number,
    raw?: string | null,
    plugin?: string,
    known?: PairProgress,
  ): Promise<void> {
    const finished = await this.#shared(tenantId, eventId, raw, plugin, known);
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

  /** Runs of one event (or pair) that overlap in this isolate (deliveries, a sweep, a replay) share one instead of racing. */
  #shared(
    tenantId: string,
    eventId: string,
    raw?: string | null,
    plugin?: string,
    known?: PairProgress,
  ): Promise<Processed> {
    const key = `${tenantId.toLowerCase()}:${eventId}:${plugin ?? "*"}`;
    let running = this.#processing.get(key);
    if (!running) {
      running = this.#processStored(tenantId, eventId, raw, plugin, known).finally(() => this.#processing.delete(key));
      this.#processing.set(key, running);
    }
    return running;
  }

  async handleMessage(message: WorkMessage): Promise<void> {
    if (message.kind !== "event") throw new TypeError(`event processor cannot handle "${message.kind}" messages`);
    if (message.replay && Array.isArray(message.replay.plugins)) {
      await applyReplay(this.kernel.driver, this.#deps.ttlSeconds, message.tenantId, message.eventId, message.replay);
    }
    await this.process(message.tenantId, message.eventId, message.at, undefined, pluginOf(message));
  }

  /**
   * The consumer's entry for the event messages of one delivery, one run per message. Their stored
   * events, and each pair's done-key and attempts, are read together first (one read for the
   * delivery; on Cloudflare one request per tenant object): a Deno KV group or a Cloudflare Queue
   * batch carries dozens, and reads per message would be the consumer's largest cost. If that read
   * fails (or answers for fewer keys than asked), each run reads its own, as handleMessage does: a
   * value the batch did not return is never taken for a missing event, which would be acknowledged
   * unrun.
   */
  handleMessages(messages: readonly WorkMessage[]): Promise<void>[] {
    const batched = (m: WorkMessage): m is EventMessage => m.kind === "event" && !m.replay;
    if (!messages.some(batched)) return messages.map((message) => this.handleMessage(message));
    const keyOf = (m: EventMessage) => eventKeys.event(m.tenantId.toLowerCase(), m.eventId);
    const pairKeys = (m: EventMessage) => {
      const plugin = pluginOf(m);
      return plugin === undefined ? [] : progressKeys(m.tenantId.toLowerCase(), m.eventId, plugin);
    };
    // The pairs of one event share its read.
    const keys = [...new Set(messages.filter(batched).flatMap((m) => [keyOf(m), ...pairKeys(m)]))];
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
      if (!batched(message)) return this.handleMessage(message);
      const values = await read;
      const raw = values.get(keyOf(message));
      const [done, tries] = pairKeys(message).map((k) => values.get(k));
      const known = raw !== undefined && done !== undefined && tries !== undefined
        ? pairProgress(done, tries)
        : undefined;
      await this.process(message.tenantId, message.eventId, message.at, raw, pluginOf(message), known);
    });
  }

  /**
   * Re-drive the inbox events whose marker is due: every tenant's (the tick, on a store that can
   * list them all), or one tenant's (its Durable Object's alarm). Without a queue they run here;
   * with one, their unfinished pairs are sent to it again and the marker moves on, so the next
   * alarm checks again later (nothing runs inside the alarm).
   */
  async sweep(
    now: Date = new Date(this.kernel.now()),
    scope: { tenantId?: string } = {},
  ): Promise<{ retried: number }> {
    const driver = this.kernel.driver;
    const prefix = scope.tenantId ? eventKeys.inbox(scope.tenantId.toLowerCase(), "") : eventKeys.inboxPrefix;
    const due = await listDueInbox(
      driver,
      prefix,
      now.getTime(),
      this.#sweepLimit,
      scope.tenantId ? Infinity : undefined,
    );
    if (due.length === 0) return { retried: 0 };
    if (this.queue) {
      await this.#eachDue(
        due,
        (event) => redriveEvent(this.#deps, event, now.getTime()),
        "inbox re-drive could not send an event",
      );
      return { retried: due.length };
    }
    // Side by side, a few at a time: one after another, a plugin that hangs until its time limit
    // would make a sweep cost (events × limit) and outlast the scheduled invocation, starving
    // the events listed after it (test/reliability/plugin-faults.test.ts).
    // Each swept event's marker moves past what its dispatch may take as the dispatch starts: a
    // tick that comes meanwhile does not run the same plugins beside it.
    const plugins = this.kernel.registry.list();
    await this.#eachDue(due, async ({ tenantId, eventId }) => {
      const lease = JSON.stringify({ due: inboxDue(this.#deps, plugins) });
      await driver.put(eventKeys.inbox(tenantId, eventId), lease, { ttlSeconds: this.#deps.ttlSeconds });
      await this.#shared(tenantId, eventId);
    }, "inbox sweep could not process an event");
    return { retried: due.length };
  }

  /** `work` for each due event, a few side by side; a failure is logged and left to the next sweep. */
  async #eachDue(due: DueEvent[], work: (event: DueEvent) => Promise<void>, failure: string): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const event = due[next++]!;
        try {
          await work(event);
        } catch (error) {
          this.kernel.logger.error(failure, {
            tenant_id: event.tenantId,
            event_id: event.eventId,
            error: (error as Error)?.message ?? String(error),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, due.length) }, worker));
  }

  /**
   * Run again the plugins whose final record for this event is "failed" or "timed_out", or the
   * named ones (which may include plugins enabled since it arrived; with `failedOnly`, only those of
   * them whose final record is failed or timed out); each must be enabled and implement the event's
   * hook. Only plugins with a final record are reset: one without is still on its way (running, or
   * waiting for its retry) and ends on its own. Nothing is cleared before the replay is durable:
   * with a queue, each replayed pair's message carries the reset and the first consumer applies it
   * once (per replay id); the event's inbox marker is written first (but with a queue that keeps
   * what it cannot deliver), so that the re-drive finishes a pair whose message was lost. Each
   * replayed plugin gets its retries and ends in one new final record.
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
    const stored = decodeStoredEvent(raw, id, eventId);
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
    await this.#deps.ledger.restoreRecords(done.filter((d): d is DoneMarker => d !== null));
    const failed = (status: string | undefined) => status === "failed" || status === "timed_out";
    const again = names.filter((name, i) => {
      const status = done[i]?.status;
      if (status === undefined) return named !== undefined && !options.failedOnly && !stored.plugins.includes(name);
      return (named !== undefined && !options.failedOnly) || failed(status);
    });
    if (again.length === 0) return { replayed: [] };
    const replay = { id: crypto.randomUUID(), plugins: again };
    // The marker first (due after the whole event's slowest plugin, or the queue's re-drive): should
    // this request die before the reset, the re-drive finds the event as it was, with its final
    // records; should a replayed pair's message be lost after the reset, the re-drive sends it again.
    const entries = stored.plugins.concat(again).map((p) => kernel.registry.get(p)).filter((e) => e !== undefined);
    const due = markerDue(this.#deps, entries);
    if (this.#deps.markers) {
      await driver.put(eventKeys.inbox(id, eventId), JSON.stringify({ due }), { ttlSeconds: this.#deps.ttlSeconds });
    }
    if (this.queue) {
      // One message per replayed plugin; each carries the whole reset, which the first delivered applies.
      await sendAll(this.queue, pairMessages(id, eventId, again, kernel.now(), replay));
    } else {
      await applyReplay(this.kernel.driver, this.#deps.ttlSeconds, id, eventId, replay);
      await this.#shared(id, eventId);
    }
    return { replayed: again };
  }

  /**
   * The queue gave up on this event (its dead-letter queue delivered it): every plugin without a
   * final record (or `plugin` alone, a pair's message) gets one now, "failed" with `reason`, so
   * the history says what became of it and an operator can replay it. Plugins already final are
   * left as they are: a second report changes nothing.
   */
  async abandon(tenantId: string, eventId: string, reason: string, plugin?: string): Promise<{ finalized: string[] }> {
    const id = tenantId.toLowerCase();
    const raw = await this.kernel.driver.get(eventKeys.event(id, eventId));
    if (raw === null) return { finalized: [] }; // past retention, or never claimed: nothing is waiting for it
    const stored = decodeStoredEvent(raw, id, eventId);
    const progress = await this.#deps.ledger.readProgress(id, eventId, stored.plugins);
    const names = plugin === undefined ? stored.plugins : stored.plugins.filter((p) => p === plugin);
    return { finalized: await finalizeOpen(this.#deps, stored, names, progress, reason) };
  }

  /** Resolves when the background dispatches started without a waitUntil have settled. */
  async idle(): Promise<void> {
    while (this.#background.size) await Promise.allSettled([...this.#background]);
  }

  async #processStored(
    tenantId: string,
    eventId: string,
    read?: string | null,
    plugin?: string,
    known?: PairProgress,
  ): Promise<Processed> {
    const id = tenantId.toLowerCase();
    const driver = this.kernel.driver;
    const raw = read !== undefined ? read : await driver.get(eventKeys.event(id, eventId));
    if (raw === null) {
      // Expired, never claimed (a marker whose claim failed), or not visible here yet (see process).
      // With a queue the marker is the re-drive's to release (only the one it wrote): a message
      // may be late, and the event accepted again under its id meanwhile, with a marker of its own.
      if (!this.queue) await driver.delete(eventKeys.inbox(id, eventId));
      return { done: true, pending: 0, retryInSeconds: 0, missing: true };
    }
    const stored = decodeStoredEvent(raw, id, eventId);
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
    return dispatchEvent(this.#deps, stored, tenant, false, plugin, known);
  }

  #track(work: Promise<unknown>): void {
    this.#background.add(work);
    work.finally(() => this.#background.delete(work));
  }
}

/** The plugin a pair's message names; undefined for a message of the earlier one-per-event shape. */
function pluginOf(message: WorkMessage): string | undefined {
  return message.kind === "event" && typeof message.plugin === "string" ? message.plugin : undefined;
}

export function createEventProcessor(kernel: Kernel, options: EventProcessorOptions = {}): KernelEventProcessor {
  return new KernelEventProcessor(kernel, options);
}
