import { afterEach, describe, expect, it } from "vitest";
import { createHttpClient, type HttpClientOptions } from "../../src/net/http-client.ts";
import { parseRetryAfter } from "../../src/net/retry.ts";
import { backoffDelay } from "../../src/timing/backoff.ts";
import { getLogger, LogConfig, type LogRecord } from "../../src/logger.ts";
import { type FakeServer, sendJson, startFakeServer } from "../fakes/server.ts";

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A client with a recorded, instant sleep and captured logs. */
function client(extra: Partial<HttpClientOptions> = {}) {
  const sleeps: number[] = [];
  const records: LogRecord[] = [];
  const lines: string[] = [];
  const log = new LogConfig({ level: "debug", sink: (r, line) => (records.push(r), lines.push(line)) });
  const http = createHttpClient({
    fetch: (i, init) => fetch(i, init),
    logger: getLogger("test", log).child({ plugin: "test-plugin" }),
    logContext: { tenant_id: "t-1" },
    allowInsecureUrls: true,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    ...extra,
  });
  return { http, sleeps, records, lines };
}

/** A server answering from a script of responses, one per request. */
async function scripted(...steps: ((res: import("node:http").ServerResponse) => void)[]) {
  let i = 0;
  server = await startFakeServer((_req, res) => steps[Math.min(i++, steps.length - 1)]!(res));
  return server;
}

