/** The span of accepting a webhook: from its arrival until the verified event is handed to storage. */
import { newSpanId, newTraceId, parseTraceparent } from "./ids.ts";
import type { TraceSpan } from "./span.ts";

/** Continues the sender's trace when it sent a valid `traceparent`; starts one otherwise. */
export function acceptSpan(headers: Headers, name: string, startMs: number): TraceSpan {
  const parent = parseTraceparent(headers.get("traceparent"));
  return {
    kind: "accept",
    name,
    traceId: parent?.traceId ?? newTraceId(),
    spanId: newSpanId(),
    // The sender's flags (e.g. not sampled, 00) go on with its trace into every outbound call.
    ...(parent ? { parentSpanId: parent.spanId, flags: parent.flags } : {}),
    startMs,
    durationMs: Date.now() - startMs,
  };
}
