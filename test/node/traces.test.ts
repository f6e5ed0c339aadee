/**
 * W3C trace context from a webhook into every outbound call: the sender's `traceparent` continues
 * through the accept span, each plugin's hook span and each call of the shared HTTP client (a new
 * span id per attempt, sent as the call's `traceparent`), and the spans are kept in the history.
 */
import { describe, expect, it } from "vitest";
import { type Content, type ContentLifecycleHooks, type HookContext, Plugin } from "../../src/index.ts";
import { createHttpClient } from "../../src/entries/client.ts";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { parseTraceparent } from "../../src/trace/ids.ts";
import { ACCEPT_SPAN_NAME, packAcceptSpan, unpackAcceptSpan } from "../../src/trace/accept.ts";
import type { TraceSpan } from "../../src/trace/span.ts";
import { decodeStoredEvent, encodeStoredEvent, type StoredEvent } from "../../src/events/stored-event.ts";
import type { ContentEvent } from "../../src/events/types.ts";
import { eventBody, signAdminToken, signedRequest } from "../fixtures/webhook-kit.ts";

const ENV = {
  DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  DVP_ADMIN_JWT_SECRET: "traces-test-admin-secret-0123456789",
  DVP_ALLOW_INSECURE_URLS: "true",
  DVP_LOG_LEVEL: "error",
};
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

/** Calls the upstream through the shared client, `calls` times, passing ctx.signal as plugins do. */
class CallerPlugin extends Plugin implements ContentLifecycleHooks {
  readonly version = "1.0.0";
  constructor(readonly name: string, readonly path: string, readonly calls = 1) {
    super();
  }
  async contentPublished(ctx: HookContext, _id: string, _content: Content) {
    const http = createHttpClient({
      fetch: this.fetch,
      logger: this.logger,
      allowInsecureUrls: true,
      retries: 1,
      sleep: () => Promise.resolve(), // a retry at once
    });
    for (let i = 0; i < this.calls; i++) {
      await http.request({ url: `http://upstream.test${this.path}`, method: "POST", json: {}, signal: ctx.signal });
    }
  }
}

interface Sent {
  path: string;
  traceparent: string | null;
}

async function setup(plugins: Plugin[], status = (_path: string) => 200) {
  const sent: Sent[] = [];
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    sent.push({ path, traceparent: request.headers.get("traceparent") });
    return Promise.resolve(new Response("{}", { status: status(path) }));
  };
  const rt: Runtime = createRuntime({
    env: ENV,
    driver: createMemoryDriver(),
    plugins,
    fetch: fetch as typeof globalThis.fetch,
    logSink: () => {},
  });
  const tenant = crypto.randomUUID();
  const token = await signAdminToken(ENV.DVP_ADMIN_JWT_SECRET, { tenants: "*" });
  const admin = (method: string, path: string, body?: unknown) =>
    rt.fetch(
      new Request(`http://kernel.test/v1/tenants/${tenant}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  const created = await admin("PUT", "", { slug: "acme", plan: "pro" });
  const secret = ((await created.json()) as { webhook_secret: string }).webhook_secret;
  for (const p of plugins) expect((await admin("POST", `/plugins/${p.name}/enable`)).status).toBe(200);
  const send = async (headers: Record<string, string> = {}) => {
    const req = await signedRequest(`http://kernel.test/v1/webhooks/${tenant}`, secret, eventBody(), { headers });
    // The dispatch runs in the background (waitUntil): wait for it, so its calls and records are all in.
    const background: Promise<unknown>[] = [];
    expect((await rt.fetch(req, (work) => void background.push(work))).status).toBe(202);
    await Promise.all(background);
    await rt.events.idle();
  };
  const executions = async () =>
    ((await (await admin("GET", "/executions?kind=hook")).json()) as { executions: Record<string, any>[] }).executions;
  return { rt, sent, send, executions };
}

