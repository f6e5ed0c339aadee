/** The span of accepting a webhook: from its arrival until the verified event is handed to storage. */
import { newSpanId, newTraceId, parseTraceparent } from "./ids.ts";
import type { TraceSpan } from "./span.ts";

/** The name of every accept span: the only route that makes one. */
export const ACCEPT_SPAN_NAME = "POST /v1/webhooks/{tenant_id}";

/** Continues the sender's trace when it sent a valid `traceparent`; starts one otherwise. */
export function acceptSpan(headers: Headers, startMs: number): TraceSpan {
  const parent = parseTraceparent(headers.get("traceparent"));
  return {
    kind: "accept",
    name: ACCEPT_SPAN_NAME,
    traceId: parent?.traceId ?? newTraceId(),
    spanId: newSpanId(),
    // The sender's flags (e.g. not sampled, 00) go on with its trace into every outbound call.
    ...(parent ? { parentSpanId: parent.spanId, flags: parent.flags } : {}),
    startMs,
    durationMs: Date.now() - startMs,
  };
}

/**
 * The accept span as the stored event keeps it: "trace-span-start-duration[-parent-flags]" (hex
 * ids, times in base 36), about 60 characters where its JSON takes 150. The kind and the name are
 * the same for every accept span, so they are not stored. The size matters on Deno KV: a row
 * (key and value) over about 1000 bytes no longer fits in its SQLite page, and each such event
 * takes a 4 KiB overflow page of its own, which made a small webhook cost half as much again.
 */
export function packAcceptSpan(span: TraceSpan): string {
  // Whole, non-negative milliseconds (a clock stepped back can make a negative duration).
  const ms = (n: number) => Math.max(0, Math.round(n)).toString(36);
  const parts = [span.traceId, span.spanId, ms(span.startMs), ms(span.durationMs)];
  if (span.parentSpanId) parts.push(span.parentSpanId, span.flags ?? "01");
  return parts.join("-");
}

const PACKED = /^([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-z]+)-([0-9a-z]+)(?:-([0-9a-f]{16})-([0-9a-f]{2}))?$/;

/**
 * The accept span from what packAcceptSpan made, or from the span object events stored before it
 * (kept as it is); undefined for anything else, so an unreadable trace costs the event nothing.
 */
export function unpackAcceptSpan(stored: unknown): TraceSpan | undefined {
  if (typeof stored === "object" && stored !== null) return stored as TraceSpan;
  const m = typeof stored === "string" ? PACKED.exec(stored) : null;
  if (!m) return undefined;
  return {
    kind: "accept",
    name: ACCEPT_SPAN_NAME,
    traceId: m[1]!,
    spanId: m[2]!,
    ...(m[5] ? { parentSpanId: m[5], flags: m[6]! } : {}),
    startMs: parseInt(m[3]!, 36),
    durationMs: parseInt(m[4]!, 36),
  };
}
