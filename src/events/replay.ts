/**
 * A replay's reset (DESIGN §6: a replayed plugin ends in one new final record). The replay itself
 * (which plugins, made durable before anything is cleared) is the processor's `replay`; this is
 * what its delivery applies, once per replay id.
 */
import type { KVDriver } from "../store/driver.ts";
import { eventKeys } from "./keys.ts";
import { decodeStoredEvent, encodeStoredEvent } from "./stored-event.ts";

/**
 * A replay's reset, applied once per replay id (a redelivered replay message must not clear the
 * records its first delivery wrote): new plugins join the event, and the named plugins' final
 * records and attempt counts are cleared, so the event's next run runs them again. Where the
 * store commits a claim with other writes (`claimWith`: memory, the tenant's Durable Object,
 * Deno KV) the mark and the reset are one commit, so two deliveries of one message reset once.
 */
export async function applyReplay(
  driver: KVDriver,
  ttlSeconds: number,
  tenantId: string,
  eventId: string,
  replay: { id: string; plugins: string[] },
): Promise<void> {
  const id = tenantId.toLowerCase();
  const ttl = { ttlSeconds };
  const applied = eventKeys.replay(id, eventId, replay.id);
  if ((await driver.get(applied)) !== null) return;
  const eventKey = eventKeys.event(id, eventId);
  const raw = await driver.get(eventKey);
  if (raw === null) return; // past retention: nothing left to run
  const stored = decodeStoredEvent(raw, id, eventId);
  const added = replay.plugins.filter((p) => !stored.plugins.includes(p));
  if (added.length) stored.plugins = [...stored.plugins, ...added];
  const writes = added.length ? [{ key: eventKey, value: encodeStoredEvent(stored), ...ttl }] : [];
  const resets = replay.plugins.flatMap((p) => [eventKeys.done(id, eventId, p), eventKeys.tries(id, eventId, p)]);
  if (driver.claimWith) {
    // The mark, the joined plugins and the reset in one commit: a second delivery of the message,
    // however late its reset comes, finds the mark and clears nothing the first one's run recorded.
    await driver.claimWith({ key: applied, value: "applied", ...ttl }, writes, resets);
    return;
  }
  for (const w of writes) await driver.put(w.key, w.value, ttl);
  for (const key of resets) await driver.delete(key);
  // Marked after the reset and before the run: a delivery that died before this point resets again
  // (nothing has run since), and one after it finds the mark and keeps what the run recorded.
  await driver.put(applied, "applied", ttl);
}
