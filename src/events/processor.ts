/**
 * The event pipeline (DESIGN §6), the orchestration of its steps, each in its own file:
 *
 * - `accept.ts`: durable before the 2xx (the dedupe claim and the event, with a queue message or
 *   an inbox marker; one commit where the store allows);
 * - `ledger.ts`: exactly one final record per (event, plugin): the done-key claimed before the
 *   record, carrying a copy of it, so a second report changes nothing and a lost record is
 *   written again from the copy;
 * - `sweep.ts`: which unfinished events are due to be re-driven (the tenant object's alarm, or
 *   the tick);
 * - `messages.ts`: the queue messages, one per (event, plugin);
 * - `replay.ts`: a replay's reset, applied once per replay id;
 * - `stored-event.ts`: what an accepted event is in storage.
 *
 * Here: dispatch to the plugins enabled when the event arrived, one attempt each per run, retries
 * with jittered backoff, and the final record after the last attempt (kept, visible, replayable).
 * With a queue, each (event, plugin) pair is a message of its own, run, retried and finalized on
 * its own; the re-drive sends the unfinished pairs to the queue again instead of running them.
 */
import { KernelError, ValidationError } from "../errors.ts";
import type { Kernel } from "../kernel.ts";
import { sendAll, type WorkMessage, type WorkQueue } from "../queue.ts";
import type { RegisteredPlugin } from "../registry.ts";
import { traceOf } from "../context.ts";
import type { TenantRecord } from "../store/tenants.ts";
import { backoffDelay, type BackoffPolicy } from "../timing/backoff.ts";
import { eventKeys } from "./keys.ts";
import { applyReplay } from "./replay.ts";
import { type DueEvent, listDueInbox } from "./sweep.ts";
import { type EventMessage, pairMessages } from "./messages.ts";
import { commitAccept } from "./accept.ts";
import { type DoneMarker, EventLedger, readDone } from "./ledger.ts";
import { decodeStoredEvent, EVENT_HOOKS, RetryLaterError, type StoredEvent } from "./stored-event.ts";
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

/** Re-drives through the queue before an unfinished pair is recorded as failed (15 min doubling: the last after ~16 h). */
const MAX_REDRIVES = 5;

/** What the history says of a pair the queue never finished, however often it was sent again. */
export const REDRIVE_REASON =
  `gave up: the queue did not finish it, re-driven ${MAX_REDRIVES} times; replay it to run it again`;

/** Time a dispatch is given to write its records after its slowest plugin's limit, before the sweep may take over. */
const RECORDING_MARGIN_MS = 30_000;

/** How long after acceptance a missing event (or tenant) may still be propagating (Cloudflare KV: ~60 s). */
const VISIBILITY_WINDOW_MS = 120_000;

/** Where one run over an event left it; `missing`: its record was not found (gone, or not visible yet). */
interface Processed {
  done: boolean;
  pending: number;
  retryInSeconds: number;
  missing?: boolean;
}

interface PluginProgress {
  final: boolean;
  tries: number;
}

