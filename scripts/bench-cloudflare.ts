/**
 * The Cloudflare figures of `npm run bench`, under `wrangler dev` (local workerd, offline): run
 * with `deno run -A scripts/bench-cloudflare.ts`; prints one JSON object last.
 *
 * 1. Signed webhook → 202: the kernel (wrangler.toml: src/worker.ts, KV + the tenant's Durable
 *    Object, no plugin enabled) against a hand-written Worker that checks the Standard Webhooks
 *    HMAC and commits one row to a SQLite Durable Object before answering
 *    (test/bench/cloudflare/receiver.ts). Both servers run side by side and are loaded in turn,
 *    ROUNDS short rounds each with 16 in flight, then one at a time, a fresh webhook-id per
 *    request; the CPU time their workerd processes spend is read from /proc. Then both at once,
 *    16 in flight each: the machine's other work (two shared cores) slows both alike there, where
 *    it lands on one server's turn when they take turns. Each setting reports the ratio of the
 *    mean throughputs, the median and range of the ratios of a round to the other server's next
 *    round, and the CPU each webhook costs.
 * 2. The tenant object's alarm with one due job (test/bench/cloudflare/alarm.ts): N alarms in a
 *    row inside the object, each running one slot of a minutely task and recording it; wall time
 *    and workerd CPU per alarm, with nothing else running.
 */
import { signAdminToken } from "../src/http/auth.ts";
import { webhookHeaders } from "../src/http/standard-webhooks.ts";

/** In flight at once: many (the target's figure), and one at a time (each request's own latency). */
const CONNECTIONS = [16, 1];
const SECONDS = Number(Deno.env.get("DVP_BENCH_SECONDS") ?? 2.5);
/** Rounds per setting: short and many, so a burst of other work on the machine spoils one pair, not the mean. */
const ROUNDS = Number(Deno.env.get("DVP_BENCH_ROUNDS") ?? 6);
const ALARMS = 200;
const ADMIN_SECRET = "bench-admin-secret-0123456789abcdefghij";
const RECEIVER_SECRET = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const CLOCK_TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU in 1/100 s

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

interface Server {
  url: string;
  /** CPU seconds of the server's workerd processes so far. */
  cpu(): number;
  stop(): Promise<void>;
}

