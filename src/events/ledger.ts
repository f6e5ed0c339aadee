/**
 * The per-(event, plugin) ledger (DESIGN §6: exactly one final record each). A plugin's done-key
 * is claimed before its final record is written and carries a copy of it (with the record's
 * key): from then on the plugin does not run again for that event, and a record whose write
 * failed is written by the next delivery from the copy, never a second, different one. Attempts
 * so far are counted beside it. The claim is the store's atomic putIfAbsent, in the tenant's
 * authority (memory, Deno KV, the tenant's Durable Object), so a second report changes nothing;
 * where the store offers `claimWith` the claim and the record are one commit.
 */
import type { Kernel } from "../kernel.ts";
import type { ExecutionStatus } from "../store/history.ts";
import type { TraceSpan } from "../trace/span.ts";
import { eventKeys } from "./keys.ts";
import type { StoredEvent } from "./stored-event.ts";

/** What a done-key holds: the final status, and the final record's key and stored text. */
export interface DoneMarker {
  status: string;
  history?: string;
  record?: string;
}

/** A done-key's value: the record goes in as JSON, not as a string of JSON (no second escaping). */
function writeDone(status: string, history: string, recordJson: string): string {
  return `{"status":${JSON.stringify(status)},"history":${JSON.stringify(history)},"record":${recordJson}}`;
}

/** A done-key's value, or null when there is none (a bare status string is read as a marker without a copy). */
export function readDone(value: string | null | undefined): DoneMarker | null {
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

export class EventLedger {
  readonly #kernel: Kernel;
  readonly #ttlSeconds: number;

  constructor(kernel: Kernel, ttlSeconds: number) {
    this.#kernel = kernel;
    this.#ttlSeconds = ttlSeconds;
  }

  /**
   * The one final record of (event, plugin). The done-key is claimed first, with a copy of the
   * record and its key: from then on the plugin does not run again for this event, whatever
   * happens to the record's own write. If that write fails (or commits but reports a failure),
   * this throws, the delivery is retried, and the retry writes the same record under the same
   * key (restoreRecords): never none, never two. `deletes` (the event's inbox marker, when this
   * is its last plugin) go with the record where the store commits them together; true when they
   * were removed, false when the caller still has to.
   */
  async finalize(
    stored: StoredEvent,
    plugin: string,
    status: ExecutionStatus,
    fresh: boolean,
    details: { attempt?: number; durationMs?: number; error?: string; reason?: string; spans?: TraceSpan[] },
    deletes: readonly string[] = [],
  ): Promise<boolean> {
    const kernel = this.#kernel;
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
    const ttl = { ttlSeconds: this.#ttlSeconds };
    if (driver.claimWith) {
      // The done-key and the record in one commit (one request to the tenant's Durable Object):
      // both or neither, and nothing when another report holds the done-key already.
      const committed = await driver.claimWith(
        { key: doneKey, value: marker, ...ttl },
        [kernel.history.keyWrite(prepared)],
        deletes,
      );
      return committed && deletes.length > 0;
    }
    if (fresh) await driver.put(doneKey, marker, ttl);
    else if (!(await driver.putIfAbsent(doneKey, marker, ttl))) return false;
    await kernel.history.write(prepared);
    return false;
  }

  /** Writes the final records that done-keys promise but the history lacks (their first write failed). */
  async restoreRecords(finals: DoneMarker[]): Promise<void> {
    const copies = finals.filter((d): d is Required<DoneMarker> => !!d.history && !!d.record);
    if (copies.length === 0) return;
    const present = await this.#kernel.driver.getMany(copies.map((d) => d.history));
    await Promise.all(copies.map(async (done, i) => {
      if (present[i] !== null && present[i] !== undefined) return;
      await this.#kernel.history.write({ key: done.history, json: done.record });
      this.#kernel.logger.warn("wrote a final record whose first write had failed", { history_key: done.history });
    }));
  }

  /** Each plugin's progress for one event, in one read. */
  async readProgress(tenantId: string, eventId: string, names: readonly string[]): Promise<Map<string, PairProgress>> {
    const values = await this.#kernel.driver.getMany(names.flatMap((p) => progressKeys(tenantId, eventId, p)));
    return new Map(names.map((name, i) => [name, pairProgress(values[2 * i], values[2 * i + 1])]));
  }
}

/** One pair's ledger entry as read: its final record (if any) and attempts so far. */
export interface PairProgress {
  done: DoneMarker | null;
  tries: number;
}

/** The keys a pair's progress is read from: its done-key and its attempts. */
export function progressKeys(tenantId: string, eventId: string, plugin: string): [string, string] {
  return [eventKeys.done(tenantId, eventId, plugin), eventKeys.tries(tenantId, eventId, plugin)];
}

/** A pair's progress from the values of its `progressKeys`. */
export function pairProgress(done: string | null | undefined, tries: string | null | undefined): PairProgress {
  return { done: readDone(done), tries: Number(tries ?? 0) || 0 };
}
