/**
 * Work that crosses invocations: webhook events and fanned-out tick work, carried by the
 * runtime's queue (a Cloudflare Queue binding, or Deno KV's enqueue/listenQueue). Messages are
 * small JSON and may be delivered more than once; their handlers are idempotent.
 */
export type WorkMessage =
  /**
   * One (event, plugin) pair: its consumer runs that plugin alone and reports its outcome. A
   * message without `plugin` (sent by an earlier version, still in flight) runs every plugin of
   * its event that has no final record yet. `at`: when the event was accepted (ms), to tell "not
   * visible yet" from "gone" on eventually consistent KV.
   */
  | {
    kind: "event";
    tenantId: string;
    eventId: string;
    plugin?: string;
    at?: number;
    /** A replay: these plugins' final records are cleared (once per id) before the event runs. */
    replay?: { id: string; plugins: string[] };
  }
  | { kind: "task"; tenantId: string; taskId: string; slot: string }
  | { kind: "health"; tenantId: string; plugin: string; slot: string };

/** The producer side of a queue. A send that rejects means the message was not made durable. */
export interface WorkQueue {
  send(message: WorkMessage): Promise<void>;
  /** Many messages in one call where the backend allows (Cloudflare: 100 per batch). */
  sendBatch?(messages: WorkMessage[]): Promise<void>;
  /**
   * Claim `key` in the kernel's KV (write it only if absent) and send `messages` (one per plugin
   * of the event, possibly none), in one atomic step where the backend allows (Deno KV: one
   * commit instead of a read and several writes). Resolves false, sending nothing, when the key
   * already exists.
   */
  claimAndSend?(claim: { key: string; value: string; ttlSeconds: number }, messages: WorkMessage[]): Promise<boolean>;
}

/** Messages one Cloudflare Queue `sendBatch` takes at most. */
const BATCH_MAX = 100;

/** Sends `messages` in as few calls as the queue allows (one batch per 100); nothing for none. */
export async function sendAll(queue: WorkQueue, messages: readonly WorkMessage[]): Promise<void> {
  if (messages.length === 0) return;
  if (messages.length === 1 || !queue.sendBatch) {
    for (const message of messages) await queue.send(message);
    return;
  }
  for (let i = 0; i < messages.length; i += BATCH_MAX) await queue.sendBatch(messages.slice(i, i + BATCH_MAX));
}