describe("traces", () => {
  it("the sender's traceparent continues into the hook and its outbound call, and the spans are in the history", async () => {
    const { sent, send, executions } = await setup([new CallerPlugin("caller", "/deploy")]);
    await send({ traceparent: `00-${TRACE}-${PARENT}-01` });
    expect(sent).toHaveLength(1);
    const outbound = parseTraceparent(sent[0]!.traceparent)!;
    expect(outbound.traceId).toBe(TRACE);
    expect(outbound.spanId).not.toBe(PARENT);

    const [record] = await executions();
    expect(record).toMatchObject({ plugin: "caller", status: "succeeded", correlation_id: TRACE });
    const [accept, hook, call] = record!.spans;
    expect(record!.spans).toHaveLength(3);
    expect(accept).toMatchObject({
      kind: "accept",
      name: "POST /v1/webhooks/{tenant_id}",
      trace_id: TRACE,
      parent_span_id: PARENT,
    });
    expect(hook).toMatchObject({
      kind: "hook",
      name: "contentPublished",
      trace_id: TRACE,
      parent_span_id: accept.span_id,
    });
    expect(call).toMatchObject({
      kind: "http",
      name: "POST http://upstream.test/deploy",
      trace_id: TRACE,
      span_id: outbound.spanId,
      parent_span_id: hook.span_id,
      status: 200,
    });
    for (const span of record!.spans) {
      expect(span.duration_ms).toBeGreaterThanOrEqual(0);
      expect(Date.parse(span.start)).not.toBeNaN();
    }
    // Oldest first: accept, then the hook, then its call inside it.
    expect(Date.parse(accept.start)).toBeLessThanOrEqual(Date.parse(hook.start));
    expect(Date.parse(hook.start)).toBeLessThanOrEqual(Date.parse(call.start));
  });

  it("without a traceparent a trace starts at the webhook; each plugin's calls are its own, each attempt a span", async () => {
    const { sent, send, executions } = await setup(
      [new CallerPlugin("alpha", "/a", 2), new CallerPlugin("beta", "/b")],
      (path) => path === "/b" && !sentB++ ? 503 : 200,
    );
    let sentB = 0;
    await send();
    const records = await executions();
    expect(records.map((r) => r.plugin).sort()).toEqual(["alpha", "beta"]);
    const traceIds = new Set(records.flatMap((r) => r.spans.map((s: { trace_id: string }) => s.trace_id)));
    expect(traceIds.size).toBe(1); // one trace for the webhook, both plugins
    const byPlugin = Object.fromEntries(records.map((r) => [r.plugin, r.spans]));
    const calls = (p: string) => byPlugin[p].filter((s: { kind: string }) => s.kind === "http");
    expect(calls("alpha").map((s: { name: string }) => s.name)).toEqual([
      "POST http://upstream.test/a",
      "POST http://upstream.test/a",
    ]);
    // beta's first attempt got 503 and was retried: two spans, two traceparents.
    expect(calls("beta").map((s: { status: number }) => s.status)).toEqual([503, 200]);
    const sentIds = sent.map((s) => parseTraceparent(s.traceparent)!.spanId);
    expect(new Set(sentIds).size).toBe(sent.length);
    for (const p of ["alpha", "beta"]) {
      const hook = byPlugin[p].find((s: { kind: string }) => s.kind === "hook");
      for (const call of calls(p)) {
        expect(call.parent_span_id).toBe(hook.span_id);
        expect(sentIds).toContain(call.span_id);
      }
    }
  });

  it("a record's spans stay small: at most 20 calls, and a long error is replaced, never cut", async () => {
    const busy = new CallerPlugin("busy", "/many", 25);
    const failing = new CallerPlugin("failing", "/x");
    failing.contentPublished = () => Promise.reject(new Error(`upstream said ${"x".repeat(5_000)}`));
    const { send, executions, rt } = await setup([busy, failing]);
    const errors: string[] = [];
    rt.kernel.log.sink = (record, line) => void (record.level === "error" && errors.push(line));
    await send();
    const records = await executions();
    const spans = (p: string) => records.find((r) => r.plugin === p)!.spans as Record<string, any>[];
    expect(spans("busy").filter((s) => s.kind === "http")).toHaveLength(20);
    const hook = spans("failing").find((s) => s.kind === "hook")!;
    expect(hook.error).toBe("failed: the record's error says why");
    expect(errors.some((line) => line.includes("contentPublished failed in plugin failing"))).toBe(true);
  });

  it("a long path does not make a long span name: past 300 characters the name is the method and origin", async () => {
    // A path can come from content (a slug, a title): 21 calls with 4 KB paths made ~84 KB of spans.
    const path = `/pages/${"p".repeat(4_000)}`;
    const { sent, send, executions } = await setup([new CallerPlugin("long", path, 21)]);
    await send();
    expect(sent).toHaveLength(21);
    const [record] = await executions();
    const calls = (record!.spans as Record<string, any>[]).filter((s) => s.kind === "http");
    expect(calls).toHaveLength(20);
    for (const call of calls) expect(call.name).toBe("POST http://upstream.test/…");
    expect(JSON.stringify(record!.spans).length).toBeLessThan(16 * 1024);
  });

  it("the caller's trace flags are carried forward: not sampled in, not sampled out", async () => {
    const { sent, send } = await setup([new CallerPlugin("caller", "/deploy")]);
    await send({ traceparent: `00-${TRACE}-${PARENT}-00` });
    await send({ traceparent: `00-${TRACE}-${PARENT}-01` });
    await send();
    expect(sent.map((s) => s.traceparent!.slice(-3))).toEqual(["-00", "-01", "-01"]);
    expect(parseTraceparent(sent[0]!.traceparent)).toMatchObject({ traceId: TRACE, sampled: false });
  });

  it("a request without a hook's signal carries no traceparent", async () => {
    const seen: (string | null)[] = [];
    const http = createHttpClient({
      fetch: (input, init) => {
        seen.push(new Request(input, init).headers.get("traceparent"));
        return Promise.resolve(new Response("{}"));
      },
      allowInsecureUrls: true,
    });
    await http.request({ url: "http://upstream.test/x", signal: new AbortController().signal });
    await http.request({ url: "http://upstream.test/x" });
    expect(seen).toEqual([null, null]);
  });
});

