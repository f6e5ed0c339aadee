/**
 * Signed webhook → 2xx throughput on Deno, as a ratio to a bare Hono hello-world served the same
 * way in the same run (`npm run bench:webhook`, part of `npm run bench`). Every server is Deno.serve
 * on loopback. The load comes from a Web Worker (its own thread) that works like autocannon: each
 * request is serialised to HTTP/1.1 bytes before the clock starts, and CONNECTIONS keep-alive sockets
 * each send one and read its answer, bounded by REQUESTS and SECONDS. (A fetch-based client spends
 * more per request than a hello-world server does, and would make the reference measure the client.)
 * The webhook side is the real Deno adapter: Deno KV (in memory), the dedupe claim, the KV queue, a
 * warm tenant cache, every request signed with a fresh webhook-id. Two more references get the very
 * same signed POSTs: the hello-world, and a hand-written Hono receiver that checks the HMAC and makes
 * each event durable in Deno KV (the least the contract allows), so the report separates the
 * kernel's own cost from the price of a POST and of durability.
 *
 * Beside the throughput it reports the servers' CPU per request (this process less the load worker's
 * thread, from /proc): on a shared machine other work moves each round's throughput far more than
 * what a request costs. The body's size matters on Deno KV: a stored row over about 1000 bytes
 * (key and value) takes a 4 KiB SQLite overflow page of its own, for the kernel and the
 * hand-written receiver alike; BENCH_CONTENT_BYTES moves the body across that line.
 *
 * Options (env): BENCH_REQUESTS (default 20000), BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 32),
 * BENCH_ROUNDS (default 2: each server is measured that many times, taking turns), BENCH_CONTENT_BYTES
 * (default 512: the length of the content's body text), BENCH_PLUGINS (default 0: no plugin enabled, so
 * an accepted event sends no queue message; n: that many enabled plugins that do nothing, one
 * message, run and final record each, against a receiver that enqueues one message and does nothing).
 */
import { Hono } from "hono";
import { Plugin } from "../../src/plugin.ts";
import { startDeno } from "../../src/adapters/deno.ts";
import { webhookHeaders } from "../../src/http/standard-webhooks.ts";

const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 20_000);
const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 10);
const CONNECTIONS = Number(Deno.env.get("BENCH_CONNECTIONS") ?? 32);
const CONTENT_BYTES = Number(Deno.env.get("BENCH_CONTENT_BYTES") ?? 512);
const PLUGINS = Number(Deno.env.get("BENCH_PLUGINS") ?? 0);

/** A plugin whose hook does nothing: the kernel's side of a dispatch (message, run, final record) and no more. */
class NoopPlugin extends Plugin {
  readonly version = "1.0.0";
  constructor(readonly name: string) {
    super();
  }
  contentPublished(): void {}
}
const plugins = Array.from({ length: PLUGINS }, (_, i) => new NoopPlugin(`noop-${i}`));
const WARMUP = 500;

interface Job {
  url: string;
  method: string;
  requests: { headers: Record<string, string>; body?: string }[];
  connections: number;
  seconds: number;
}

interface LoadResult {
  ok: number;
  failed: number;
  seconds: number;
  statuses: Record<string, number>;
  /** Connections the server closed, so the client had to open another (keep-alive not kept). */
  reconnects: number;
  /**
   * CPU seconds the servers' side of this process spent meanwhile (every thread but the load
   * worker's: the isolate, Deno KV's, the HTTP and GC threads), or null where /proc cannot tell.
   */
  serverCpu: number | null;
}

