/**
 * What an accepted event is in storage, the action hook each event type runs, and the signal a
 * delivery gives its queue when some of its plugins are to be retried.
 */
import type { ActionHookName } from "../hooks.ts";
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

/** Thrown by `handleMessage` when some plugins will be retried: the consumer retries the message. */
export class RetryLaterError extends Error {
  readonly delaySeconds: number;
  constructor(message: string, delaySeconds: number) {
    super(message);
    this.name = "RetryLaterError";
    this.delaySeconds = delaySeconds;
  }
}
