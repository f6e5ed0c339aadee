/**
 * The plugins' network layer on every runtime (Node, workerd, Deno): the URL guard, the
 * resilient HTTP client over a scripted fetch (retries, Retry-After, timeouts through
 * AbortSignal, manual redirects), the X.509 reader, and the TLS 1.2 certificate probe over an
 * in-memory socket that answers with real handshake records.
 */
import { parseCertificate } from "../../src/net/der.ts";
import { createHttpClient, type HttpClientOptions } from "../../src/net/http-client.ts";
import { fetchPeerCertificate } from "../../src/net/tls-certificate.ts";
import type { TcpConnect } from "../../src/net/tcp.ts";
import { checkUrl } from "../../src/net/url-guard.ts";
import { RSA_TEST_CERT_NOT_AFTER, RSA_TEST_CERT_PEM } from "../fakes/tls-cert-text.ts";
import type { Harness } from "./harness.ts";

function pemToDer(pem: string): Uint8Array {
  const base64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** A fetch that answers from a script and records each request. */
function scripted(...answers: ((request: Request) => Response | Promise<Response>)[]) {
  const requests: Request[] = [];
  const fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? new Request(input, init) : new Request(input, init);
    requests.push(request);
    return Promise.resolve(answers[Math.min(requests.length - 1, answers.length - 1)]!(request));
  }) as typeof fetch;
  return { fetchImpl, requests };
}

function client(fetchImpl: typeof fetch, extra: Partial<HttpClientOptions> = {}) {
  const sleeps: number[] = [];
  const http = createHttpClient({
    fetch: fetchImpl,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    baseDelayMs: 100,
    ...extra,
  });
  return { http, sleeps };
}

const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u24 = (n: number) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];

/** The server's first flight: ServerHello, Certificate, ServerHelloDone, as TLS 1.2 records. */
function serverFlight(certificate: Uint8Array): Uint8Array {
  const hello = [0x03, 0x03, ...new Array(32).fill(7), 0x00, 0xc0, 0x2f, 0x00];
  const certs = [...u24(certificate.length + 3), ...u24(certificate.length), ...certificate];
  const handshake = [
    0x02,
    ...u24(hello.length),
    ...hello,
    0x0b,
    ...u24(certs.length),
    ...certs,
    0x0e,
    0x00,
    0x00,
    0x00,
  ]; // deno-fmt-ignore
  // Split the handshake over two records, as servers do with large certificate chains.
  const cut = 60;
  const first = handshake.slice(0, cut);
  const second = handshake.slice(cut);
  return new Uint8Array([
    0x16,
    0x03,
    0x03,
    ...u16(first.length),
    ...first,
    0x16,
    0x03,
    0x03,
    ...u16(second.length),
    ...second,
  ]); // deno-fmt-ignore
}

/** An in-memory TcpConnect: records what the client writes and plays `reply` back in small chunks. */
function memorySocket(reply: Uint8Array) {
  const written: Uint8Array[] = [];
  let closed = false;
  const connect: TcpConnect = () => ({
    readable: new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < reply.length; i += 97) controller.enqueue(reply.slice(i, i + 97));
      },
    }),
    writable: new WritableStream<Uint8Array>({ write: (chunk) => void written.push(chunk) }),
    close: async () => void (closed = true),
  });
  return { connect, written, isClosed: () => closed };
}

