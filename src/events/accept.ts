/**
 * Accept = durable before the 2xx (DESIGN §6): the webhook-id's dedupe claim and the event are
 * committed where the runtime keeps them, with what will dispatch it, or the call throws (the
 * HTTP layer answers 503 with Retry-After). Three shapes:
 *
 * - a queue that claims and sends in one commit (Deno KV: `kv.atomic()` with `enqueue`): the
 *   claim and one message per (event, plugin); the queue keeps what it cannot deliver (dead
 *   letters), so no inbox marker is needed;
 * - a queue beside the store (Cloudflare Queues): the event and its inbox marker (one commit, one
 *   round trip to the tenant's Durable Object), then one batch of messages, one per (event,
 *   plugin); a send that fails releases the claim. The marker, due well after the queue should
 *   have finished, is what re-drives a pair whose message was lost (the object's alarm sends it
 *   again);
 * - no queue: the event and its inbox marker, in ONE commit where the store offers `claimWith`
 *   (memory, the tenant's Durable Object: one round trip), the marker first otherwise. The
 *   marker is what re-drives the event if its dispatch is cut off (the tenant object's alarm, or
 *   the tick's sweep).
 *
 * True when this call accepted the event; false for a duplicate.
 */
import { sendAll } from "../queue.ts";
import type { KVDriver } from "../store/driver.ts";
import type { EventDeps } from "./context.ts";
import { eventKeys } from "./keys.ts";
import { pairMessages } from "./messages.ts";
import { encodeStoredEvent, type StoredEvent } from "./stored-event.ts";

export async function commitAccept(
  { kernel: { driver, now }, queue, ttlSeconds }: EventDeps,
  stored: StoredEvent,
  inboxDue: () => number,
): Promise<boolean> {
  const { tenantId, id } = stored.event;
  const eventKey = eventKeys.event(tenantId, id);
  const messages = () => pairMessages(tenantId, id, stored.plugins, now());

  if (queue?.claimAndSend) {
    // One atomic step: claimed and sent, or neither, so a duplicate needs no second message.
    return queue.claimAndSend({ key: eventKey, value: encodeStoredEvent(stored), ttlSeconds }, messages());
  }
  const claimed = await commitEvent(driver, ttlSeconds, eventKey, stored, inboxDue);
  if (!queue) return claimed;
  try {
    // A duplicate is enqueued again as well: the sender retries only when it saw no 2xx, and
    // the first delivery may have claimed the event, then failed (or lost the answer of) the
    // claim or the send. Processing is idempotent per (event, plugin), so the cost is a no-op
    // message per plugin; without it such an event would wait for its marker's re-drive.
    await sendAll(queue, messages());
  } catch (error) {
    // Not durable: release the claim so the sender's retry is accepted, not called a duplicate
    // (the marker left without its event is dropped by the re-drive).
    if (claimed) await driver.delete(eventKey).catch(() => {});
    throw error;
  }
  return claimed;
}

/**
 * The event and its inbox marker. Marker first: a marker without an event is dropped by the
 * sweep, whereas a claimed event without a marker would be lost if this invocation died before
 * dispatching it. The marker is due once this dispatch (or the queue) should be over, so that the
 * sweep does not run a plugin that is still running a second time. Where the store can, the
 * marker and the event are one commit (one round trip to the tenant's Durable Object): a
 * duplicate writes nothing.
 */
function commitEvent(
  driver: KVDriver,
  ttlSeconds: number,
  eventKey: string,
  stored: StoredEvent,
  inboxDue: () => number,
) {
  const ttl = { ttlSeconds };
  const claim = { key: eventKey, value: encodeStoredEvent(stored) };
  // No plugin to run: nothing to re-drive, so no marker; the event is kept for dedupe and replay.
  if (stored.plugins.length === 0) return driver.putIfAbsent(claim.key, claim.value, ttl);
  const marker = {
    key: eventKeys.inbox(stored.event.tenantId, stored.event.id),
    value: JSON.stringify({ due: inboxDue() }),
  };
  if (driver.claimWith) return driver.claimWith({ ...claim, ...ttl }, [{ ...marker, ...ttl }]);
  return driver.put(marker.key, marker.value, ttl).then(() => driver.putIfAbsent(claim.key, claim.value, ttl));
}