describe("HTTP client", () => {
  it("returns parsed JSON on success", async () => {
    const s = await scripted((res) => sendJson(res, 200, { hello: "world" }));
    const { http } = client();
    const result = await http.request<{ hello: string }>({ url: `${s.url}/x`, query: { a: 1, b: undefined } });
    expect(result).toMatchObject({ success: true, status: 200, data: { hello: "world" }, attempts: 1 });
    expect(s.requests[0]!.url).toBe("/x?a=1");
  });

  it("retries 5xx with exponential backoff and jitter, then succeeds", async () => {
    const s = await scripted(
      (res) => sendJson(res, 500, { error: "boom" }),
      (res) => sendJson(res, 502, {}),
      (res) => sendJson(res, 200, { ok: true }),
    );
    const { http, sleeps, records } = client({ baseDelayMs: 100 });
    const result = await http.request({ url: s.url });
    expect(result).toMatchObject({ success: true, attempts: 3 });
    expect(sleeps).toEqual([75, 150]); // equal jitter at random()=0.5: step/2 + step/4
    expect(records.filter((r) => r.msg === "request failed, retrying")).toHaveLength(2);
    expect(records[0]).toMatchObject({ tenant_id: "t-1", plugin: "test-plugin", status: 500 });
  });

  it("gives up after the configured retries with a structured error", async () => {
    const s = await scripted((res) => sendJson(res, 500, { error: { message: "internal" } }));
    const { http, sleeps } = client({ retries: 2 });
    const result = await http.request({ url: s.url });
    expect(result).toMatchObject({ success: false, status: 500, code: "http_error", error: "HTTP 500: internal" });
    expect(s.requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  for (const status of [400, 401, 403, 404, 422]) {
    it(`does not retry ${status}`, async () => {
      const s = await scripted((res) => sendJson(res, status, { message: "nope" }));
      const { http, sleeps } = client();
      const result = await http.request({ url: s.url });
      expect(result).toMatchObject({ success: false, status, error: `HTTP ${status}: nope` });
      expect(s.requests).toHaveLength(1);
      expect(sleeps).toHaveLength(0);
    });
  }

  it("honours Retry-After in seconds on 429", async () => {
    const s = await scripted(
      (res) => sendJson(res, 429, {}, { "retry-after": "7" }),
      (res) => sendJson(res, 200, {}),
    );
    const { http, sleeps } = client();
    expect((await http.request({ url: s.url })).success).toBe(true);
    expect(sleeps).toEqual([7000]);
  });

  it("honours Retry-After as an HTTP date on 503", async () => {
    const now = Date.parse("2026-11-24T10:00:00Z");
    const s = await scripted(
      (res) => sendJson(res, 503, {}, { "retry-after": "Tue, 24 Nov 2026 10:00:12 GMT" }),
      (res) => sendJson(res, 200, {}),
    );
    const { http, sleeps } = client({ now: () => now });
    expect((await http.request({ url: s.url })).success).toBe(true);
    expect(sleeps).toEqual([12_000]);
  });

  it("stops when Retry-After exceeds the cap and reports how long to wait", async () => {
    const s = await scripted((res) => sendJson(res, 429, {}, { "retry-after": "3600" }));
    const { http, sleeps } = client({ retryAfterCapMs: 60_000 });
    const result = await http.request({ url: s.url });
    expect(result).toMatchObject({ success: false, status: 429, retryAfterMs: 3_600_000 });
    expect(sleeps).toEqual([]);
  });

  it("times out a slow response and retries it", async () => {
    let calls = 0;
    server = await startFakeServer((_req, res) => {
      if (calls++ === 0) setTimeout(() => sendJson(res, 200, { slow: true }), 10_000);
      else sendJson(res, 200, { fast: true });
    });
    // 1 s, not 100 ms: on a busy machine the fast answer took longer than 100 ms too.
    const { http } = client({ timeoutMs: 1000 });
    const result = await http.request({ url: server.url });
    expect(result).toMatchObject({ success: true, data: { fast: true }, attempts: 2 });
  });

  it("reports a timeout once retries are exhausted", async () => {
    server = await startFakeServer((_req, res) => void setTimeout(() => sendJson(res, 200, {}), 2000));
    const { http } = client({ timeoutMs: 50, retries: 1 });
    expect(await http.request({ url: server.url })).toMatchObject({ success: false, code: "timeout", status: 0 });
  });

  it("retries network errors", async () => {
    const { http, sleeps } = client({ retries: 2 });
    const result = await http.request({ url: "http://127.0.0.1:1/" });
    expect(result).toMatchObject({ success: false, code: "network", attempts: 3 });
    expect(sleeps).toHaveLength(2);
  });

  it("stops at once when the caller's signal aborts", async () => {
    const controller = new AbortController();
    // Aborted once the server has the request (a 50 ms timer lost that race on a busy machine).
    server = await startFakeServer((_req, res) => {
      controller.abort();
      setTimeout(() => sendJson(res, 200, {}), 2000);
    });
    const { http } = client();
    const result = await http.request({ url: server.url, signal: controller.signal });
    expect(result).toMatchObject({ success: false, code: "aborted" });
    expect(server.requests).toHaveLength(1);
  });

  it("follows redirects by hand and re-checks each target with the guard", async () => {
    const s = await scripted(
      (res) => (res.writeHead(302, { location: "/next" }), res.end()),
      (res) => sendJson(res, 200, { arrived: true }),
    );
    const { http } = client();
    expect(await http.request({ url: `${s.url}/start` })).toMatchObject({ success: true, data: { arrived: true } });
    expect(s.requests.map((r) => r.url)).toEqual(["/start", "/next"]);

    // Without DVP_ALLOW_INSECURE_URLS a redirect to a private address is refused.
    const guarded = createHttpClient({
      fetch: async () => new Response(null, { status: 301, headers: { location: "https://169.254.169.254/latest" } }),
      sleep: async () => {},
    });
    expect(await guarded.request({ url: "https://example.com/" })).toMatchObject({
      success: false,
      code: "unsafe_url",
      error: expect.stringMatching(/redirect to URL: .*link-local/),
    });
  });

  it("bounds redirects", async () => {
    const s = await scripted((res) => (res.writeHead(307, { location: "/again" }), res.end()));
    const { http } = client({ maxRedirects: 3 });
    expect(await http.request({ url: s.url })).toMatchObject({ success: false, code: "too_many_redirects" });
    expect(s.requests).toHaveLength(4);
  });

  it("drops Authorization on a cross-origin redirect", async () => {
    const other = await startFakeServer((_req, res) => sendJson(res, 200, {}));
    try {
      const s = await scripted((res) => (res.writeHead(307, { location: `${other.url}/` }), res.end()));
      const { http } = client();
      await http.request({ url: s.url, headers: { authorization: "Bearer sekret-token-123" } });
      expect(s.requests[0]!.headers.authorization).toBe("Bearer sekret-token-123");
      expect(other.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it("refuses unsafe URLs without calling fetch", async () => {
    let called = false;
    const http = createHttpClient({ fetch: async () => ((called = true), new Response()) });
    for (const url of ["http://example.com", "https://0x7f000001/", "https://[::ffff:127.0.0.1]/"]) {
      expect(await http.request({ url })).toMatchObject({ success: false, code: "unsafe_url" });
    }
    expect(called).toBe(false);
  });

  it("never logs Authorization headers, query strings or secret hook paths", async () => {
    const s = await scripted((res) => sendJson(res, 500, {}));
    const { http, lines } = client({ retries: 1 });
    await http.request({
      url: `${s.url}/hooks/SECRETHOOKID?token=q-secret`,
      headers: { authorization: "Bearer sekret-token-123" },
      secretUrl: true,
    });
    const all = lines.join("\n");
    expect(all).toContain("request failed");
    expect(all).not.toContain("sekret-token-123");
    expect(all).not.toContain("q-secret");
    expect(all).not.toContain("SECRETHOOKID");
  });

  it("signs every attempt afresh", async () => {
    const s = await scripted((res) => sendJson(res, 500, {}), (res) => sendJson(res, 200, {}));
    const { http } = client();
    let n = 0;
    await http.request({
      url: s.url,
      method: "PUT",
      body: "x",
      sign: (url, init) =>
        new Request(url, {
          ...init,
          headers: { ...Object.fromEntries(new Headers(init.headers)), "x-sig": String(++n) },
        }),
    });
    expect(s.requests.map((r) => r.headers["x-sig"])).toEqual(["1", "2"]);
  });
});

describe("retry arithmetic", () => {
  it("backoff doubles per retry, stays within [step/2, step] and under the max", () => {
    for (const random of [0, 0.999]) {
      const opts = { baseDelayMs: 1000, maxDelayMs: 5000, random: () => random };
      const delays = [1, 2, 3, 4, 5].map((r) => backoffDelay(r, opts));
      const steps = [1000, 2000, 4000, 5000, 5000];
      delays.forEach((d, i) => {
        expect(d).toBeGreaterThanOrEqual(steps[i]! / 2);
        expect(d).toBeLessThanOrEqual(steps[i]!);
      });
    }
  });

  it("parses Retry-After seconds and dates, and ignores garbage", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("-5", now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

describe("HTTP client: a signal aborted before the call", () => {
  it("does not call fetch at all", async () => {
    let called = false;
    const http = createHttpClient({ fetch: async () => ((called = true), new Response("{}")) });
    const controller = new AbortController();
    controller.abort();
    expect(await http.request({ url: "https://example.com/", signal: controller.signal })).toMatchObject({
      success: false,
      code: "aborted",
      attempts: 1,
    });
    expect(called).toBe(false);
  });
});

describe("HTTP client: secret URLs in platform errors", () => {
  it("removes the hook URL from a network error message that quotes it", async () => {
    const hook = "https://api.vercel.com/v1/integrations/deploy/prj_x/SECRETHOOK";
    const http = createHttpClient({
      fetch: async (input) => {
        throw new TypeError(`error sending request for url (${input instanceof Request ? input.url : input}?x=1)`);
      },
      sleep: async () => {},
      retries: 0,
    });
    const result = await http.request({ url: hook, method: "POST", secretUrl: true });
    expect(result).toMatchObject({ success: false, code: "network" });
    expect(!result.success && result.error).not.toContain("SECRETHOOK");
  });

  it("refuses a malformed URL and a malformed Location", async () => {
    const http = createHttpClient({
      fetch: async () => new Response(null, { status: 302, headers: { location: "http://[bad" } }),
      sleep: async () => {},
    });
    expect(await http.request({ url: "not a url" })).toMatchObject({ success: false, code: "unsafe_url" });
    expect(await http.request({ url: "https://example.com/" })).toMatchObject({
      success: false,
      error: "HTTP 302 with an invalid Location",
    });
  });
});
