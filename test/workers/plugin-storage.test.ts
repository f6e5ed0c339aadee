// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createCloudflareKVDriver, type KVNamespaceLike } from "../../src/entries/drivers.ts";
import { pluginStorageSuite } from "../suites/plugin-storage.suite.ts";

// The real local KV of wrangler.toml's DVP_KV binding; each test writes under a tenant of its own.
const backend = createCloudflareKVDriver((env as { DVP_KV: KVNamespaceLike }).DVP_KV);
pluginStorageSuite({ describe, it, expect, runtime: "workerd" }, { driver: () => backend });
