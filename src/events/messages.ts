/**
 * The queue messages of an event: one per (event, plugin), so each plugin's consumer runs, retries
 * and reports on its own (a slow or failing plugin holds back no other plugin's ack), and each pair
 * ends in its own final record.
 */
import type { WorkMessage } from "../queue.ts";

export type EventMessage = Extract<WorkMessage, { kind: "event" }>;

/** One message per plugin of the event; `replay` (the reset its first delivery applies) rides on each. */
export function pairMessages(
  tenantId: string,
  eventId: string,
  plugins: readonly string[],
  at: number,
  replay?: { id: string; plugins: string[] },
): EventMessage[] {
  return plugins.map((plugin) => ({ kind: "event", tenantId, eventId, plugin, at, ...(replay ? { replay } : {}) }));
}
