import { startDeno } from "../../src/adapters/deno.ts";
import { MyPlugin } from "../fixtures/my-plugin.ts";
import { ReporterPlugin, VaultPlugin } from "../suites/admin-fixtures.ts";
import { adminRuntimeSuite } from "../suites/admin-runtime.suite.ts";
import { adminSuite } from "../suites/admin.suite.ts";
import { denoHarness } from "./harness.ts";

adminSuite(denoHarness);

const SECRET = "deno-runtime-admin-secret-0123456789";
const ENV = {
  DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  DVP_ADMIN_JWT_SECRET: SECRET,
  DVP_LOG_LEVEL: "error",
};

/** The Deno adapter for real: Deno.serve on a loopback port, Deno KV (in memory), requests over HTTP. */
async function served(withPlugins: boolean) {
  const kv = await Deno.openKv(":memory:");
  const kernel = await startDeno({
    env: ENV,
    port: 0,
    hostname: "127.0.0.1",
    kv,
    cron: () => {},
    ...(withPlugins ? { plugins: () => [new MyPlugin(), new VaultPlugin(), new ReporterPlugin()] } : {}),
  });
  return {
    withPlugins,
    send: (request: Request) => {
      const url = new URL(request.url);
      return fetch(new Request(kernel.url + url.pathname + url.search, request));
    },
    close: async () => {
      await kernel.close();
      kv.close();
    },
  };
}

adminRuntimeSuite(denoHarness, { secret: SECRET, start: () => served(true) });
adminRuntimeSuite(
  { ...denoHarness, describe: (name, body) => denoHarness.describe(`${name} (bundled plugins)`, body) },
  {
    secret: SECRET,
    start: () => served(false),
  },
);
