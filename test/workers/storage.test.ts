// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createCloudflareKVDriver, type KVNamespaceLike } from "../../src/entries/drivers.ts";
import { parseMasterKeys } from "../../src/entries/runtime.ts";
import { storageSuite } from "../suites/storage.suite.ts";

const bindings = env as { DVP_KV: KVNamespaceLike; DVP_MASTER_KEYS: string };
const backend = createCloudflareKVDriver(bindings.DVP_KV);

// The real local KV of wrangler.toml's DVP_KV binding; each test gets its own key namespace.
storageSuite({ describe, it, expect, runtime: "workerd" }, { driver: () => backend });

describe("storage on workerd: bindings", () => {
  it("parses DVP_MASTER_KEYS as the Worker receives it", () => {
    const ring = parseMasterKeys(bindings.DVP_MASTER_KEYS);
    expect(ring.primary).toBe("test");
    expect(ring.keys.get("test")).toHaveLength(32);
  });
});
