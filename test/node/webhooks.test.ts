/**
 * The webhook routes through app.request() on Node: every bad input of the contract, dedupe,
 * correlation, embedding, problem+json for every error, and KV reads per webhook.
 */
import { Hono } from "hono";
import { beforeEach, describe, expect, it } from "vitest";
import { createEventProcessor, type KernelEventProcessor } from "../../src/events/index.ts";
import { DRAIN_FACTOR } from "../../src/http/body.ts";
import { createApp } from "../../src/http/app.ts";
import { createAdminAuth } from "../../src/http/auth.ts";
import type { HttpDeps } from "../../src/http/deps.ts";
import { signWebhook } from "../../src/http/standard-webhooks.ts";
import { createKernel, type Kernel } from "../../src/entries/runtime.ts";
import { createMemoryDriver, type KVDriver } from "../../src/entries/drivers.ts";
import { eventBody, RecorderPlugin, signedRequest, unusedScheduler } from "../fixtures/webhook-kit.ts";

const TENANT = "6f1c2a4e-8b1d-4c3e-9f00-1234567890ab";
const START = Date.UTC(2026, 10, 24, 0, 0, 0);
const BASE = "http://kernel.test";
const URL_ = `${BASE}/v1/webhooks/${TENANT}`;
const MASTER_KEYS = "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

interface Setup {
  kernel: Kernel;
  app: Hono;
  events: KernelEventProcessor;
  plugin: RecorderPlugin;
  secret: string;
  clock: { now: number };
  driver: KVDriver;
}

async function setup(options: { driver?: KVDriver; bodyLimitBytes?: number } = {}): Promise<Setup> {
  const clock = { now: START };
  const driver = options.driver ?? createMemoryDriver({ now: () => clock.now });
  const plugin = new RecorderPlugin();
  const kernel = createKernel({
    driver,
    masterKeys: MASTER_KEYS,
    plugins: [plugin],
    now: () => clock.now,
    log: { level: "error", sink: () => {} },
  });
  const { generatedSecret } = await kernel.putTenant(TENANT, { slug: "acme", plan: "pro" });
  await kernel.enable(TENANT, "recorder");
  const events = createEventProcessor(kernel);
  const deps: HttpDeps = {
    kernel,
    scheduler: unusedScheduler,
    events,
    auth: createAdminAuth({ secret: "x".repeat(32) }),
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    webhookToleranceSeconds: 300,
  };
  return { kernel, app: createApp(deps), events, plugin, secret: generatedSecret!, clock, driver };
}

const ts = (s: Setup, offsetSeconds = 0) => Math.floor(s.clock.now / 1000) + offsetSeconds;

async function expectProblem(res: Response, status: number): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = await res.json() as Record<string, unknown>;
  expect(body.status).toBe(status);
  expect(typeof body.title).toBe("string");
  expect(String(body.type)).toMatch(/^https:\/\//);
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  return body;
}