/** One pair's ledger entry as read: its final record (if any) and attempts so far. */
type PairProgress = { done: DoneMarker | null; tries: number };

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
  readonly #redriveMs: number;
  /**
   * Whether inbox markers track unfinished events: without a queue, and with a queue beside the
   * store (its send is not one commit with the claim). A queue that claims and sends in one
   * commit (Deno KV) keeps what it cannot deliver itself, so its events have no marker.
   */
  readonly #markers: boolean;
  readonly #ledger: EventLedger;
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
    this.#redriveMs = (options.queueRedriveSeconds ?? 900) * 1000;
    this.#markers = !this.queue?.claimAndSend;
    this.#ledger = new EventLedger(kernel, this.#ttl);
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
    const inboxDue = () => this.queue ? this.#redriveDue(enabled, 0) : this.#inboxDue(enabled);
    const deps = { driver, queue: this.queue, ttlSeconds: this.#ttl, now: kernel.now };
    if (!(await commitAccept(deps, stored, inboxDue))) return "duplicate";
    if (this.queue) return "accepted"; // the consumer dispatches it
    if (stored.plugins.length === 0) return "accepted"; // no plugin enabled for this hook: nothing to run
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
      await applyReplay(this.kernel.driver, this.#ttl, message.tenantId, message.eventId, message.replay);
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
      const id = m.tenantId.toLowerCase();
      return plugin === undefined
        ? []
        : [eventKeys.done(id, m.eventId, plugin), eventKeys.tries(id, m.eventId, plugin)];
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
        ? { done: readDone(done), tries: Number(tries ?? 0) || 0 }
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
        (event) => this.#redrive(event, now.getTime()),
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
      const lease = JSON.stringify({ due: this.#inboxDue(plugins) });
      await driver.put(eventKeys.inbox(tenantId, eventId), lease, { ttlSeconds: this.#ttl });
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
   * An event whose marker is due, with a queue: its pairs without a final record are sent again
   * (the marker moved on first, so a failed send is tried again at the next due time); after
   * MAX_REDRIVES they are recorded as failed. All final: the marker goes.
   */
  async #redrive({ tenantId, eventId, drives }: DueEvent, now: number): Promise<void> {
    const driver = this.kernel.driver;
    const inbox = eventKeys.inbox(tenantId, eventId);
    const raw = await driver.get(eventKeys.event(tenantId, eventId));
    if (raw === null) return driver.delete(inbox); // past retention, or its claim was released
    const stored = decodeStoredEvent(raw, tenantId, eventId);
    const progress = await this.#ledger.readProgress(tenantId, eventId, stored.plugins);
    const open = stored.plugins.filter((name) => progress.get(name)!.done === null);
    if (open.length === 0) return driver.delete(inbox);
    if (drives >= MAX_REDRIVES) {
      const finalized = await this.#finalizeOpen(stored, open, progress, REDRIVE_REASON);
      this.kernel.logger.error("the queue did not finish an event's plugins; they are recorded as failed", {
        tenant_id: tenantId,
        event_id: eventId,
        plugins: finalized.join(", "),
      });
      return;
    }
    const entries = open.map((p) => this.kernel.registry.get(p)).filter((e) => e !== undefined);
    const lease = JSON.stringify({ due: this.#redriveDue(entries, drives + 1), drives: drives + 1 });
    await driver.put(inbox, lease, { ttlSeconds: this.#ttl });
    await sendAll(this.queue!, pairMessages(tenantId, eventId, open, now));
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
    await this.#ledger.restoreRecords(done.filter((d): d is DoneMarker => d !== null));
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
    const due = this.queue ? this.#redriveDue(entries, 0) : this.#inboxDue(entries);
    if (this.#markers) {
      await driver.put(eventKeys.inbox(id, eventId), JSON.stringify({ due }), { ttlSeconds: this.#ttl });
    }
    if (this.queue) {
      // One message per replayed plugin; each carries the whole reset, which the first delivered applies.
      await sendAll(this.queue, pairMessages(id, eventId, again, kernel.now(), replay));
    } else {
      await applyReplay(this.kernel.driver, this.#ttl, id, eventId, replay);
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
    const progress = await this.#ledger.readProgress(id, eventId, stored.plugins);
    const names = plugin === undefined ? stored.plugins : stored.plugins.filter((p) => p === plugin);
    return { finalized: await this.#finalizeOpen(stored, names, progress, reason) };
  }

  /**
   * A final "failed" record with `reason` for each of `names` that has none (per `progress`); the
   * event's marker goes with the last one when no other plugin is left open. The ledger's claim
   * decides: a pair finalized meanwhile by another report keeps its record.
   */
  async #finalizeOpen(
    stored: StoredEvent,
    names: readonly string[],
    progress: Map<string, { done: DoneMarker | null; tries: number }>,
    reason: string,
  ): Promise<string[]> {
    const { tenantId, id } = stored.event;
    const open = names.filter((name) => progress.get(name)?.done === null);
    const othersOpen = stored.plugins.some((p) => !open.includes(p) && progress.get(p)?.done === null);
    const inbox = this.#markers && !othersOpen ? [eventKeys.inbox(tenantId, id)] : [];
    let cleared = false;
    for (const [i, name] of open.entries()) {
      const { tries } = progress.get(name)!;
      const deletes = i === open.length - 1 ? inbox : [];
      cleared = await this.#ledger.finalize(stored, name, "failed", false, {
        ...(tries ? { attempt: tries } : {}),
        reason,
      }, deletes);
    }
    if (inbox.length && !cleared) await this.kernel.driver.delete(inbox[0]!);
    return open;
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
      await driver.delete(eventKeys.inbox(id, eventId));
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
    return this.#dispatch(stored, tenant, false, plugin, known);
  }

  /**
   * One attempt for every plugin of the event that has no final record yet, or for `only` (a
   * pair's message; `known`: its progress, read with the delivery's events). The other plugins of
   * a pair's event are read, not run, and only where a marker waits for the event's last pair.
   */
  async #dispatch(
    stored: StoredEvent,
    tenant: Readonly<TenantRecord>,
    fresh: boolean,
    only?: string,
    known?: PairProgress,
  ): Promise<{ done: boolean; pending: number; retryInSeconds: number }> {
    const { kernel } = this;
    const driver = kernel.driver;
    const { event, hook } = stored;
    const names = only === undefined ? stored.plugins : stored.plugins.filter((p) => p === only);
    const progress = new Map<string, PluginProgress>();
    if (fresh) {
      // Just claimed: no plugin has a record yet, so no reads are needed.
      for (const name of names) progress.set(name, { final: false, tries: 0 });
    } else if (names.length) {
      const read = only !== undefined && known
        ? new Map([[only, known]])
        : await this.#ledger.readProgress(tenant.id, event.id, names);
      const finals: DoneMarker[] = [];
      for (const [name, { done, tries }] of read) {
        if (done) finals.push(done);
        progress.set(name, { final: done !== null, tries });
      }
      await this.#ledger.restoreRecords(finals);
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
      if (progress.get(name)!.final) continue;
      const entry = kernel.registry.get(name);
      if (!entry || !entry.hooks.has(hook)) {
        await this.#ledger.finalize(stored, name, "skipped", fresh, { reason: "plugin is no longer registered" });
      } else if (tenant.plugins[name]?.enabled !== true) {
        await this.#ledger.finalize(stored, name, "skipped", fresh, { reason: "plugin was disabled before it ran" });
      } else run.push(entry);
    }

    let pending = 0;
    let nextAttempt = 0;
    // The event's last plugin to run: its final record, its ledger entry and the marker's removal
    // can be one commit (one request to the tenant's Durable Object).
    const inbox = eventKeys.inbox(tenant.id, event.id);
    const lastWrites = async () => this.#markers && run.length === 1 && await isLast() ? [inbox] : [];
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
        if (outcome.status === "ok") {
          inboxCleared = await this.#ledger.finalize(
            stored,
            outcome.plugin,
            "succeeded",
            fresh,
            details,
            await lastWrites(),
          );
        } else if (attempt >= this.maxAttempts || outcome.permanent) { // a PluginError is not retried
          const status = outcome.status;
          inboxCleared = await this.#ledger.finalize(
            stored,
            outcome.plugin,
            status,
            fresh,
            details,
            await lastWrites(),
          );
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
    // With a queue the marker stays put while a pair is retried (the queue redelivers it), and goes
    // once every pair is final; without one, it comes due for the retry.
    if (this.#markers) {
      if (pending === 0) {
        if (!inboxCleared && await isLast()) await driver.delete(inbox);
      } else if (!this.queue) {
        await driver.put(inbox, JSON.stringify({ due: kernel.now() + retryInSeconds * 1000 }), {
          ttlSeconds: this.#ttl,
        });
      }
    }
    return { done: pending === 0, pending, retryInSeconds };
  }

  /** When the sweep may take over an inbox event whose dispatch to these plugins starts now. */
  #inboxDue(plugins: readonly RegisteredPlugin[]): number {
    let longest = 0;
    for (const p of plugins) longest = Math.max(longest, p.plugin.hookTimeoutMs ?? this.kernel.hookTimeoutMs);
    return this.kernel.now() + Math.max(this.#sweepDelayMs, longest + RECORDING_MARGIN_MS);
  }

  /**
   * With a queue, when the re-drive may send a pair again: after the queue's own retries (the
   * re-drive delay, doubled per re-drive so far) and never before the slowest plugin's time limit.
   */
  #redriveDue(plugins: readonly RegisteredPlugin[], drives: number): number {
    const wait = this.#redriveMs * 2 ** Math.min(drives, MAX_REDRIVES);
    return Math.max(this.#inboxDue(plugins), this.kernel.now() + wait);
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
