// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TenantNamespaceLike } from "../../src/backends/cloudflare/backend.ts";
import { kvCallDriver } from "../../src/backends/cloudflare/kv-calls.ts";
import { eventsSuite } from "../suites/events.suite.ts";
import { namespacedDriver } from "../suites/storage.suite.ts";

// Where events live on Cloudflare: a tenant's Durable Object, through real RPC stubs (a fresh
// object per test). Namespaced, so that the object's own alarm does not take the test's inbox
// markers for its tenant's: the suite drives every sweep itself, on its own clock.
const tenants = (env as { DVP_TENANT: TenantNamespaceLike }).DVP_TENANT;
eventsSuite({ describe, it, expect, runtime: "workerd" }, {
  driver: () => {
    const stub = tenants.get(tenants.idFromName(crypto.randomUUID()));
    return namespacedDriver(kvCallDriver("tenant-object", (call) => stub.kv(call)), "ev:");
  },
});