describe("POST /v1/webhooks/:tenant_id", () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });

  it("accepts a signed event with 202, dispatches it once and records the final outcome", async () => {
    const req = await signedRequest(URL_, s.secret, eventBody(), {
      id: "msg_1",
      timestamp: ts(s),
      headers: { "x-correlation-id": "corr-42" },
    });
    const res = await s.app.request(req);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id: "msg_1", status: "accepted" });
    await s.events.idle();
    expect(s.plugin.seen).toHaveLength(1);
    const seen = s.plugin.seen[0]!;
    expect(seen.hook).toBe("contentPublished");
    expect(seen.contentId).toBe("post-1");
    expect(seen.content).toEqual({ title: "Hello" });
    expect(seen.metadata).toEqual({ author: "ann" });
    expect(seen.ctx.correlationId).toBe("corr-42");
    expect(seen.ctx.causationId).toBe("msg_1");
    expect(seen.ctx.tenantSlug).toBe("acme");
    const history = await s.kernel.history.list(TENANT, { kind: "hook" });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ plugin: "recorder", eventId: "msg_1", status: "succeeded", final: true });
  });

  it("maps each event type to its action hook and takes the trace id of traceparent", async () => {
    const trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    for (const type of ["content.updated", "content.deleted"]) {
      const res = await s.app.request(
        await signedRequest(URL_, s.secret, eventBody(type), {
          timestamp: ts(s),
          headers: { traceparent: `00-${trace}-00f067aa0ba902b7-01` },
        }),
      );
      expect(res.status).toBe(202);
    }
    await s.events.idle();
    expect(s.plugin.seen.map((x) => x.hook)).toEqual(["contentUpdated", "contentDeleted"]);
    expect(s.plugin.seen[0]!.ctx.correlationId).toBe(trace);
    // content.deleted may come without content
    const body = JSON.stringify({
      type: "content.deleted",
      timestamp: "2026-11-24T00:00:00Z",
      data: { content_id: "x" },
    });
    expect((await s.app.request(await signedRequest(URL_, s.secret, body, { timestamp: ts(s) }))).status).toBe(202);
  });

  it("answers a redelivered webhook-id with 200 duplicate and no second dispatch", async () => {
    const first = await s.app.request(
      await signedRequest(URL_, s.secret, eventBody(), { id: "msg_dup", timestamp: ts(s) }),
    );
    expect(first.status).toBe(202);
    await s.events.idle();
    s.clock.now += 23 * 3600 * 1000; // still inside the 24 h window (and new signature timestamp)
    const again = await s.app.request(
      await signedRequest(URL_, s.secret, eventBody(), { id: "msg_dup", timestamp: ts(s) }),
    );
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ id: "msg_dup", status: "duplicate" });
    await s.events.idle();
    expect(s.plugin.seen).toHaveLength(1);
  });

  it("dispatches concurrent duplicates once", async () => {
    const requests = await Promise.all(
      Array.from({ length: 8 }, () => signedRequest(URL_, s.secret, eventBody(), { id: "msg_conc", timestamp: ts(s) })),
    );
    const responses = await Promise.all(requests.map((r) => s.app.request(r)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 202]);
    await s.events.idle();
    expect(s.plugin.seen).toHaveLength(1);
    expect(await s.kernel.history.list(TENANT, { kind: "hook" })).toHaveLength(1);
  });

  it("refuses missing, garbled and padded signature headers with 401", async () => {
    const body = eventBody();
    const good = await signedRequest(URL_, s.secret, body, { id: "msg_h", timestamp: ts(s) });
    const sig = good.headers.get("webhook-signature")!;
    const variants: Record<string, string | null>[] = [
      { "webhook-id": null },
      { "webhook-timestamp": null },
      { "webhook-signature": null },
      { "webhook-signature": "" },
      { "webhook-signature": "garbage" },
      { "webhook-signature": "v1,!!!!" },
      { "webhook-signature": `${sig}=` },
      { "webhook-signature": `${sig}AAAA` },
      { "webhook-signature": sig.replace("v1,", "v1,=") },
      { "webhook-signature": `v2,${sig.slice(3)}` },
      { "webhook-signature": sig.slice(0, -2) + (sig.at(-2) === "A" ? "B=" : "A=") },
    ];
    for (const change of variants) {
      const headers = new Headers(good.headers);
      for (const [k, v] of Object.entries(change)) v === null ? headers.delete(k) : headers.set(k, v);
      const res = await s.app.request(new Request(URL_, { method: "POST", headers, body }));
      await expectProblem(res, 401);
    }
    // Whitespace around and between entries is fine (a list), and the good one still passes.
    const padded = new Headers(good.headers);
    padded.set("webhook-signature", `  v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=  ${sig}  `);
    expect((await s.app.request(new Request(URL_, { method: "POST", headers: padded, body }))).status).toBe(202);
  });

  it("refuses a valid signature for another body", async () => {
    const signed = await signedRequest(URL_, s.secret, eventBody("content.published", "a"), { timestamp: ts(s) });
    const res = await s.app.request(
      new Request(URL_, { method: "POST", headers: signed.headers, body: eventBody("content.published", "b") }),
    );
    await expectProblem(res, 401);
    expect(s.plugin.seen).toHaveLength(0);
  });

  it("refuses timestamps ±301 s and ±10 min and non-numeric ones; ±300 s passes", async () => {
    for (const offset of [301, -301, 600, -600]) {
      await expectProblem(
        await s.app.request(await signedRequest(URL_, s.secret, eventBody(), { timestamp: ts(s, offset) })),
        401,
      );
    }
    for (const offset of [300, -300]) {
      expect(
        (await s.app.request(await signedRequest(URL_, s.secret, eventBody(), { timestamp: ts(s, offset) }))).status,
      )
        .toBe(202);
    }
    for (const bad of ["abc", `${ts(s)}.5`, "", "1e9"]) {
      const req = await signedRequest(URL_, s.secret, eventBody(), { timestamp: ts(s) });
      const headers = new Headers(req.headers);
      headers.set("webhook-timestamp", bad);
      await expectProblem(await s.app.request(new Request(URL_, { method: "POST", headers, body: eventBody() })), 401);
    }
  });

  it("refuses an id or timestamp containing '.', even when signed over them", async () => {
    const body = eventBody();
    // id "a.b" + ts, and id "a" + ts "b.…": the signed content would be ambiguous.
    const sig = await signWebhook(s.secret, "msg.1", ts(s), body);
    const headers = {
      "content-type": "application/json",
      "webhook-id": "msg.1",
      "webhook-timestamp": String(ts(s)),
      "webhook-signature": sig,
    };
    await expectProblem(await s.app.request(new Request(URL_, { method: "POST", headers, body })), 401);
    // Timestamp "<ts>.0" signed for real: the signed content "msg.<ts>.0.<body>" is also what
    // signWebhook signs for timestamp <ts> and payload "0.<body>".
    const sig2 = await signWebhook(s.secret, "msg", ts(s), `0.${body}`);
    const headers2 = {
      ...headers,
      "webhook-id": "msg",
      "webhook-timestamp": `${ts(s)}.0`,
      "webhook-signature": sig2,
    };
    await expectProblem(await s.app.request(new Request(URL_, { method: "POST", headers: headers2, body })), 401);
    // The same signature over the same signed content, split at the other '.', verifies: so the 401
    // above is for the '.' in the timestamp, not for a bad signature (that body is not JSON: 400).
    const split = { ...headers2, "webhook-timestamp": String(ts(s)) };
    await expectProblem(
      await s.app.request(new Request(URL_, { method: "POST", headers: split, body: `0.${body}` })),
      400,
    );
  });

  it("answers an unknown tenant exactly like a bad signature (no tenant oracle)", async () => {
    const other = "00000000-0000-4000-8000-000000000000";
    const unknown = await s.app.request(
      await signedRequest(`${BASE}/v1/webhooks/${other}`, s.secret, eventBody(), { timestamp: ts(s) }),
    );
    const wrong = await s.app.request(
      await signedRequest(URL_, "whsec_" + btoa("y".repeat(32)), eventBody(), { timestamp: ts(s) }),
    );
    const a = await expectProblem(unknown, 401);
    const b = await expectProblem(wrong, 401);
    expect(a).toEqual(b);
  });

  it("refuses tenant ids that are not UUIDs or carry path characters, without 2xx or a stack", async () => {
    for (const id of ["acme", "123", `${TENANT}x`, "..%2F..%2Fhealthz", `${TENANT}%00`, "%252e", "%20"]) {
      const res = await s.app.request(
        await signedRequest(`${BASE}/v1/webhooks/${id}`, s.secret, eventBody(), { timestamp: ts(s) }),
      );
      await expectProblem(res, 401);
    }
    // "%2e%2e" is ".." to the URL parser: the path resolves to /v1/, which is not a route.
    const dots = await s.app.request(
      await signedRequest(`${BASE}/v1/webhooks/%2e%2e`, s.secret, eventBody(), { timestamp: ts(s) }),
    );
    await expectProblem(dots, 404);
    const nested = await s.app.request(
      await signedRequest(`${BASE}/v1/webhooks/${TENANT}/../x`, s.secret, eventBody(), { timestamp: ts(s) }),
    );
    expect(nested.status).toBeGreaterThanOrEqual(400);
    expect(nested.headers.get("content-type")).toBe("application/problem+json");
    const slash = await s.app.request(
      await signedRequest(`${BASE}/v1/webhooks/${TENANT}/extra`, s.secret, eventBody(), { timestamp: ts(s) }),
    );
    await expectProblem(slash, 404);
  });

  it("refuses an empty body, an array, null, a scalar and 10,000-deep nesting with 400", async () => {
    const deep = "[".repeat(10_000) + "]".repeat(10_000);
    const deepObject = JSON.stringify({ type: "content.published", timestamp: "2026-11-24T00:00:00Z", data: {} })
      .replace('"data":{}', `"data":{"content_id":"x","content":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}`);
    for (const body of ["", "[]", "null", "42", '"text"', "[1,2]", deep, deepObject, "{", '{"type":', "\u0000"]) {
      const problem = await expectProblem(
        await s.app.request(await signedRequest(URL_, s.secret, body, { timestamp: ts(s) })),
        400,
      );
      expect(problem.detail).toBeTruthy();
    }
    expect(s.plugin.seen).toHaveLength(0);
  });

  it("refuses invalid UTF-8 with 400", async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
    await expectProblem(await s.app.request(await signedRequest(URL_, s.secret, bytes, { timestamp: ts(s) })), 400);
  });

  it("refuses a 2 MiB body with 413 before verifying it", async () => {
    const big = JSON.stringify({ pad: "x".repeat(2 * 1024 * 1024) });
    const res = await s.app.request(await signedRequest(URL_, s.secret, big, { timestamp: ts(s) }));
    await expectProblem(res, 413);
  });

  it("refuses a streamed 100 MB body with 413 after reading at most DRAIN_FACTOR times the limit", async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const total = 100 * 1024 * 1024;
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= total) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    }, { highWaterMark: 0 });
    const signed = await signedRequest(URL_, s.secret, "{}", { timestamp: ts(s) });
    const req = new Request(URL_, {
      method: "POST",
      headers: signed.headers, // no content-length: a chunked upload
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(req.headers.get("content-length")).toBeNull();
    await expectProblem(await s.app.request(req), 413);
    // Drained (read and dropped) up to DRAIN_FACTOR × the limit, then cancelled: see src/http/body.ts.
    expect(pulled).toBeLessThanOrEqual(DRAIN_FACTOR * 1024 * 1024 + 2 * chunk.length);
    expect(pulled).toBeLessThan(total / 20);
  });

  it("refuses a declared 100 MB content-length without reading", async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(1024));
      },
    }, { highWaterMark: 0 });
    const signed = await signedRequest(URL_, s.secret, "{}", { timestamp: ts(s) });
    const headers = new Headers(signed.headers);
    headers.set("content-length", String(100 * 1024 * 1024));
    const req = new Request(URL_, { method: "POST", headers, body: stream, duplex: "half" } as RequestInit);
    await expectProblem(await s.app.request(req), 413);
    expect(pulled).toBe(0);
  });

  it("refuses a non-JSON content type with 415", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", null]) {
      const signed = await signedRequest(URL_, s.secret, eventBody(), { timestamp: ts(s) });
      const headers = new Headers(signed.headers);
      if (type) headers.set("content-type", type);
      else headers.delete("content-type");
      const res = await s.app.request(
        new Request(URL_, { method: "POST", headers, body: new TextEncoder().encode(eventBody()) }),
      );
      await expectProblem(res, 415);
    }
    const withCharset = await signedRequest(URL_, s.secret, eventBody(), {
      timestamp: ts(s),
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect((await s.app.request(withCharset)).status).toBe(202);
  });

  it("answers an unknown event type with 422 and bad fields with 400 naming them", async () => {
    const unknown = await s.app.request(
      await signedRequest(URL_, s.secret, eventBody("content.exploded"), { timestamp: ts(s) }),
    );
    await expectProblem(unknown, 422);
    const cases: [string, string][] = [
      [
        JSON.stringify({ type: "content.published", timestamp: "2026-11-24T00:00:00Z", data: { content: {} } }),
        "/data/content_id",
      ],
      [
        JSON.stringify({
          type: "content.published",
          timestamp: "2026-11-24T00:00:00Z",
          data: { content_id: "", content: {} },
        }),
        "/data/content_id",
      ],
      [
        JSON.stringify({
          type: "content.published",
          timestamp: "2026-11-24T00:00:00Z",
          data: { content_id: 7, content: {} },
        }),
        "/data/content_id",
      ],
      [
        JSON.stringify({ type: "content.published", timestamp: "2026-11-24T00:00:00Z", data: { content_id: "a" } }),
        "/data/content",
      ],
      [JSON.stringify({ type: "content.published", timestamp: "2026-11-24T00:00:00Z", data: [] }), "/data"],
      [JSON.stringify({ type: "content.published", data: { content_id: "a", content: {} } }), "/timestamp"],
      [JSON.stringify({ timestamp: "2026-11-24T00:00:00Z", data: { content_id: "a", content: {} } }), "/type"],
      [
        JSON.stringify({
          type: "content.published",
          timestamp: "x",
          data: { content_id: "a", content: {}, metadata: 3 },
        }),
        "/data/metadata",
      ],
    ];
    for (const [body, path] of cases) {
      const problem = await expectProblem(
        await s.app.request(await signedRequest(URL_, s.secret, body, { timestamp: ts(s) })),
        400,
      );
      expect((problem.errors as { path: string }[]).map((e) => e.path)).toContain(path);
    }
    // A type that is there but not a string is not called missing.
    const numeric = JSON.stringify({
      type: 5,
      timestamp: "2026-11-24T00:00:00Z",
      data: { content_id: "a", content: {} },
    });
    const answer = await expectProblem(
      await s.app.request(await signedRequest(URL_, s.secret, numeric, { timestamp: ts(s) })),
      400,
    );
    expect(answer.detail).toBe("the event type must be a string");
    expect(s.plugin.seen).toHaveLength(0);
  });

  it("answers 503 (retry) when the event cannot be made durable, and accepts the retry", async () => {
    const base = createMemoryDriver({ now: () => Date.now() });
    let broken = false;
    const flaky: KVDriver = {
      ...base,
      name: "flaky",
      put: (k, v, o) => broken && k.startsWith("inbox:") ? Promise.reject(new Error("KV down")) : base.put(k, v, o),
      // The event and its inbox marker in one commit: it fails as a whole.
      claimWith: (claim, writes) => broken ? Promise.reject(new Error("KV down")) : base.claimWith!(claim, writes),
    };
    const t = await setup({ driver: flaky });
    broken = true;
    const res = await t.app.request(
      await signedRequest(URL_, t.secret, eventBody(), { id: "msg_503", timestamp: ts(t) }),
    );
    const problem = await expectProblem(res, 503);
    expect(problem.detail).not.toMatch(/KV down/);
    expect(res.headers.get("retry-after")).toBe("5");
    broken = false;
    const retry = await t.app.request(
      await signedRequest(URL_, t.secret, eventBody(), { id: "msg_503", timestamp: ts(t) }),
    );
    expect(retry.status).toBe(202);
    await t.events.idle();
    expect(t.plugin.seen).toHaveLength(1);
  });

  it("costs no KV read when warm and at most one when cold", async () => {
    const base = createMemoryDriver({ now: () => s.clock.now });
    const reads = { n: 0 };
    const counting: KVDriver = {
      ...base,
      get: (k) => (reads.n++, base.get(k)),
      getMany: (k) => (reads.n++, base.getMany(k)),
      list: (o) => (reads.n++, base.list(o)),
    };
    const t = await setup({ driver: counting });
    t.clock.now = s.clock.now;
    // Cold: a fresh kernel on the same storage (a new isolate).
    const cold = createKernel({
      driver: counting,
      masterKeys: MASTER_KEYS,
      plugins: [new RecorderPlugin()],
      now: () => t.clock.now,
      log: { sink: () => {} },
    });
    const coldApp = createApp({
      kernel: cold,
      scheduler: unusedScheduler,
      events: createEventProcessor(cold),
      auth: createAdminAuth({ secret: "x".repeat(32) }),
      bodyLimitBytes: 1 << 20,
      webhookToleranceSeconds: 300,
    });
    reads.n = 0;
    expect((await coldApp.request(await signedRequest(URL_, t.secret, eventBody(), { timestamp: ts(t) }))).status).toBe(
      202,
    );
    expect(reads.n).toBeLessThanOrEqual(1);
    reads.n = 0;
    for (let i = 0; i < 5; i++) {
      expect((await coldApp.request(await signedRequest(URL_, t.secret, eventBody(), { timestamp: ts(t) }))).status)
        .toBe(202);
    }
    expect(reads.n).toBe(0);
  });
});