export function netSuite(t: Harness): void {
  const { describe, it, expect } = t;

  describe(`net on ${t.runtime}: URL guard`, () => {
    it("refuses private, loopback, link-local and metadata hosts in every spelling", () => {
      for (
        const url of [
          "http://example.com/",
          "https://127.1/",
          "https://0177.0.0.1/",
          "https://0x7f000001/",
          "https://2130706433/",
          "https://169.254.169.254/",
          "https://[::1]/",
          "https://[::ffff:127.0.0.1]/",
          "https://[fe80::1]/",
          "https://[fd00::1]/",
          "https://100.64.1.1/",
          "https://localhost/",
          "https://metadata.google.internal/",
        ]
      ) {
        expect({ url, ok: checkUrl(url).ok }).toEqual({ url, ok: false });
      }
      expect(checkUrl("https://api.ahrefs.com/v3/site-explorer/metrics").ok).toBe(true);
    });
  });

  describe(`net on ${t.runtime}: HTTP client`, () => {
    it("retries 5xx with backoff, then returns the JSON", async () => {
      const { fetchImpl, requests } = scripted(
        () => new Response("oops", { status: 500 }),
        () => Response.json({ ok: true }),
      );
      const { http, sleeps } = client(fetchImpl);
      expect(await http.request({ url: "https://api.example.com/x" })).toMatchObject({
        success: true,
        status: 200,
        data: { ok: true },
        attempts: 2,
      });
      expect(requests.length).toBe(2);
      expect(sleeps).toEqual([75]);
    });

    it("does not retry 404 and honours Retry-After on 429", async () => {
      const notFound = scripted(() => Response.json({ message: "missing" }, { status: 404 }));
      expect(await client(notFound.fetchImpl).http.request({ url: "https://api.example.com/" })).toMatchObject({
        success: false,
        status: 404,
        error: "HTTP 404: missing",
      });
      expect(notFound.requests.length).toBe(1);

      const limited = scripted(
        () => new Response("", { status: 429, headers: { "retry-after": "3" } }),
        () => Response.json({}),
      );
      const { http, sleeps } = client(limited.fetchImpl);
      expect((await http.request({ url: "https://api.example.com/" })).success).toBe(true);
      expect(sleeps).toEqual([3000]);
    });

    it("times out through the AbortSignal", async () => {
      const hang = scripted((request) =>
        new Promise<Response>((_, reject) =>
          request.signal.addEventListener("abort", () => reject(request.signal.reason))
        )
      );
      const { http } = client(hang.fetchImpl, { retries: 0 });
      expect(await http.request({ url: "https://api.example.com/", timeoutMs: 30 })).toMatchObject({
        success: false,
        code: "timeout",
      });
    });

    it("follows redirects by hand and refuses one into the metadata service", async () => {
      const ok = scripted(
        () => new Response(null, { status: 302, headers: { location: "/final" } }),
        (request) => Response.json({ at: new URL(request.url).pathname }),
      );
      expect(await client(ok.fetchImpl).http.request({ url: "https://site.example.com/start" })).toMatchObject({
        success: true,
        data: { at: "/final" },
      });
      expect(ok.requests[0]!.redirect).toBe("manual");

      const evil = scripted(() =>
        new Response(null, { status: 307, headers: { location: "https://169.254.169.254/latest/meta-data/" } })
      );
      expect(await client(evil.fetchImpl).http.request({ url: "https://site.example.com/" })).toMatchObject({
        success: false,
        code: "unsafe_url",
      });
      expect(evil.requests.length).toBe(1);
    });
  });

  describe(`net on ${t.runtime}: certificates`, () => {
    it("reads notAfter, names and SANs from DER", () => {
      const info = parseCertificate(pemToDer(RSA_TEST_CERT_PEM));
      expect(info.notAfter.toISOString()).toBe(RSA_TEST_CERT_NOT_AFTER);
      expect(info.subjectCN).toBe("localhost");
      expect(info.dnsNames).toEqual(["localhost", "*.test.localhost"]);
    });

    it("sends a TLS 1.2 ClientHello and reads the Certificate from records split across reads", async () => {
      const der = pemToDer(RSA_TEST_CERT_PEM);
      const socket = memorySocket(serverFlight(der));
      const peer = await fetchPeerCertificate(socket.connect, { hostname: "example.com" });
      expect(peer.notAfter.toISOString()).toBe(RSA_TEST_CERT_NOT_AFTER);
      expect(peer.cipherSuite).toBe(0xc02f);
      expect(Array.from(socket.written[0]!.subarray(0, 3))).toEqual([0x16, 0x03, 0x01]);
      expect(socket.isClosed()).toBe(true);
    });

    it("reports a protocol_version alert as a server refusing TLS 1.2", async () => {
      const socket = memorySocket(new Uint8Array([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 70]));
      let error: unknown;
      try {
        await fetchPeerCertificate(socket.connect, { hostname: "example.com" });
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ kind: "protocol" });
    });
  });
}