/** CPU seconds (user + system) of `/proc/<what>/stat`, or null off Linux. */
function procCpu(what: string): number | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${what}/stat`);
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
  } catch {
    return null;
  }
}

// Answers are read by content-length (every server here sends one). An answer that says
// `connection: close` ends its socket, and the next request goes on a new one; a socket closed
// before the answer came (a write or read that fails) is opened again and the request sent again.
// Both count as `reconnects`: a server that keeps HTTP/1.1 keep-alive has none.
const workerSource = `
const CRLF2 = [13, 10, 13, 10];
const ascii = new TextDecoder("latin1");
self.onmessage = async ({ data: job }) => {
  let next = 0, ok = 0, failed = 0, reconnects = 0;
  const statuses = {};
  const connect = async () => {
    const conn = await Deno.connect({ hostname: job.hostname, port: job.port });
    conn.setNoDelay(true);
    return conn;
  };
  const headEnd = (buf, have) => {
    outer: for (let i = 0; i + 3 < have; i++) {
      for (let j = 0; j < 4; j++) if (buf[i + j] !== CRLF2[j]) continue outer;
      return i;
    }
    return -1;
  };
  const deadline = performance.now() + job.seconds * 1000;
  const start = performance.now();
  const loop = async () => {
    let conn = await connect();
    const buf = new Uint8Array(1 << 16);
    let have = 0;
    const reconnect = async () => {
      reconnects++;
      try { conn.close(); } catch { /* already closed */ }
      conn = await connect();
      have = 0;
    };
    while (next < job.requests.length && performance.now() < deadline) {
      const request = job.requests[next++];
      for (;;) {
        const sent = await (async () => {
          for (let w = 0; w < request.length;) w += await conn.write(request.subarray(w));
        })().then(() => true, () => false);
        let total = -1, close = false;
        while (sent && (total < 0 || have < total)) {
          if (total < 0) {
            const end = headEnd(buf, have);
            if (end >= 0) {
              const head = ascii.decode(buf.subarray(0, end));
              const length = /\\r\\ncontent-length: *(\\d+)/i.exec(head);
              if (!length) throw new Error("an answer without content-length: " + head);
              total = end + 4 + Number(length[1]);
              if (total > buf.length) throw new Error("an answer larger than the client's buffer: " + head);
              close = /\\r\\nconnection: *close/i.test(head);
              continue;
            }
          }
          const n = await conn.read(buf.subarray(have)).catch(() => null);
          if (n === null) break;
          have += n;
        }
        if (total >= 0 && have >= total) {
          const status = Number(ascii.decode(buf.subarray(9, 12)));
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 200 && status < 300) ok++; else failed++;
          buf.copyWithin(0, total, have);
          have -= total;
          if (close) await reconnect();
          break;
        }
        if (have > 0) throw new Error("the server closed the connection in the middle of an answer");
        await reconnect(); // closed before answering: send it again on a new socket
      }
    }
    conn.close();
  };
  await Promise.all(Array.from({ length: job.connections }, loop));
  // This thread's own CPU, for the caller to subtract from the process's: what is left is the servers'.
  let clientCpu = null;
  try {
    const stat = Deno.readTextFileSync("/proc/thread-self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    clientCpu = (Number(fields[11]) + Number(fields[12])) / 100;
  } catch { /* not Linux */ }
  self.postMessage({ ok, failed, reconnects, seconds: (performance.now() - start) / 1000, statuses, clientCpu });
};`;

/** HTTP/1.1 bytes of each request, made before the load starts (as autocannon does). */
function serialise(job: Job): Uint8Array[] {
  const url = new URL(job.url);
  const utf8 = new TextEncoder();
  return job.requests.map(({ headers, body }) => {
    const bytes = body === undefined ? new Uint8Array(0) : utf8.encode(body);
    const lines = [`${job.method} ${url.pathname} HTTP/1.1`, `host: ${url.host}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    if (body !== undefined) lines.push(`content-length: ${bytes.length}`);
    const head = utf8.encode(lines.join("\r\n") + "\r\n\r\n");
    const out = new Uint8Array(head.length + bytes.length);
    out.set(head);
    out.set(bytes, head.length);
    return out;
  });
}

function load(job: Job): Promise<LoadResult> {
  const url = URL.createObjectURL(new Blob([workerSource], { type: "application/javascript" }));
  const worker = new Worker(url, { type: "module" });
  const { hostname, port } = new URL(job.url);
  const requests = serialise(job);
  const cpuBefore = procCpu("self");
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      const cpuAfter = procCpu("self");
      worker.terminate();
      const { clientCpu, ...result } = data as Omit<LoadResult, "serverCpu"> & { clientCpu: number | null };
      const serverCpu = cpuBefore === null || cpuAfter === null || clientCpu === null
        ? null
        : cpuAfter - cpuBefore - clientCpu;
      resolve({ ...result, serverCpu });
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`load worker failed: ${event.message}`));
    };
    worker.postMessage({
      hostname,
      port: Number(port),
      requests,
      connections: job.connections,
      seconds: job.seconds,
    });
  });
}

const rps = (r: LoadResult) => r.ok / r.seconds;

// ── the bare Hono hello-world ────────────────────────────────────────────────────────────────
// The same hello-world for GET and for POST: the POST reference gets the very requests the webhook
// route gets (same signed headers and body), so the client's and transport's cost of a POST with a
// body is in both, and the ratio shows the kernel's own cost. It reads the body and nothing more:
// Deno.serve closes the connection after a request whose body was left unread.
const hello = new Hono()
  .get("/", (c) => c.text("Hello Hono!"))
  .post("/", async (c) => {
    await c.req.arrayBuffer();
    return c.text("Hello Hono!");
  });
const helloServer = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, hello.fetch);
const helloUrl = `http://127.0.0.1:${helloServer.addr.port}/`;

