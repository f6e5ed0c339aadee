/** The event processor's public shape: webhooks in, per-plugin outcomes recorded (DESIGN §6). */
import type { Content, Metadata } from "../hooks.ts";
import type { WorkMessage } from "../queue.ts";
import type { TraceSpan } from "../trace/span.ts";

export type ContentEventType = "content.published" | "content.updated" | "content.deleted";

export interface ContentEvent {
  /** The webhook-id: unique per tenant, the deduplication key. */
  id: string;
  tenantId: string;
  type: ContentEventType;
  /** From the body's `timestamp`. */
  timestamp: string;
  contentId: string;
  content: Content;
  metadata?: Metadata;
  correlationId?: string | null;
  receivedAt: string;
  /** The webhook's accept span: the hooks' spans continue its trace. */
  trace?: TraceSpan;
}

export type AcceptResult = "accepted" | "duplicate";

export interface EventProcessor {
  /**
   * Make the event durable (queue, or KV inbox) and schedule its dispatch. Resolves once it is
   * durable; rejects when it cannot be made durable (the HTTP layer answers 5xx).
   */
  accept(event: ContentEvent, waitUntil?: (work: Promise<unknown>) => void): Promise<AcceptResult>;
  /** Dispatch an accepted event to the plugins that have no final record for it yet. */
  process(tenantId: string, eventId: string): Promise<void>;
  /** The queue consumer's entry for `event` messages: one (event, plugin) pair each (or every plugin, for the earlier shape). */
  handleMessage(message: WorkMessage): Promise<void>;
  /** The same for the messages of one delivery, one run each; their stored events are read together. */
  handleMessages(messages: readonly WorkMessage[]): Promise<void>[];
  /**
   * Run an accepted event again for the plugins whose final record is failed or timed out, or for
   * the named ones: delivered anew, with retries, ending in one new final record each.
   */
  replay(
    tenantId: string,
    eventId: string,
    plugins?: readonly string[],
    options?: { failedOnly?: boolean },
  ): Promise<{ replayed: string[] }>;
  /**
   * The queue gave up on the event (or on its pair with `plugin`): its plugins without a final
   * record (that one alone) get a final "failed" one with `reason`; a final record is kept as it is.
   */
  abandon(tenantId: string, eventId: string, reason: string, plugin?: string): Promise<{ finalized: string[] }>;
  /**
   * Re-drive inbox events left unfinished: all (the tick), or one tenant's (its object's alarm).
   * Without a queue they run; with one, their unfinished pairs are sent to it again.
   */
  sweep(now?: Date, scope?: { tenantId?: string }): Promise<{ retried: number }>;
}
