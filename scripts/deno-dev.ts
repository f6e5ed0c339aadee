/**
 * `deno task dev`: the kernel under Deno with a local Deno KV file, the same first run as
 * `npm start`: .dev.vars generated once, a demo upstream, the demo tenant seeded through the
 * admin API, and the banner. Deno.cron drives the tick (it fires locally with --unstable-cron).
 *
 * Settings: every kernel setting (DVP_*) set in the environment wins over `.dev.vars`, as with
 * `npm start`; the dev token is signed with the merged settings, which the server runs with.
 *
 * Environment: PORT (default 8000), DVP_KV_PATH (default .dvp/kv.sqlite3), DVP_DEMO_UPSTREAM_PORT
 * (default: the last one, else a free one), DVP_DEMO_UPSTREAM_URL, DVP_DEV_STATE (default
 * .dvp/deno-dev.json).
 */
import { startDeno } from "../src/adapters/deno.ts";
import { ConfigurationError } from "../src/errors.ts";
import {
  banner,
  demoUpstreamPort,
  devAdminToken,
  devSettings,
  ensureDevVars,
  seedDemo,
  startDemoUpstream,
} from "./dev-kit.mjs";

const root = new URL("..", import.meta.url).pathname;
const log = (line: string) => console.log(`[dev] ${line}`);

const { vars, created } = ensureDevVars(`${root}.dev.vars`);
log(created ? "generated .dev.vars (master key, admin secret) — keep it private" : "using .dev.vars");
Deno.mkdirSync(`${root}.dvp`, { recursive: true });

const statePath = Deno.env.get("DVP_DEV_STATE") || `${root}.dvp/deno-dev.json`;
const upstream = Deno.env.get("DVP_DEMO_UPSTREAM_URL")
  ? { url: Deno.env.get("DVP_DEMO_UPSTREAM_URL")!, close: () => Promise.resolve() }
  : await startDemoUpstream({ port: demoUpstreamPort(Deno.env.toObject()), log, statePath });

const settings = devSettings(vars, Deno.env.toObject());
const env = { DVP_KV_PATH: `${root}.dvp/kv.sqlite3`, ...Deno.env.toObject(), ...settings };
let kernel;
try {
  kernel = await startDeno({ env, hostname: "127.0.0.1" });
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`[dev] cannot start: ${error.message}`);
  Deno.exit(1);
}
const token = await devAdminToken(settings);
const demo = await seedDemo({
  base: kernel.url,
  token,
  upstream: upstream.url,
  statePath,
  log,
});
console.log(banner({ base: kernel.url, token, ...demo, upstream: upstream.url, runtime: "Deno (Deno KV, Deno.cron)" }));
if (Deno.env.get("DVP_DEV_JSON")) {
  console.log(
    `DVP_DEV_READY ${
      JSON.stringify({
        base: kernel.url,
        token,
        tenantId: demo.tenantId,
        secret: demo.webhookSecret,
        upstream: upstream.url,
      })
    }`,
  );
}

const stop = async () => {
  await kernel.close();
  await upstream.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
