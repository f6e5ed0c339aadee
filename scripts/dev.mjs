#!/usr/bin/env node
/**
 * `npm start`: the kernel under `wrangler dev` with locally persisted KV.
 * 1. generates .dev.vars once (random master key and admin secret; git-ignored),
 * 2. starts a demo upstream that prints the plugins' outbound calls,
 * 3. starts `wrangler dev --persist-to .wrangler/state --test-scheduled`,
 * 4. seeds a demo tenant through the admin API (idempotent) and enables the demo plugins,
 * 5. prints the URL, admin page, a dev admin token, the tenant's webhook secret and a ready command,
 * 6. drives the tick at the start of every minute through /__scheduled (wrangler dev does not fire crons itself).
 *
 * Settings: every kernel setting (DVP_*) set in the environment wins over `.dev.vars`; the merged
 * set is handed to wrangler as `--env-file .dvp/wrangler-dev.env` and signs the dev token.
 *
 * Environment: PORT (default 8787), DVP_DEMO_UPSTREAM_PORT (default: the last one, else a free
 * one), DVP_DEMO_UPSTREAM_URL (use this upstream instead of starting one), DVP_DEV_PERSIST_TO
 * (default .wrangler/state), DVP_DEV_STATE (default .dvp/dev.json), DVP_DEV_TICK_SECONDS (default 60),
 * DVP_DEV_CONFIG (the wrangler configuration, default wrangler.toml: a copy with the Queue blocks
 * uncommented runs the queue path locally, docs/deploy.md).
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import {
  banner,
  demoUpstreamPort,
  devAdminToken,
  devSettings,
  ensureDevVars,
  seedDemo,
  startDemoUpstream,
  waitForHealth,
  writeEnvFile,
} from "./dev-kit.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT || 8787);
const base = `http://127.0.0.1:${port}`;
const log = (line) => console.log(`[dev] ${line}`);

const { vars, created } = ensureDevVars(join(root, ".dev.vars"));
log(created ? "generated .dev.vars (master key, admin secret) — keep it private" : "using .dev.vars");
// wrangler reads .dev.vars alone, whatever the environment says: it gets the merged settings instead.
const settings = devSettings(vars, process.env);
const envFile = join(root, ".dvp", "wrangler-dev.env");
try {
  writeEnvFile(envFile, settings);
} catch (error) {
  console.error(`[dev] cannot start: ${error.message}`);
  process.exit(1);
}

const statePath = process.env.DVP_DEV_STATE || join(root, ".dvp", "dev.json");
const upstream = process.env.DVP_DEMO_UPSTREAM_URL
  ? { url: process.env.DVP_DEMO_UPSTREAM_URL, close: async () => {} }
  : await startDemoUpstream({ port: demoUpstreamPort(process.env), log, statePath });

const inspectorPort = await freePort();
const wrangler = spawn(
  process.execPath,
  [
    join(root, "node_modules", "wrangler", "bin", "wrangler.js"),
    "dev",
    "--config",
    process.env.DVP_DEV_CONFIG || join(root, "wrangler.toml"),
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    process.env.DVP_DEV_PERSIST_TO || join(root, ".wrangler", "state"),
    "--test-scheduled",
    "--env-file",
    envFile,
  ],
  { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);
const relay = (stream) => {
  let buffered = "";
  stream.on("data", (chunk) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop();
    for (const line of lines) if (line.trim()) console.log(`[wrangler] ${line}`);
  });
};
relay(wrangler.stdout);
relay(wrangler.stderr);

let ticker;
let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  clearTimeout(ticker);
  wrangler.kill("SIGTERM");
  await upstream.close();
  process.exit(code);
};
wrangler.on("exit", (code) => {
  if (!stopping) {
    console.error(`[dev] wrangler dev exited (${code})`);
    stop(code || 1);
  }
});
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

try {
  await waitForHealth(base, 120_000);
  const token = await devAdminToken(settings);
  const demo = await seedDemo({
    base,
    token,
    upstream: upstream.url,
    statePath,
    log,
  });
  console.log(banner({ base, token, ...demo, upstream: upstream.url, runtime: "wrangler dev (workerd, local KV)" }));
  if (process.env.DVP_DEV_JSON) {
    console.log(
      `DVP_DEV_READY ${
        JSON.stringify({ base, token, tenantId: demo.tenantId, secret: demo.webhookSecret, upstream: upstream.url })
      }`,
    );
  }
  const tickMs = Number(process.env.DVP_DEV_TICK_SECONDS || 60) * 1000;
  // As Cron Triggers do: at the start of each minute (a moment after it), not a minute after start-up.
  const untilNext = () => tickMs === 60_000 ? 60_000 - (Date.now() % 60_000) + 500 : tickMs;
  const tick = () => {
    fetch(`${base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`)
      .then((res) => res.body?.cancel())
      .catch((error) => log(`tick failed: ${error.message}`));
    ticker = setTimeout(tick, untilNext());
  };
  ticker = setTimeout(tick, untilNext());
} catch (error) {
  console.error(`[dev] ${error.message}`);
  await stop(1);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
