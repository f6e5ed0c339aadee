/**
 * What an accepted event is in storage, the action hook each event type runs, and the signal a
 * delivery gives its queue when some of its plugins are to be retried.
 */
import type { ActionHookName } from "../hooks.ts";
import { packAcceptSpan, unpackAcceptSpan } from "../trace/accept.ts";
import type { ContentEvent, ContentEventType } from "./types.ts";

/** The event types of the contract and the action hook each one runs. */
export const EVENT_HOOKS: Readonly<Record<ContentEventType, ActionHookName>> = {
  "content.published": "contentPublished",
  "content.updated": "contentUpdated",
  "content.deleted": "contentDeleted",
};

/** What the store holds for an accepted event (`evt:<tenant>:<event>`): the dedupe claim and the payload. */
export interface StoredEvent {
  v: 1;
  event: ContentEvent;
  hook: ActionHookName;
  /** Plugins enabled (and implementing the hook) when the event arrived. */
  plugins: string[];
}

/**
 * The stored text of an event: what its key already says (tenant and event id) and what its type
 * decides (the hook) are left out, as is a null correlation id, and the accept span is packed.
 * Every byte counts on Deno KV, where a row over about 1000 bytes takes a 4 KiB page of its own
 * (see packAcceptSpan).
 */
export function encodeStoredEvent(stored: StoredEvent): string {
  const { id: _id, tenantId: _tenant, correlationId, trace, ...event } = stored.event;
  return JSON.stringify({
    v: 2,
    event: {
      ...event,
      ...(correlationId != null ? { correlationId } : {}),
      ...(trace ? { trace: packAcceptSpan(trace) } : {}),
    },
    plugins: stored.plugins,
  });
}

/** The event stored under `evt:<tenantId>:<eventId>`, in either shape (v 1 kept every field). */
export function decodeStoredEvent(raw: string, tenantId: string, eventId: string): StoredEvent {
  const stored = JSON.parse(raw) as { event: Partial<ContentEvent> & { trace?: unknown }; plugins: string[] };
  const { trace, ...fields } = stored.event;
  const span = unpackAcceptSpan(trace);
  const event = {
    id: eventId,
    tenantId,
    correlationId: null,
    ...fields,
    ...(span ? { trace: span } : {}),
  } as ContentEvent;
  return { v: 1, event, hook: EVENT_HOOKS[event.type], plugins: stored.plugins };
}

/** Thrown by `handleMessage` when some plugins will be retried: the consumer retries the message. */
export class RetryLaterError extends Error {
  readonly delaySeconds: number;
  constructor(message: string, delaySeconds: number) {
    super(message);
    this.name = "RetryLaterError";
    this.delaySeconds = delaySeconds;
  }
}
