/** The event pipeline: webhooks in, per-plugin outcomes recorded (DESIGN §6). */
export { createEventProcessor, KernelEventProcessor } from "./processor.ts";
export { EVENT_HOOKS, RetryLaterError } from "./stored-event.ts";
export type { EventProcessorOptions } from "./processor.ts";
export { eventKeys } from "./keys.ts";
export type { AcceptResult, ContentEvent, ContentEventType, EventProcessor } from "./types.ts";
