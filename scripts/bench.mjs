#!/usr/bin/env node
/**
 * `npm run bench`: every benchmark, one table. Each figure is printed with the reference it is
 * measured against in the same run and the ratio, and checked against its target:
 *
 *   1. vitest bench (test/bench/*.bench.ts): each group's "(reference)" bench (or its first) is the
 *      reference of the others; tick groups are compared with the 1,000-tenant tick, safety-net
 *      groups (Cloudflare's Cron tick) with the 1,000-tenant safety net.
 *   2. scripts/bench-facts.ts under Deno: counted facts (KV reads per webhook); scripts/bench-history.ts:
 *      the tenant object's history query against the key scan it replaced (node:sqlite); and the
 *      signed webhook throughput on Deno.serve against bare Hono on Deno.serve.
 *   3. scripts/bench-cloudflare.ts under Deno, against `wrangler dev`: the signed webhook throughput
 *      of the kernel against a hand-written Worker with a Durable Object, and the tenant object's
 *      alarm with one due job (scripts/bench-cloudflare-rows.mjs makes the rows).
 *   4. The deployable bundle: `wrangler deploy --dry-run --outdir` gzip size, by dependency, and
 *      the startup CPU profile from `wrangler check startup`.
 *
 * Writes BENCHMARKS.md with the table, the machine and how to reproduce it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { gzipSync } from "node:zlib";
import { cloudflareRows } from "./bench-cloudflare-rows.mjs";

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
let netBase = null;
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
    if (/^safety net tick: /.test(name)) {
      // Cloudflare's Cron tick: a page of tenants whatever their number, so flat is the target.
      // Medians: a tick this short is dwarfed by the collections of the 100,000-tenant world.
      const b = benches[0];
      const tenants = Number(/safety net tick: ([\d,]+)/.exec(name)[1].replace(/,/g, ""));
      netBase ??= b;
      const ratio = b.median / netBase.median;
      const flat = tenants > 1_000;
      const reference = `1,000 tenants: ${fmtTime(netBase.median)} median`;
      const value = `${fmtTime(b.median)} median`;
      row(name, value, reference, fmtRatio(ratio), flat ? "flat (≈1×)" : "", flat ? ratio <= 2 : true);
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
console.error("timing the tenant object's history query against the key scan …");
const historyBench = deno(["scripts/bench-history.ts"], 120_000);
if (historyBench.status === 0) {
  const f = lastJson(historyBench.stdout);
  row(
    `history filtered by plugin (2 of ${
      f.records.toLocaleString("en")
    } records), tenant object's SQL: one indexed query`,
    fmtTime(f.query_ms),
    `the key scan it replaces (list + getMany, same SQLite, no RPC): ${fmtTime(f.scan_ms)}`,
    fmtRatio(f.ratio),
    "≤ 0.5×",
    f.ratio <= 0.5,
  );
} else {
  process.exitCode = 1;
  row("history query against the key scan", "failed", "–", "–", "≤ 0.5×", false);
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

// ── 3. Cloudflare under wrangler dev: webhook throughput, the tenant object's alarm ──────────
if (!cloudflareRows({ row, fmtRatio })) process.exitCode = 1;

// ── 4. the bundle ────────────────────────────────────────────────────────────────────────────
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

/**
 * Why a measure can miss its target on a machine like this one: reasons only, never figures, so
 * the text cannot drift from the table. Which targets are missed, and by how much, is generated
 * from this run's rows.
 */
