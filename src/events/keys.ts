/**
 * The KV keys of the event pipeline. Each (event, plugin) has its own keys, so each key has one
 * writer at a time (DESIGN §5); tenant ids are UUIDs, so a key splits back at fixed offsets.
 */
export const eventKeys = {
  /** The accepted event, written once with putIfAbsent: the deduplication claim and the payload. */
  event: (tenantId: string, eventId: string) => `evt:${tenantId}:${eventId}`,
  /**
   * An inbox marker: the event still has plugins without a final record (re-driven by the tenant
   * object's alarm, or the tick's sweep).
   */
  inbox: (tenantId: string, eventId: string) => `inbox:${tenantId}:${eventId}`,
  inboxPrefix: "inbox:",
  /** The final outcome of one plugin for one event: its presence makes redelivery a no-op. */
  done: (tenantId: string, eventId: string, plugin: string) => `evdone:${tenantId}:${eventId}:${plugin}`,
  /** Attempts made so far for one plugin and one event. */
  tries: (tenantId: string, eventId: string, plugin: string) => `evtry:${tenantId}:${eventId}:${plugin}`,
  /** A replay whose reset was applied (the consumer of its message claims it once). */
  replay: (tenantId: string, eventId: string, replayId: string) => `evreplay:${tenantId}:${eventId}:${replayId}`,
} as const;

const UUID_LENGTH = 36;

/** Splits an inbox key back into tenant and event id. */
export function parseInboxKey(key: string): { tenantId: string; eventId: string } | null {
  const rest = key.slice(eventKeys.inboxPrefix.length);
  if (rest.length < UUID_LENGTH + 2 || rest[UUID_LENGTH] !== ":") return null;
  return { tenantId: rest.slice(0, UUID_LENGTH), eventId: rest.slice(UUID_LENGTH + 1) };
}