describe("the accept span in the stored event", () => {
  const span = (extra: Partial<TraceSpan> = {}): TraceSpan => ({
    kind: "accept",
    name: ACCEPT_SPAN_NAME,
    traceId: TRACE,
    spanId: "b7ad6b7169203331",
    startMs: 1_796_539_555_816,
    durationMs: 12,
    ...extra,
  });
  const event: ContentEvent = {
    id: "msg_1",
    tenantId: "3f1c1e6e-9a55-4c1e-8f38-0d8b1f6f7a10",
    type: "content.published",
    timestamp: "2026-11-24T00:00:00Z",
    contentId: "post-1",
    content: { title: "Hello" },
    correlationId: null,
    receivedAt: "2026-11-24T00:00:01.000Z",
  };

  it("is packed into a short text and read back whole, with or without the sender's parent", () => {
    for (const s of [span(), span({ parentSpanId: PARENT, flags: "00" })]) {
      const packed = packAcceptSpan(s);
      expect(packed.length).toBeLessThan(JSON.stringify(s).length / 2);
      expect(unpackAcceptSpan(packed)).toEqual(s);
    }
    expect(unpackAcceptSpan("not a span")).toBeUndefined();
  });

  it("comes back from the stored text with the event, which leaves out what its key says", () => {
    const stored: StoredEvent = { v: 1, event: { ...event, trace: span() }, hook: "contentPublished", plugins: ["a"] };
    const text = encodeStoredEvent(stored);
    expect(text).not.toContain(event.tenantId);
    expect(text).not.toContain('"msg_1"');
    expect(decodeStoredEvent(text, event.tenantId, event.id)).toEqual(stored);
  });

  it("is read from events stored in the earlier shape (every field, the span as an object)", () => {
    const earlier = {
      v: 1,
      event: { ...event, correlationId: "c-1", trace: span() },
      hook: "contentPublished",
      plugins: [],
    };
    expect(decodeStoredEvent(JSON.stringify(earlier), event.tenantId, event.id)).toEqual(earlier);
  });
});
