/**
 * The Cloudflare rows of `npm run bench`: runs scripts/bench-cloudflare.ts under Deno (which
 * starts `wrangler dev` itself) and adds its figures through `row`. Alone, for a quick look:
 * `node scripts/bench-cloudflare-rows.mjs` prints the rows without touching BENCHMARKS.md.
 */
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";

export function cloudflareRows({ row, fmtRatio }) {
  console.error("measuring signed webhooks and the tenant object's alarm under wrangler dev …");
  const run = spawnSync("node_modules/.bin/deno", ["run", "-A", "scripts/bench-cloudflare.ts"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 600_000,
  });
  if (run.status !== 0) {
    row("signed webhook → 202 under wrangler dev", "failed", "–", "–", "≥ 0.8×", false);
    return false;
  }
  const text = run.stdout;
  const { webhook, alarm } = JSON.parse(text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1));
  const ms = (x) => `${x.toFixed(2)} ms`;
  const [many, single, together] = webhook;
  const range = (w) => `${fmtRatio(w.pair_ratio_median)} (rounds ${w.pair_ratio_range.map(fmtRatio).join("–")})`;
  // The target's figure: both servers loaded at once, so the machine's other work slows both alike.
  row(
    `signed webhook → 202 under wrangler dev (${together.connections} in flight to each, both at once, one tenant, no plugin enabled)`,
    `${together.kernel_rps.toLocaleString("en")} req/s`,
    `hand-written Worker, HMAC + one Durable Object row: ${together.receiver_rps.toLocaleString("en")} req/s`,
    range(together),
    "≥ 0.8×",
    together.pair_ratio_median >= 0.8,
  );
  row(
    `signed webhook → 202 under wrangler dev (${many.connections} in flight, taking turns)`,
    `${many.kernel_rps.toLocaleString("en")} req/s`,
    `hand-written Worker: ${many.receiver_rps.toLocaleString("en")} req/s`,
    range(many),
    "–",
    null,
  );
  row(
    "signed webhook → 202 under wrangler dev, one at a time",
    `${single.kernel_rps.toLocaleString("en")} req/s`,
    `hand-written Worker: ${single.receiver_rps.toLocaleString("en")} req/s`,
    range(single),
    "–",
    null,
  );
  row(
    `workerd CPU per signed webhook under wrangler dev (${many.connections} in flight)`,
    ms(many.kernel_cpu_ms),
    `hand-written Worker: ${ms(many.receiver_cpu_ms)}`,
    fmtRatio(many.kernel_cpu_ms / many.receiver_cpu_ms),
    "–",
    null,
  );
  row(
    `tenant object alarm with one due job (workerd, ${alarm.alarms} in a row, nothing else running)`,
    `${ms(alarm.cpu_ms)} CPU, ${ms(alarm.wall_ms)} wall`,
    "–",
    "–",
    "–",
    null,
  );
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = [];
  const ok = cloudflareRows({
    row: (...cells) => rows.push(cells),
    fmtRatio: (r) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : "–"),
  });
  for (const cells of rows) console.log(cells.join("  |  "));
  if (!ok) process.exitCode = 1;
}