const WHY = [
  [
    /^contentPublished to \d+ no-op plugins?: kernel\.runAction$/,
    "The loop isolates nothing: a hook that never settles would hang it. The isolation floor is the least a dispatcher " +
    "that survives such a hook does; the kernel adds per-plugin outcomes and a duration for each hook's history record " +
    "(the two-clock-reads row prices the timing) and freezes the hooks' input (the input-isolation rows price that " +
    "on a real page). With no-op hooks this fixed cost is the whole figure, and on a shared 2-core machine it moves " +
    "between runs by about the target's margin.",
  ],
  [
    /^history filtered by plugin/,
    "Both paths run in-process on the same SQLite (Deno's node:sqlite), so the ratio is the store's own work: the scan " +
    "lists every newer key of the tenant and reads the values, the query reads the plugin's index entries. On " +
    "Cloudflare the scan was also three requests to the tenant's object (two list pages and a getMany) where the query " +
    "is one (counted in test/workers/history.test.ts).",
  ],
  [
    /^tick: /,
    "An absolute target, so it moves with the machine's load: the 1,000-tenant tick of the same run shows how loaded it " +
    "was. The ratio column says whether a tick stays flat as the number of tenants grows. This is the tick of memory " +
    "and Deno KV, which runs the jobs its due index lists; idle tenants cost it nothing because the index is keyed by " +
    "due minute. On Cloudflare there is no due index: each tenant's object runs its own jobs from its alarm, and the " +
    "Cron tick is the safety net of the rows below it.",
  ],
  [
    /^safety net tick: /,
    "The Worker's side of Cloudflare's Cron tick takes so little time that scheduling noise on a shared machine " +
    "moves the ratio: its work is counted, not timed (the bench fails unless every tick reads the cursor, lists one " +
    "page, asks that page's objects and writes the cursor, whatever the number of tenants).",
  ],
  [
    /^signed webhook → 202 under wrangler dev/,
    "With no plugin enabled the kernel makes one request to the tenant's Durable Object per webhook, as the " +
    "hand-written Worker does, and spends about as much workerd CPU per webhook (the CPU row). Under wrangler dev " +
    "each request also crosses wrangler's local proxy, and the load generator, the proxy and both workerd processes " +
    "share this machine's two cores with other work. Taking turns, that work lands on one server's rounds and moved " +
    "the ratio by more than the target's margin in both directions; loaded at once, it slows both alike, so the " +
    "target reads that row (the median of its rounds), with the CPU row of the same run.",
  ],
  [
    /^signed webhook → 202/,
    "Each webhook is made durable before it is answered (DESIGN §6): its dedupe claim and the event are committed to " +
    "Deno KV first, which costs as much as many hello-world answers. The hand-written durable receiver (Hono, the HMAC " +
    "check and one KV commit) is the reference that keeps the same promise. The table counts reconnects: Deno " +
    "2.8.3–2.9.5 closed every connection after a body over ~500 bytes (denoland/deno#36657); " +
    "[docs/deploy.md](docs/deploy.md) says which Deno to run.",
  ],
];

/** One bullet per missed target with this run's figures, then the reason shared by each group of them. */
function missedSection() {
  const missed = rows.filter((r) => r.met === false);
  if (missed.length === 0) return "Every target is met in this run.\n";
  const groups = new Map();
  for (const r of missed) {
    const why = WHY.find(([pattern]) => pattern.test(r.measure))?.[1] ?? "";
    groups.set(why, [...(groups.get(why) ?? []), r]);
  }
  const bullet = (r) =>
    `- **${r.measure}**: ${r.value}${
      r.ratio === "–" ? "" : ` against ${r.reference} (${r.ratio})`
    }; target ${r.target}.`;
  return [...groups].map(([why, group]) => [...group.map(bullet), ...(why ? ["", why] : [])].join("\n")).join("\n\n") +
    "\n";
}
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
every \`test/bench/*.bench.ts\` (vitest bench), \`scripts/bench-facts.ts\`, \`scripts/bench-history.ts\` and
\`test/deno/webhook-throughput.ts\` under Deno, \`scripts/bench-cloudflare.ts\` against \`wrangler dev\`, and the
\`wrangler\` bundle and startup checks, and rewrites this file. Every figure is compared with a
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

${missedSection()}`,
);
console.error("wrote BENCHMARKS.md");