describe("POST /v1/tenants/:id/filters/…", () => {
  it("runs the filter chain and answers the content, or 422 naming the plugin", async () => {
    const s = await setup();
    const url = `${BASE}/v1/tenants/${TENANT}/filters/content.before_create`;
    const body = JSON.stringify({ content: { title: "x" }, metadata: {} });
    const ok = await s.app.request(await signedRequest(url, s.secret, body, { timestamp: ts(s) }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ content: { title: "x", seen_by_recorder: true } });
    const upd = await s.app.request(
      await signedRequest(`${BASE}/v1/tenants/${TENANT}/filters/content.before_update`, s.secret, body, {
        timestamp: ts(s),
      }),
    );
    expect(await upd.json()).toEqual({ content: { title: "x", updated_by: "recorder" } });
    s.plugin.rejectWith = "titles must not be x";
    const rejected = await expectProblem(
      await s.app.request(await signedRequest(url, s.secret, body, { timestamp: ts(s) })),
      422,
    );
    expect(rejected.plugin).toBe("recorder");
    expect(rejected.detail).toBe("titles must not be x");
    // A filter that fails (not a PluginError) did not judge the content: 503, retry later, no error text.
    s.plugin.rejectWith = null;
    s.plugin.beforeContentCreate = () => {
      throw new TypeError("cannot read properties of undefined (token tok_filter_secret_42)");
    };
    const failed = await s.app.request(await signedRequest(url, s.secret, body, { timestamp: ts(s) }));
    const problemBody = await expectProblem(failed, 503);
    expect(failed.headers.get("retry-after")).toBe("5");
    expect(problemBody).toMatchObject({ type: expect.stringContaining("filter-failed"), plugin: "recorder" });
    expect(JSON.stringify(problemBody)).not.toContain("tok_filter_secret_42");
    await expectProblem(await s.app.request(await signedRequest(url, "whsec_" + btoa("z".repeat(32)), body)), 401);
    await expectProblem(await s.app.request(await signedRequest(url, s.secret, "[]", { timestamp: ts(s) })), 400);
    await expectProblem(
      await s.app.request(await signedRequest(`${BASE}/v1/tenants/${TENANT}/filters/content.nope`, s.secret, body)),
      404,
    );
  });
});

