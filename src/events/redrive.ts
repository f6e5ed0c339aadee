/**
 * The re-drive with a queue beside the store (the tenant object's alarm): an event whose marker is
 * due has its unfinished (event, plugin) pairs sent to the queue again, the marker moved on
 * (doubling), and after MAX_REDRIVES those pairs recorded as failed. `finalizeOpen` is also how
 * the dead letters end a pair.
 */
import { sendAll } from "../queue.ts";
import { comparesAt } from "../store/driver.ts";
import { type EventDeps, MAX_REDRIVES, redriveDue } from "./context.ts";
import { eventKeys } from "./keys.ts";
import type { PairProgress } from "./ledger.ts";
import { pairMessages } from "./messages.ts";
import { decodeStoredEvent, type StoredEvent } from "./stored-event.ts";
import type { DueEvent } from "./sweep.ts";

/** What the history says of a pair the queue never finished, however often it was sent again. */
const REDRIVE_REASON =
  `gave up: the queue did not finish it, re-driven ${MAX_REDRIVES} times; replay it to run it again`;

/**
 * An event whose marker is due, with a queue: its pairs without a final record are sent again
 * (the marker moved on first, so a failed send or read is tried again at the next due time); after
 * MAX_REDRIVES they are recorded as failed. All final: the marker goes.
 */
export async function redriveEvent(
  deps: EventDeps,
  { tenantId, eventId, drives }: DueEvent,
  now: number,
): Promise<void> {
  const driver = deps.kernel.driver;
  const inbox = eventKeys.inbox(tenantId, eventId);
  // The marker moves on first: whatever fails below is tried again at its next due time, not at
  // once (an alarm armed for a marker still due would fire again at once, for as long as it fails).
  const lease = JSON.stringify({ due: redriveDue(deps, deps.kernel.registry.list(), drives + 1), drives: drives + 1 });
  await driver.put(inbox, lease, { ttlSeconds: deps.ttlSeconds });
  // Nothing left to do: the marker goes, but only the one written above. A replay writes its own
  // first (before its reset), and what this re-drive read no longer says anything about that one.
  const release = async () => {
    if (driver.deleteIfUnchanged && comparesAt(driver, inbox)) await driver.deleteIfUnchanged(inbox, lease);
    else await driver.delete(inbox);
  };
  const raw = await driver.get(eventKeys.event(tenantId, eventId));
  if (raw === null) return release(); // past retention, or its claim was released
  const stored = decodeStoredEvent(raw, tenantId, eventId);
  const progress = await deps.ledger.readProgress(tenantId, eventId, stored.plugins);
  const open = stored.plugins.filter((name) => progress.get(name)!.done === null);
  if (open.length === 0) return release();
  if (drives >= MAX_REDRIVES) {
    const finalized = await finalizeOpen(deps, stored, open, progress, REDRIVE_REASON);
    deps.kernel.logger.error("the queue did not finish an event's plugins; they are recorded as failed", {
      tenant_id: tenantId,
      event_id: eventId,
      plugins: finalized.join(", "),
    });
    return;
  }
  await sendAll(deps.queue!, pairMessages(tenantId, eventId, open, now));
}

/**
 * A final "failed" record with `reason` for each of `names` that has none (per `progress`); the
 * event's marker goes with the last one when no other plugin is left open. The ledger's claim
 * decides: a pair finalized meanwhile by another report keeps its record.
 */
export async function finalizeOpen(
  deps: EventDeps,
  stored: StoredEvent,
  names: readonly string[],
  progress: Map<string, PairProgress>,
  reason: string,
): Promise<string[]> {
  const { tenantId, id } = stored.event;
  const open = names.filter((name) => progress.get(name)?.done === null);
  const othersOpen = stored.plugins.some((p) => !open.includes(p) && progress.get(p)?.done === null);
  const inbox = deps.markers && !othersOpen ? [eventKeys.inbox(tenantId, id)] : [];
  let cleared = false;
  for (const [i, name] of open.entries()) {
    const { tries } = progress.get(name)!;
    const deletes = i === open.length - 1 ? inbox : [];
    cleared = await deps.ledger.finalize(stored, name, "failed", false, {
      ...(tries ? { attempt: tries } : {}),
      reason,
    }, deletes);
  }
  if (inbox.length && !cleared) await deps.kernel.driver.delete(inbox[0]!);
  return open;
}