// ── the kernel, through the Deno adapter ─────────────────────────────────────────────────────
const kv = await Deno.openKv(":memory:");
const kernel = await startDeno({
  env: {
    DVP_MASTER_KEYS: "bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    DVP_ADMIN_JWT_SECRET: "bench-admin-secret-0123456789abcdefghij",
    DVP_LOG_LEVEL: "error",
  },
  kv,
  port: 0,
  hostname: "127.0.0.1",
  cron: () => undefined,
  plugins: () => plugins,
});
// Count the queue deliveries the consumer finishes, to report how far it lags behind the 2xx.
let consumed = 0;
const consume = kernel.runtime.consume.bind(kernel.runtime);
(kernel.runtime as { consume: typeof consume }).consume = (messages) =>
  consume(messages).finally(() => (consumed += messages.length));
const tenantId = crypto.randomUUID();
const { generatedSecret } = await kernel.runtime.kernel.putTenant(tenantId, { slug: "bench", plan: "pro" });
for (const plugin of plugins) await kernel.runtime.kernel.enable(tenantId, plugin.name);
const secret = generatedSecret!;
const webhookUrl = `${kernel.url}/v1/webhooks/${tenantId}`;

// ── a hand-written durable receiver ──────────────────────────────────────────────────────────
// The least a receiver honouring the contract does, written by hand on Hono and Deno KV: read the
// body, check the HMAC with WebCrypto, and commit the dedupe claim with its queue message before
// the 2xx (its own in-memory KV, a consumer that does nothing). The kernel's ratio to it is its
// own overhead; the gap between it and the hello-world is the price of durability on Deno KV.
const floorKv = await Deno.openKv(":memory:");
floorKv.listenQueue(() => {});
const floorKey = await crypto.subtle.importKey(
  "raw",
  Uint8Array.from(atob(secret.replace(/^whsec_/, "")), (ch) => ch.charCodeAt(0)),
  { name: "HMAC", hash: "SHA-256" },
  false,
  ["verify"],
);
const floor = new Hono().post("/", async (c) => {
  const body = new Uint8Array(await c.req.arrayBuffer());
  const id = c.req.header("webhook-id")!;
  const signed = new TextEncoder().encode(`${id}.${c.req.header("webhook-timestamp")}.`);
  const content = new Uint8Array(signed.length + body.length);
  content.set(signed);
  content.set(body, signed.length);
  const signature = Uint8Array.from(atob(c.req.header("webhook-signature")!.slice(3)), (ch) => ch.charCodeAt(0));
  if (!(await crypto.subtle.verify("HMAC", floorKey, signature, content))) return c.text("bad signature", 401);
  const key = ["claim", id];
  const { ok } = await floorKv.atomic().check({ key, versionstamp: null }).set(key, body).enqueue({ id }).commit();
  return c.json({ id, status: ok ? "accepted" : "duplicate" }, ok ? 202 : 200);
});
const floorServer = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, floor.fetch);
const floorUrl = `http://127.0.0.1:${floorServer.addr.port}/`;

const body = JSON.stringify({
  type: "content.published",
  timestamp: new Date().toISOString(),
  data: { content_id: "post-1", content: { title: "Benchmark", body: "x".repeat(CONTENT_BYTES) }, metadata: { a: 1 } },
});

async function signedRequests(n: number): Promise<Job["requests"]> {
  const ts = Math.floor(Date.now() / 1000);
  const out: Job["requests"] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      headers: {
        "content-type": "application/json",
        ...(await webhookHeaders(secret, `msg_${crypto.randomUUID().replaceAll("-", "")}`, ts, body)),
      },
      body,
    });
  }
  return out;
}

const helloJob = (n: number): Job => ({
  url: helloUrl,
  method: "GET",
  requests: Array.from({ length: n }, () => ({ headers: {} })),
  connections: CONNECTIONS,
  seconds: SECONDS,
});
const webhookJob = async (n: number): Promise<Job> => ({
  url: webhookUrl,
  method: "POST",
  requests: await signedRequests(n),
  connections: CONNECTIONS,
  seconds: SECONDS,
});