describe("refusals before the body is needed", () => {
  it("read the body to its end rather than cancel it, so the sender's keep-alive connection stays usable", async () => {
    const s = await setup();
    const streamed = () => {
      const seen = { read: 0, cancelled: false };
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 4) {
            seen.read++;
            controller.enqueue(new TextEncoder().encode('{"pad":"' + "x".repeat(1000) + '"}'));
          } else controller.close();
        },
        cancel() {
          seen.cancelled = true;
        },
      });
      return { body, seen };
    };
    // Unsigned (401), and with the wrong content type (415): each body is read to its end, not cancelled.
    for (const [contentType, status] of [["application/json", 401], ["text/plain", 415]] as const) {
      const { body, seen } = streamed();
      const refused = await s.app.request(URL_, {
        method: "POST",
        headers: { "content-type": contentType },
        body,
        duplex: "half",
      } as RequestInit);
      expect(refused.status).toBe(status);
      expect(seen).toEqual({ read: 4, cancelled: false });
    }
  });
});

describe("createApp", () => {
  it("answers /healthz, 404 and 405 as problem+json, and 500 without a stack", async () => {
    const s = await setup();
    const health = await s.app.request("/healthz");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    await expectProblem(await s.app.request("/nope"), 404);
    const m = await expectProblem(await s.app.request(`/v1/webhooks/${TENANT}`), 405);
    expect(m.detail).toMatch(/GET/);
    expect((await s.app.request(`/v1/webhooks/${TENANT}`, { method: "PUT" })).headers.get("allow")).toBe("POST");
    await expectProblem(await s.app.request("/healthz", { method: "DELETE" }), 405);

    const boom = createApp({ ...s.app && depsOf(s) }, {
      admin: () =>
        new Hono().get("/boom", () => {
          throw new Error("secret internals at /srv/app.ts:12");
        }),
    });
    const res = await boom.request("/v1/boom");
    const problem = await expectProblem(res, 500);
    expect(JSON.stringify(problem)).not.toMatch(/internals|srv/);
  });

  it("works mounted inside another Hono app", async () => {
    const s = await setup();
    const parent = new Hono();
    parent.get("/", (c) => c.text("site"));
    parent.route("/cms", s.app);
    expect(await (await parent.request("/")).text()).toBe("site");
    expect(await (await parent.request("/cms/healthz")).json()).toEqual({ status: "ok" });
    const res = await parent.request(
      await signedRequest(`${BASE}/cms/v1/webhooks/${TENANT}`, s.secret, eventBody(), { timestamp: ts(s) }),
    );
    expect(res.status).toBe(202);
    await s.events.idle();
    expect(s.plugin.seen).toHaveLength(1);
    await expectProblem(await parent.request("/cms/nothing"), 404);
    await expectProblem(await parent.request(`/cms/v1/webhooks/${TENANT}`), 405);
  });
});

function depsOf(s: Setup): HttpDeps {
  return {
    kernel: s.kernel,
    scheduler: unusedScheduler,
    events: s.events,
    auth: createAdminAuth({ secret: "x".repeat(32) }),
    bodyLimitBytes: 1 << 20,
    webhookToleranceSeconds: 300,
  };
}
