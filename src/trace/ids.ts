/** W3C trace context (https://www.w3.org/TR/trace-context/): ids and the `traceparent` header. */

function hex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  for (const x of b) out += x.toString(16).padStart(2, "0");
  return out;
}

/** 32 hex digits, never all zero (the spec's invalid value). */
export function newTraceId(): string {
  const id = hex(16);
  return /^0+$/.test(id) ? newTraceId() : id;
}

/** 16 hex digits, never all zero. */
export function newSpanId(): string {
  const id = hex(8);
  return /^0+$/.test(id) ? newSpanId() : id;
}

export interface TraceParent {
  traceId: string;
  /** The sender's span: the parent of ours. */
  spanId: string;
  sampled: boolean;
  /** The sender's trace-flags, two hex digits: carried forward on the calls made for it. */
  flags: string;
}

/** A valid version-00 (or later, read as 00) `traceparent`, or null. */
export function parseTraceparent(header: string | null | undefined): TraceParent | null {
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header?.trim() ?? "");
  if (!m || m[1] === "ff" || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return null;
  return { traceId: m[2]!, spanId: m[3]!, sampled: (parseInt(m[4]!, 16) & 1) === 1, flags: m[4]! };
}

/** The trace flags of a trace the kernel starts: sampled (it records every span in the history). */
export const SAMPLED = "01";

/** `flags`: the caller's, when the trace is the caller's (W3C: a participant passes them on). */
export function formatTraceparent(traceId: string, spanId: string, flags = SAMPLED): string {
  return `00-${traceId}-${spanId}-${flags}`;
}
