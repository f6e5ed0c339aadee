// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createCloudflareKVDriver, type KVDriver, type KVNamespaceLike } from "../../src/index.ts";
import { adminSuite } from "../suites/admin.suite.ts";

const binding = (env as { DVP_KV: KVNamespaceLike }).DVP_KV;

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

// The admin API inside real workerd, its kernel on the real local KV of wrangler.toml's DVP_KV.
adminSuite({ describe, it, expect, runtime: "workerd" }, {
  driver: () => prefixed(createCloudflareKVDriver(binding), `admin-${crypto.randomUUID()}:`),
});
