/**
 * Span-like timings the kernel keeps with an execution record (DESIGN: history), in the shape of
 * W3C trace context: one trace id per webhook (the sender's `traceparent` when it sent one), a
 * span for accepting it, one per plugin hook, and one per outbound call that hook made.
 */
export type SpanKind = "accept" | "hook" | "http";

export interface TraceSpan {
  kind: SpanKind;
  /** "POST /v1/webhooks/{tenant_id}", the hook's name, or the outbound call's method and origin + path. */
  name: string;
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  parentSpanId?: string;
  /** Start, ms since the epoch. */
  startMs: number;
  durationMs: number;
  /** An outbound call's HTTP status (0: no response). */
  status?: number;
  /** Why it failed, when it did (scrubbed like the rest of the record). */
  error?: string;
  /** The accept span of a webhook that sent a `traceparent`: its trace-flags (two hex digits). */
  flags?: string;
}

/** A span on the wire (the admin API): snake_case, the start as ISO 8601. */
export function spanView(span: TraceSpan): Record<string, unknown> {
  return {
    kind: span.kind,
    name: span.name,
    trace_id: span.traceId,
    span_id: span.spanId,
    ...(span.parentSpanId ? { parent_span_id: span.parentSpanId } : {}),
    start: new Date(span.startMs).toISOString(),
    duration_ms: span.durationMs,
    ...(span.status !== undefined ? { status: span.status } : {}),
    ...(span.error !== undefined ? { error: span.error } : {}),
  };
}