/** `wrangler dev` on a free port with its own state directory; resolves once it answers. */
async function wranglerDev(config: string, vars: Record<string, string> = {}): Promise<Server> {
  const port = freePort();
  const state = await Deno.makeTempDir({ prefix: "dvp-bench-" });
  const args = [
    "node_modules/wrangler/bin/wrangler.js",
    "dev",
    "--config",
    config,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(freePort()),
    "--persist-to",
    state,
    "--log-level",
    "error",
    "--show-interactive-dev-session=false",
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ];
  const child = new Deno.Command("node", {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { WRANGLER_SEND_METRICS: "false", CI: "1" },
  }).spawn();
  const errors: string[] = [];
  (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) errors.push(chunk);
  })();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await (await fetch(`${url}/`)).body?.cancel();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`wrangler dev (${config}) did not start: ${errors.join("")}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    url,
    cpu: () => workerdCpu(child.pid),
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await Deno.remove(state, { recursive: true }).catch(() => {});
    },
  };
}

/** CPU seconds (user + system) of the workerd processes below `root`. */
function workerdCpu(root: number): number {
  const parent = new Map<number, number>();
  const stats = new Map<number, string[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const text = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      const comm = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
      parent.set(Number(entry.name), Number(fields[1]));
      if (comm === "workerd") stats.set(Number(entry.name), fields);
    } catch { /* exited meanwhile */ }
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  let ticks = 0;
  for (const [pid, fields] of stats) if (below(pid)) ticks += Number(fields[11]) + Number(fields[12]);
  return ticks / CLOCK_TICKS;
}

const body = JSON.stringify({
  type: "content.published",
  timestamp: new Date().toISOString(),
  data: { content_id: "post-1", content: { title: "Benchmark", body: "x".repeat(512) }, metadata: { a: 1 } },
});

let sequence = 0;
/** Signed webhooks to `url` for `seconds`, `connections` in flight; answers by status. */
async function load(server: Server, path: string, secret: string, seconds: number, connections: number) {
  const statuses: Record<number, number> = {};
  const cpuBefore = server.cpu();
  const start = performance.now();
  const end = start + seconds * 1000;
  let ok = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const id = `msg_bench_${++sequence}`;
      const headers = await webhookHeaders(secret, id, Math.floor(Date.now() / 1000), body);
      const res = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
      await res.body?.cancel();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status === 202) ok++;
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsed = (performance.now() - start) / 1000;
  return { rps: ok / elapsed, cpuPerRequestMs: ((server.cpu() - cpuBefore) * 1000) / Math.max(ok, 1), statuses };
}

type Load = Awaited<ReturnType<typeof load>>;
interface Runs {
  kernel: Load[];
  receiver: Load[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The figures of one setting. `ratio`: of the mean throughputs. `pair_ratio_*`: each kernel round
 * over the receiver round measured with it (at once, or right after it), whose median a burst of
 * other work on the machine moves less than the mean.
 */
function summary(runs: Runs) {
  const kernelRps = mean(runs.kernel.map((r) => r.rps));
  const receiverRps = mean(runs.receiver.map((r) => r.rps));
  const pairs = runs.kernel.map((k, i) => k.rps / runs.receiver[i]!.rps).sort((a, b) => a - b);
  const middle = pairs.length >> 1;
  return {
    kernel_rps: Math.round(kernelRps),
    receiver_rps: Math.round(receiverRps),
    ratio: kernelRps / receiverRps,
    pair_ratio_median: pairs.length % 2 ? pairs[middle]! : (pairs[middle - 1]! + pairs[middle]!) / 2,
    pair_ratio_range: [pairs[0]!, pairs[pairs.length - 1]!],
    kernel_cpu_ms: mean(runs.kernel.map((r) => r.cpuPerRequestMs)),
    receiver_cpu_ms: mean(runs.receiver.map((r) => r.cpuPerRequestMs)),
    statuses: { kernel: runs.kernel.map((r) => r.statuses), receiver: runs.receiver.map((r) => r.statuses) },
  };
}

async function admin(server: Server, method: string, path: string): Promise<Record<string, unknown>> {
  const token = await signAdminToken(ADMIN_SECRET, { tenants: "*" });
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: method === "PUT" ? JSON.stringify({ slug: "bench", plan: "pro" }) : null,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return await res.json() as Record<string, unknown>;
}

const kernelVars = {
  DVP_MASTER_KEYS: "bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  DVP_ADMIN_JWT_SECRET: ADMIN_SECRET,
  DVP_LOG_LEVEL: "error",
};

// ── 1. signed webhook → 202 ──────────────────────────────────────────────────────────────────
const [kernel, receiver] = await Promise.all([
  wranglerDev("wrangler.toml", kernelVars),
  wranglerDev("test/bench/cloudflare/receiver.wrangler.toml"),
]);
const webhook = [];
try {
  const tenantId = crypto.randomUUID();
  const created = await admin(kernel, "PUT", `/v1/tenants/${tenantId}`);
  const secret = String(created.webhook_secret);
  const kernelPath = `/v1/webhooks/${tenantId}`;
  const receiverPath = `/${tenantId}`;
  // Warm both (bundles compiled, objects created, keys imported, the tenant cached).
  await load(kernel, kernelPath, secret, 1, CONNECTIONS[0]!);
  await load(receiver, receiverPath, RECEIVER_SECRET, 1, CONNECTIONS[0]!);
  const kernelLoad = (connections: number) => load(kernel, kernelPath, secret, SECONDS, connections);
  const receiverLoad = (connections: number) => load(receiver, receiverPath, RECEIVER_SECRET, SECONDS, connections);
  for (const connections of CONNECTIONS) {
    const runs: Runs = { kernel: [], receiver: [] };
    for (let round = 0; round < ROUNDS; round++) {
      runs.kernel.push(await kernelLoad(connections));
      runs.receiver.push(await receiverLoad(connections));
    }
    webhook.push({ connections, together: false, ...summary(runs) });
  }
  const together: Runs = { kernel: [], receiver: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const [k, r] = await Promise.all([kernelLoad(CONNECTIONS[0]!), receiverLoad(CONNECTIONS[0]!)]);
    together.kernel.push(k);
    together.receiver.push(r);
  }
  webhook.push({ connections: CONNECTIONS[0]!, together: true, ...summary(together) });
} finally {
  await Promise.all([kernel.stop(), receiver.stop()]);
}

// ── 2. the tenant object's alarm, one due job ────────────────────────────────────────────────
const scheduling = await wranglerDev("test/bench/cloudflare/alarm.wrangler.toml", kernelVars);
let alarm;
try {
  const tenantId = crypto.randomUUID();
  await admin(scheduling, "PUT", `/v1/tenants/${tenantId}`);
  await admin(scheduling, "POST", `/v1/tenants/${tenantId}/plugins/minutely/enable`);
  const run = async (n: number) => {
    const cpuBefore = scheduling.cpu();
    const start = performance.now();
    const res = await fetch(`${scheduling.url}/__bench/alarms/${tenantId}?n=${n}`, { method: "POST" });
    if (!res.ok) throw new Error(`the alarm bench answered ${res.status}: ${await res.text()}`);
    const { ran } = await res.json() as { ran: number };
    const wall = performance.now() - start;
    if (ran !== n) throw new Error(`expected ${n} alarms to run one task each, ${ran} ran`);
    return { wallMs: wall / n, cpuMs: ((scheduling.cpu() - cpuBefore) * 1000) / n };
  };
  await run(20); // warm
  const measured = await run(ALARMS);
  alarm = { alarms: ALARMS, wall_ms: measured.wallMs, cpu_ms: measured.cpuMs };
} finally {
  await scheduling.stop();
}

console.log(JSON.stringify({ webhook, alarm }));
