#!/usr/bin/env node
/**
 * `npm run bench`: every benchmark, one table. Each figure is printed with the reference it is
 * measured against in the same run and the ratio, and checked against its target:
 *
 *   1. vitest bench (test/bench/*.bench.ts): each group's "(reference)" bench (or its first) is the
 *      reference of the others; tick groups are compared with the 1,000-tenant tick.
 *   2. scripts/bench-facts.ts under Deno: counted facts (KV reads per webhook) and the signed
 *      webhook throughput on Deno.serve against bare Hono on Deno.serve.
 *   3. The deployable bundle: `wrangler deploy --dry-run --outdir` gzip size, by dependency, and
 *      the startup CPU profile from `wrangler check startup`.
 *
 * Writes BENCHMARKS.md with the table, the machine and how to reproduce it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { gzipSync } from "node:zlib";

const out = ".dvp/bench";
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const bin = (name) => `node_modules/.bin/${name}`;
const rows = [];
const row = (measure, value, reference, ratio, target, met) =>
  rows.push({ measure, value, reference, ratio, target, met });
const fmtTime = (
  ms,
) => (ms < 0.001 ? `${(ms * 1e6).toFixed(0)} ns` : ms < 1 ? `${(ms * 1000).toFixed(2)} µs` : `${ms.toFixed(2)} ms`);
const fmtRatio = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : "–");

// ── 1. vitest bench ──────────────────────────────────────────────────────────────────────────
const targets = [
  // [group pattern, bench pattern, max ratio to reference, description]
  [/contentPublished to/, /kernel/, 2, "≤ 2× loop"],
];
console.error("running vitest bench …");
const vitest = spawnSync(bin("vitest"), ["bench", "--run", "--outputJson", `${out}/vitest.json`], {
  stdio: ["ignore", "inherit", "inherit"],
});
if (vitest.status !== 0) process.exitCode = 1;
const report = existsSync(`${out}/vitest.json`)
  ? JSON.parse(readFileSync(`${out}/vitest.json`, "utf8"))
  : { files: [] };
let tickBase = null;
for (const file of report.files) {
  for (const group of file.groups) {
    const name = group.fullName.replace(/^.*?\.bench\.ts > /, "");
    const benches = group.benchmarks;
    if (/^tick: /.test(name)) {
      const b = benches[0];
      const tenants = Number(/tick: ([\d,]+)/.exec(name)[1].replace(/,/g, ""));
      tickBase ??= b;
      const ratio = b.mean / tickBase.mean;
      const target = tenants === 10_000 ? "≤ 50 ms" : tenants > 1_000 ? "flat (≈1×)" : "";
      const met = tenants === 10_000 ? b.mean <= 50 : tenants > 1_000 ? ratio <= 2 : true;
      row(name, fmtTime(b.mean), `1,000 tenants: ${fmtTime(tickBase.mean)}`, fmtRatio(ratio), target, met);
      continue;
    }
    const ref = benches.find((b) => /\(reference\)|bare hono|afresh|cold/i.test(b.name)) ?? benches[0];
    for (const b of benches) {
      if (b === ref) continue;
      const ratio = b.mean / ref.mean;
      const t = targets.find(([g, n]) => g.test(name) && n.test(b.name));
      row(
        `${name}: ${b.name}`,
        fmtTime(b.mean),
        `${ref.name}: ${fmtTime(ref.mean)}`,
        fmtRatio(ratio),
        t?.[3] ?? "",
        t ? ratio <= t[2] : true,
      );
    }
    // The kernel against the isolation floor as well: what its outcomes and durations cost.
    const floor = benches.find((b) => /isolation floor/.test(b.name));
    const kernel = benches.find((b) => /kernel/.test(b.name));
    if (floor && kernel) {
      row(
        `${name}: ${kernel.name}, against the isolation floor`,
        fmtTime(kernel.mean),
        `${floor.name}: ${fmtTime(floor.mean)}`,
        fmtRatio(kernel.mean / floor.mean),
        "–",
        null,
      );
    }
  }
}

// ── 2. facts and throughput on Deno ──────────────────────────────────────────────────────────
const deno = (args, timeout) =>
  spawnSync(bin("deno"), ["run", "-A", "--unstable-kv", "--unstable-cron", ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout,
  });
const lastJson = (text) => JSON.parse(text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1));
console.error("counting KV reads per webhook …");
const facts = deno(["scripts/bench-facts.ts"], 120_000);
if (facts.status === 0) {
  const f = lastJson(facts.stdout);
  row("KV reads of tenant state per webhook, cold isolate", String(f.kvReadsCold), "–", "–", "≤ 1", f.kvReadsCold <= 1);
  row("KV reads of tenant state per webhook, warm isolate", String(f.kvReadsWarm), "–", "–", "0", f.kvReadsWarm === 0);
} else {
  process.exitCode = 1;
  row("KV reads per webhook", "failed", "–", "–", "", false);
}
console.error("measuring signed-webhook throughput on Deno.serve against bare Hono …");
const load = deno(["test/deno/webhook-throughput.ts"], 300_000);
if (load.status === 0) {
  const f = lastJson(load.stdout);
  row(
    `signed webhook → 202 on Deno.serve (${f.connections} in flight, ${f.reconnects.webhook} reconnects)`,
    `${f.webhook_rps.toLocaleString("en")} req/s`,
    `bare Hono hello-world, GET: ${f.hello_rps.toLocaleString("en")} req/s`,
    fmtRatio(f.ratio),
    "≥ 0.5×",
    f.ratio >= 0.5,
  );
  row(
    `signed webhook → 202, against the same signed POSTs`,
    `${f.webhook_rps.toLocaleString("en")} req/s`,
    `bare Hono hello-world, same POSTs: ${f.hello_post_rps.toLocaleString("en")} req/s`,
    fmtRatio(f.ratio_to_same_posts),
    "≥ 0.5×",
    f.ratio_to_same_posts >= 0.5,
  );
  row(
    `signed webhook → 202, against a hand-written durable receiver`,
    `${f.webhook_rps.toLocaleString("en")} req/s`,
    `Hono + HMAC + one Deno KV commit: ${f.hand_written_durable_rps.toLocaleString("en")} req/s`,
    fmtRatio(f.ratio_to_hand_written_durable),
    "–",
    null,
  );
} else {
  process.exitCode = 1;
  row("signed webhook throughput on Deno", "failed", "–", "–", "≥ 0.5×", false);
}

// ── 3. the bundle ────────────────────────────────────────────────────────────────────────────
console.error("building the deployable bundle …");
execFileSync(bin("wrangler"), ["deploy", "--dry-run", "--outdir", `${out}/dist`, "--metafile", `${out}/meta.json`], {
  stdio: ["ignore", "ignore", "inherit"],
});
const bundle = readFileSync(`${out}/dist/worker.js`);
const gz = gzipSync(bundle, { level: 9 }).length;
row(
  "deployable bundle (all plugins + dashboard), gzip",
  `${(gz / 1024).toFixed(1)} KiB`,
  `minified ${(bundle.length / 1024).toFixed(0)} KiB`,
  "–",
  "≤ 150 KiB",
  gz <= 150 * 1024,
);
const meta = JSON.parse(readFileSync(`${out}/meta.json`, "utf8"));
const output = Object.values(meta.outputs).find((o) => o.entryPoint || Object.keys(o.inputs).length > 3);
const byDependency = {};
for (const [path, input] of Object.entries(output.inputs)) {
  const parts = path.split("node_modules/");
  let key;
  if (parts.length > 1) {
    const rest = parts.pop().split("/");
    key = rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  } else key = path.startsWith("plugins/") ? `plugins/${path.split("/")[1]}` : path.split("/").slice(0, 2).join("/");
  byDependency[key] = (byDependency[key] ?? 0) + input.bytesInOutput;
}
const breakdown = Object.entries(byDependency).sort((a, b) => b[1] - a[1]);

let startup = "not measured";
const check = spawnSync(bin("wrangler"), ["check", "startup", "--outfile", `${out}/startup.cpuprofile`], {
  encoding: "utf8",
  timeout: 120_000,
});
if (check.status === 0 && existsSync(`${out}/startup.cpuprofile`)) {
  const profile = JSON.parse(readFileSync(`${out}/startup.cpuprofile`, "utf8"));
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  let busy = 0;
  profile.samples.forEach((id, i) => {
    if (!idle.has(id)) busy += profile.timeDeltas[i] ?? 0;
  });
  startup = `${(busy / 1000).toFixed(1)} ms CPU (local workerd profile)`;
  row("Worker startup (wrangler check startup)", startup, "–", "–", "", true);
}

// ── the table ────────────────────────────────────────────────────────────────────────────────
const header = ["Measure", "Value", "Reference (same run)", "Ratio", "Target", ""];
const lines = rows.map((
  r,
) => [r.measure, r.value, r.reference, r.ratio, r.target, r.met === null ? "–" : r.met ? "✓" : "✗"]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
const text = [header, widths.map((w) => "-".repeat(w)), ...lines].map((l) =>
  l.map((c, i) => String(c).padEnd(widths[i])).join("  ")
).join("\n");
console.log(`\n${text}\n`);

const md = (cells) => `| ${cells.join(" | ")} |`;
const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const now = new Date().toISOString().slice(0, 10);
writeFileSync(
  "BENCHMARKS.md",
  `# Benchmarks

Latest run: ${now}, on ${cpu} (${os.cpus().length} cores, ${
    (os.totalmem() / 2 ** 30).toFixed(0)
  } GiB), Node ${process.version},
${
    execFileSync(bin("deno"), ["--version"], { encoding: "utf8" }).split("\n")[0]
  }. Reproduce with \`npm run bench\`: it runs
every \`test/bench/*.bench.ts\` (vitest bench), \`scripts/bench-facts.ts\` and
\`test/deno/webhook-throughput.ts\` under Deno, and the \`wrangler\` bundle and startup checks, and rewrites
this file. Every figure is compared with a
reference measured in the same run; absolute numbers move with the machine, ratios much less.

${md(header)}
${md(header.map(() => "---"))}
${lines.map(md).join("\n")}

## Bundle by dependency (minified bytes in the output, before gzip)

${md(["Part", "KiB"])}
${md(["---", "---:"])}
${breakdown.map(([k, v]) => md([k, (v / 1024).toFixed(1)])).join("\n")}

The size is guarded by \`test/node/bundle-size.test.ts\` (fails above 150 KiB gzip).

## Where a target is missed

- **Dispatch to one no-op plugin** stays under 1 µs, at 1.9–3.4× the hand-written loop across runs on this shared
  machine: the 2× target is met in some runs and missed in others.
  The loop has no isolation: a hook that never settles would hang it. The table's second reference, the isolation floor
  (a promise per hook and one check a microtask later for a hook still running, no outcomes and no clock), is the least
  a dispatcher surviving such a hook does. Most of what the kernel adds to it is timing the hooks for their history
  records: the group's last row measures the two clock reads alone (100–140 ns here, against a loop of 160–250 ns).
  Rewrites without the async function, with hoisted helpers or without array destructuring were no faster; dropping
  the clock reads was (1.6× the loop in a separate harness), but a hook's duration is part of its record. With ten
  plugins the fixed cost is shared: 1.2–1.9× the loop in most runs, but 2.1–2.3× in some of today's (the code before
  and after the dispatch's own context for \`ctx.signal\` came in gave the same spread, 1.77–2.27×), so that target is
  met only on a quiet machine.
- **Signed webhooks on Deno** answer 0.09–0.13× of a bare hello-world across today's runs (4,000–8,100 against
  37,000–72,000 requests/s; the machine's speed drifts by a third within a run, so each server is measured twice,
  taking turns). The load comes from a client that writes pre-serialised HTTP/1.1 requests on kept-alive sockets, as
  autocannon does; with a fetch-based client the hello-world had looked 3× slower than it is, because the client was
  the bottleneck. The hello-world answers the very same signed POSTs about as fast as GETs, so the gap is the work
  behind each webhook, not the POST. The last row's reference splits it: a hand-written Hono receiver that does the
  least the contract allows (read the body, check the HMAC, commit the dedupe claim and a queue message to Deno KV
  before the 2xx) answers 4,900–8,400/s, and the kernel runs at 0.73–1.17× of it (its group commit shares one KV
  transaction among the webhooks that arrive together; the receiver commits each alone, and has no consumer to feed).
  Making an event durable before answering (DESIGN §6) costs about ten hello-world requests on Deno KV, so no receiver
  that keeps that promise comes near 0.5× of one on this machine. A CPU profile of the kernel under this load (server
  and client in separate processes) puts about 72 µs per webhook on the server's JS thread, a third of it WebCrypto's
  HMAC, and about as much again on Deno's other threads (KV, I/O); with the client, the two cores are saturated. Deno 2.8.3–2.9.5 also closed every connection after
  a body over ~500 bytes (denoland/deno#36657); the table counts reconnects, and [docs/deploy.md](docs/deploy.md)
  says which Deno to run.
`,
);
console.error("wrote BENCHMARKS.md");
