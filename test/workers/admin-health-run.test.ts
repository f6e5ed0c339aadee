// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createCloudflareKVDriver, type KVNamespaceLike } from "../../src/entries/drivers.ts";
import { adminHealthRunSuite } from "../suites/admin-health-run.suite.ts";

// The real local KV of wrangler.toml's DVP_KV binding; each test creates tenants of its own.
const backend = createCloudflareKVDriver((env as { DVP_KV: KVNamespaceLike }).DVP_KV);
adminHealthRunSuite({ describe, it, expect, runtime: "workerd" }, { driver: () => backend });
