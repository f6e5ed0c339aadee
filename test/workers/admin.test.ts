// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import { createExecutionContext, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createWorker } from "../../src/adapters/cloudflare.ts";
import { createCloudflareKVDriver, type KVDriver, type KVNamespaceLike } from "../../src/entries/drivers.ts";
import { MyPlugin } from "../fixtures/my-plugin.ts";
import { ReporterPlugin, VaultPlugin } from "../suites/admin-fixtures.ts";
import { adminRuntimeSuite } from "../suites/admin-runtime.suite.ts";
import { adminSuite } from "../suites/admin.suite.ts";
import { captureConsoleLogs } from "./console-logs.ts";

const binding = (env as { DVP_KV: KVNamespaceLike }).DVP_KV;
const harness = { describe, it, expect, runtime: "workerd" } as const;

/**
 * The runtime suite's tests with the console kept: through the Worker's fetch the kernel logs each
 * admin change, refusal and key rotation to it, at info level, and no warning or error.
 */
const audited = {
  ...harness,
  it: (name: string, body: () => unknown) =>
    it(name, async () => {
      const logs = captureConsoleLogs();
      try {
        await body();
      } finally {
        logs.restore();
      }
      expect(logs.records.filter((r) => r.level !== "info")).toEqual([]);
    }),
};
/** vitest.workers.config.ts's binding. */
const ADMIN_SECRET = "workers-test-admin-secret-0123456789";

/** Each fixture gets its own key space in the one real local KV, so tests cannot see each other's tenants. */
function prefixed(driver: KVDriver, prefix: string): KVDriver {
  const strip = (key: string) => key.slice(prefix.length);
  return {
    name: driver.name,
    atomic: driver.atomic,
    get: (key) => driver.get(prefix + key),
    getMany: (keys) => driver.getMany(keys.map((k) => prefix + k)),
    put: (key, value, options) => driver.put(prefix + key, value, options),
    putIfAbsent: (key, value, options) => driver.putIfAbsent(prefix + key, value, options),
    delete: (key) => driver.delete(prefix + key),
    list: async (options) => {
      const page = await driver.list({ ...options, prefix: prefix + options.prefix });
      return { keys: page.keys.map(strip), cursor: page.cursor };
    },
  };
}

// The admin router inside real workerd, its kernel on the real local KV of wrangler.toml's DVP_KV.
adminSuite(harness, {
  driver: () => prefixed(createCloudflareKVDriver(binding), `admin-${crypto.randomUUID()}:`),
});

// The Cloudflare adapter's fetch (createWorker, as wrangler's main builds it) with the suite's plugins.
adminRuntimeSuite(audited, {
  secret: ADMIN_SECRET,
  start: () => {
    const worker = createWorker({ plugins: () => [new MyPlugin(), new VaultPlugin(), new ReporterPlugin()] });
    const localEnv = { ...(env as Record<string, unknown>) };
    return Promise.resolve({
      withPlugins: true,
      send: async (request) => {
        const ctx = createExecutionContext();
        const response = await worker.fetch(request, localEnv as never, ctx);
        await waitOnExecutionContext(ctx);
        return response;
      },
    });
  },
});

// wrangler.toml's main itself (SELF), with the bundled plugins.
adminRuntimeSuite({ ...audited, describe: (name, body) => describe(`${name} (SELF)`, body) }, {
  secret: ADMIN_SECRET,
  start: () => Promise.resolve({ withPlugins: false, send: (request) => SELF.fetch(request) }),
});