/** Runs of one target, merged: requests over seconds, statuses and reconnects summed. */
function merge(runs: LoadResult[]): LoadResult & { runs: number[] } {
  const statuses: Record<string, number> = {};
  for (const run of runs) for (const [k, v] of Object.entries(run.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const sum = (f: (r: LoadResult) => number) => runs.reduce((total, r) => total + f(r), 0);
  return {
    ok: sum((r) => r.ok),
    failed: sum((r) => r.failed),
    seconds: sum((r) => r.seconds),
    reconnects: sum((r) => r.reconnects),
    serverCpu: runs.some((r) => r.serverCpu === null) ? null : sum((r) => r.serverCpu!),
    statuses,
    runs: runs.map((r) => Math.round(rps(r))),
  };
}

// Warm every server (JIT, the tenant cache, keys, connections), then measure them in turn, ROUNDS
// times: on a shared machine the speed drifts within a minute, and taking turns spreads the drift.
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 2);
await load(helloJob(WARMUP));
await load(await webhookJob(WARMUP));
await load({ ...(await webhookJob(WARMUP)), url: floorUrl });
const results = {
  hello: [] as LoadResult[],
  webhook: [] as LoadResult[],
  post: [] as LoadResult[],
  durable: [] as LoadResult[],
};
for (let round = 0; round < ROUNDS; round++) {
  results.hello.push(await load(helloJob(REQUESTS)));
  results.webhook.push(await load(await webhookJob(REQUESTS)));
  results.post.push(await load({ ...(await webhookJob(REQUESTS)), url: helloUrl }));
  results.durable.push(await load({ ...(await webhookJob(REQUESTS)), url: floorUrl }));
}
const helloGet = merge(results.hello);
const webhook = merge(results.webhook);
const helloPost = merge(results.post);
const durable = merge(results.durable);

// Let the consumer drain what was accepted (bounded), so closing the KV does not cut it off: until
// no delivery has come for half a second. With no plugin enabled, an accepted event sends no
// message (one per (event, plugin)), so there is nothing to wait for.
const drainStart = performance.now();
for (let seen = -1; seen !== consumed && performance.now() - drainStart < 60_000;) {
  seen = consumed;
  await new Promise((r) => setTimeout(r, 500));
}
const drainSeconds = (performance.now() - drainStart) / 1000;

const helloRps = rps(helloGet);
const helloPostRps = rps(helloPost);
const webhookRps = rps(webhook);
const durableRps = rps(durable);
const ratio = webhookRps / helloRps;
/** The servers' CPU per answered request, in µs (null off Linux). */
const cpuPer = (r: LoadResult) => r.serverCpu === null ? null : Math.round((r.serverCpu * 1e6) / Math.max(r.ok, 1));
const cpu = {
  hello: cpuPer(helloGet),
  webhook: cpuPer(webhook),
  hello_post: cpuPer(helloPost),
  durable: cpuPer(durable),
};
console.log(JSON.stringify(
  {
    benchmark: "signed webhook → 2xx on Deno.serve vs bare Hono hello-world",
    deno: Deno.version.deno,
    connections: CONNECTIONS,
    requests: REQUESTS,
    rounds: ROUNDS,
    content_bytes: CONTENT_BYTES,
    plugins: PLUGINS,
    hello_rps: Math.round(helloRps),
    webhook_rps: Math.round(webhookRps),
    hello_post_rps: Math.round(helloPostRps),
    hand_written_durable_rps: Math.round(durableRps),
    // Each round's figure, in the order measured.
    runs_rps: { hello: helloGet.runs, webhook: webhook.runs, hello_post: helloPost.runs, durable: durable.runs },
    ratio: Number(ratio.toFixed(3)),
    ratio_to_same_posts: Number((webhookRps / helloPostRps).toFixed(3)),
    ratio_to_hand_written_durable: Number((webhookRps / durableRps).toFixed(3)),
    // The servers' CPU per request (this process, less the load worker's thread), and the
    // hand-written receiver's over the kernel's: on a shared machine, where other work moves the
    // throughput of each round, the CPU each request costs moves much less.
    server_cpu_us_per_request: cpu,
    cpu_ratio_to_hand_written_durable: cpu.webhook && cpu.durable
      ? Number((cpu.durable / cpu.webhook).toFixed(3))
      : null,
    webhook_statuses: webhook.statuses,
    hand_written_durable_statuses: durable.statuses,
    // Sockets the servers closed after an answer: 0 while Deno keeps HTTP/1.1 keep-alive after a body.
    reconnects: { hello_post: helloPost.reconnects, webhook: webhook.reconnects, durable: durable.reconnects },
    consumer_drain_seconds_after_load: Number(drainSeconds.toFixed(1)),
    consumer_delivered: consumed,
    target: 0.5,
  },
  null,
  2,
));

await kernel.close();
kv.close();
await helloServer.shutdown();
await floorServer.shutdown();
floorKv.close();
if (webhook.failed > 0 || durable.failed > 0) {
  console.error(`${webhook.failed + durable.failed} webhook requests did not get a 2xx`);
  Deno.exit(1);
}
// A ratio under the target is reported, not failed: it depends on the machine and its load.
if (ratio < 0.5) console.error(`ratio ${ratio.toFixed(3)} is below the 0.5 target`);
