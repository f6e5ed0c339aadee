/** The event pipeline: webhooks in, per-plugin outcomes recorded (DESIGN §6). */
export { createEventProcessor, EVENT_HOOKS, KernelEventProcessor, RetryLaterError } from "./processor.ts";
export type { EventProcessorOptions } from "./processor.ts";
export { eventKeys } from "./keys.ts";
export type { AcceptResult, ContentEvent, ContentEventType, EventProcessor } from "./types.ts";
