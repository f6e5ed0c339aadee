/**
 * The spans of one dispatch: the accept span it descends from (a webhook's), one hook span per
 * plugin, and the outbound calls each plugin made, children of its hook span. The HTTP client
 * finds the collector through the signal of the hook's context (ctx.signal, which plugins pass to
 * their requests) and attributes each call to the plugin its logger names.
 */
import { formatTraceparent, newSpanId, newTraceId } from "./ids.ts";
import type { TraceSpan } from "./span.ts";

/**
 * Outbound call spans kept per plugin and dispatch, and the longest error text a span keeps: a
 * record (and the copy the event pipeline keeps of it) stays well inside Deno KV's 64 KiB whatever
 * a hook does.
 */
export const MAX_CALL_SPANS = 20;
const MAX_SPAN_ERROR = 300;
/** The longest call span name: past it, the method and origin (a path can come from content). */
const MAX_SPAN_NAME = 300;

/**
 * The error text, or a short stand-in when it is longer: never a cut (a secret cut in two would
 * escape the scrubbing the history applies to every string of a record).
 */
function spanError(text: string, standIn: string): string {
  return text.length <= MAX_SPAN_ERROR ? text : standIn;
}

/**
 * "POST https://host/path…", or "POST https://host/…" when longer than MAX_SPAN_NAME: a stand-in,
 * not a cut, for the same reason as the error's.
 */
function spanName(name: string): string {
  if (name.length <= MAX_SPAN_NAME) return name;
  const space = name.indexOf(" ");
  const method = space > 0 && space < 16 ? name.slice(0, space + 1) : "";
  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*/i.exec(name.slice(method.length))?.[0];
  const short = `${method}${origin ?? ""}/…`;
  return short.length <= MAX_SPAN_NAME ? short : `${method}…`;
}

export interface OpenCall {
  /** The `traceparent` to send: this call's span as the parent of the server's. */
  readonly traceparent: string;
  end(status: number, error?: string): void;
}

export class TraceCollector {
  #traceId: string | undefined;
  readonly #accept: TraceSpan | undefined;
  readonly #hookSpanIds = new Map<string, string>();
  readonly #calls = new Map<string, TraceSpan[]>();
  #sole = "";

  /** `accept`: the webhook's accept span, whose trace this continues; else a trace of its own. */
  constructor(accept?: TraceSpan, traceId?: string) {
    this.#accept = accept;
    this.#traceId = accept?.traceId ?? traceId;
  }

  /** Made on first use: most filter calls and checks never make an outbound call or a record. */
  get traceId(): string {
    return this.#traceId ??= newTraceId();
  }

  /** The span id of `plugin`'s hook in this dispatch (made on first use). */
  hookSpanId(plugin: string): string {
    let id = this.#hookSpanIds.get(plugin);
    if (!id) this.#hookSpanIds.set(plugin, id = newSpanId());
    return id;
  }

  /** Starts an outbound call of the plugin `owner` ("" if unknown), its hook span the parent. */
  startCall(owner: string, name: string): OpenCall {
    const plugin = owner || this.#sole;
    const span: TraceSpan = {
      kind: "http",
      name: spanName(name),
      traceId: this.traceId,
      spanId: newSpanId(),
      parentSpanId: this.hookSpanId(plugin),
      startMs: Date.now(),
      durationMs: 0,
    };
    return {
      traceparent: formatTraceparent(this.traceId, span.spanId, this.#accept?.flags),
      end: (status, error) => {
        span.durationMs = Date.now() - span.startMs;
        span.status = status;
        if (error !== undefined) span.error = spanError(error, status ? `HTTP ${status}` : "no response");
        let list = this.#calls.get(plugin);
        if (!list) this.#calls.set(plugin, list = []);
        if (list.length < MAX_CALL_SPANS) list.push(span);
      },
    };
  }

  /**
   * Only `plugin` runs in this dispatch: calls from clients whose logger names no plugin are its
   * calls too (without this they are left out of every record).
   */
  soleHook(plugin: string): void {
    this.#sole = plugin;
  }

  /** The spans for `plugin`'s record: the accept span, its hook span, its calls; oldest first. */
  spansFor(plugin: string, hook: { name: string; startMs: number; durationMs: number; error?: string }): TraceSpan[] {
    const spans: TraceSpan[] = this.#accept ? [this.#accept] : [];
    spans.push({
      kind: "hook",
      name: hook.name,
      traceId: this.traceId,
      spanId: this.hookSpanId(plugin),
      ...(this.#accept ? { parentSpanId: this.#accept.spanId } : {}),
      startMs: hook.startMs,
      durationMs: Math.round(hook.durationMs),
      ...(hook.error !== undefined ? { error: spanError(hook.error, "failed: the record's error says why") } : {}),
    });
    for (const call of this.#calls.get(plugin) ?? []) spans.push(call);
    return spans;
  }
}

const bySignal = new WeakMap<AbortSignal, TraceCollector>();

/** Links a hook context's signal to its dispatch's collector (src/context.ts does, when the signal is made). */
export function linkSignal(signal: AbortSignal, collector: TraceCollector): void {
  bySignal.set(signal, collector);
}

/** The collector of the hook whose signal a request carries, if any. */
export function collectorOf(signal: AbortSignal | undefined): TraceCollector | undefined {
  return signal ? bySignal.get(signal) : undefined;
}
