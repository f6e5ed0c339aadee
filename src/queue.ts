/**
 * Work that crosses invocations: webhook events and fanned-out tick work, carried by the
 * runtime's queue (a Cloudflare Queue binding, or Deno KV's enqueue/listenQueue). Messages are
 * small JSON and may be delivered more than once; their handlers are idempotent.
 */
export type WorkMessage =
  /** `at`: when the event was accepted (ms), to tell "not visible yet" from "gone" on eventually consistent KV. */
  | {
    kind: "event";
    tenantId: string;
    eventId: string;
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
   * Claim `key` in the kernel's KV (write it only if absent) and send `message`, in one atomic
   * step where the backend allows (Deno KV: one commit instead of a read and two writes).
   * Resolves false, sending nothing, when the key already exists.
   */
  claimAndSend?(claim: { key: string; value: string; ttlSeconds: number }, message: WorkMessage): Promise<boolean>;
}
