/**
 * Accept = durable before the 2xx (DESIGN §6): the webhook-id's dedupe claim and the event are
 * committed where the runtime keeps them, with what will dispatch it, or the call throws (the
 * HTTP layer answers 503 with Retry-After). Three shapes:
 *
 * - a queue that claims and sends in one commit (Deno KV: `kv.atomic()` with `enqueue`);
 * - a queue beside the store (Cloudflare Queues): the claim, then the message; a send that fails
 *   releases the claim;
 * - no queue: the event and its inbox marker, in ONE commit where the store offers `claimWith`
 *   (memory, the tenant's Durable Object: one round trip), the marker first otherwise. The
 *   marker is what re-drives the event if its dispatch is cut off (the tenant object's alarm, or
 *   the tick's sweep).
 *
 * True when this call accepted the event; false for a duplicate.
 */
import type { WorkQueue } from "../queue.ts";
import type { KVDriver } from "../store/driver.ts";
import { eventKeys } from "./keys.ts";
import type { StoredEvent } from "./stored-event.ts";

export interface AcceptDeps {
  driver: KVDriver;
  queue: WorkQueue | undefined;
  ttlSeconds: number;
  now: () => number;
}

export async function commitAccept(
  { driver, queue, ttlSeconds, now }: AcceptDeps,
  stored: StoredEvent,
  inboxDue: () => number,
): Promise<boolean> {
  const eventKey = eventKeys.event(stored.event.tenantId, stored.event.id);
  const ttl = { ttlSeconds };

  if (queue?.claimAndSend) {
    // One atomic step: claimed and sent, or neither, so a duplicate needs no second message.
    const message = { kind: "event", tenantId: stored.event.tenantId, eventId: stored.event.id, at: now() } as const;
    const claim = { key: eventKey, value: JSON.stringify(stored), ttlSeconds };
    return queue.claimAndSend(claim, message);
  }
  if (queue) {
    const claimed = await driver.putIfAbsent(eventKey, JSON.stringify(stored), ttl);
    try {
      // A duplicate is enqueued again as well: the sender retries only when it saw no 2xx, and
      // the first delivery may have claimed the event, then failed (or lost the answer of) the
      // claim or the send. Processing is idempotent per (event, plugin), so the cost is a no-op
      // message; without it such an event was answered "duplicate" and never dispatched.
      await queue.send({ kind: "event", tenantId: stored.event.tenantId, eventId: stored.event.id, at: now() });
    } catch (error) {
      // Not durable: release the claim so the sender's retry is accepted, not called a duplicate.
      if (claimed) await driver.delete(eventKey).catch(() => {});
      throw error;
    }
    return claimed;
  }

  // Inbox marker first: a marker without an event is dropped by the sweep, whereas a claimed
  // event without a marker would be lost if this invocation died before dispatching it. The
  // sweep waits until this dispatch is over (its slowest plugin's time limit, and time to write
  // the records), so that it does not run a plugin that is still running here a second time.
  // Where the store can, the marker and the event are one commit (one round trip to the tenant's
  // Durable Object): a duplicate writes nothing.
  const marker = {
    key: eventKeys.inbox(stored.event.tenantId, stored.event.id),
    value: JSON.stringify({ due: inboxDue() }),
  };
  const claim = { key: eventKey, value: JSON.stringify(stored) };
  // No plugin to run: nothing to re-drive, so no marker; the event is kept for dedupe and replay.
  if (stored.plugins.length === 0) return driver.putIfAbsent(claim.key, claim.value, ttl);
  if (driver.claimWith) return driver.claimWith({ ...claim, ...ttl }, [{ ...marker, ...ttl }]);
  await driver.put(marker.key, marker.value, ttl);
  return driver.putIfAbsent(claim.key, claim.value, ttl);
}
