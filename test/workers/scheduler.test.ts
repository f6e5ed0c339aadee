// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TenantNamespaceLike } from "../../src/backends/cloudflare/backend.ts";
import { kvCallDriver } from "../../src/backends/cloudflare/kv-calls.ts";
import { schedulerSuite } from "../suites/scheduler.suite.ts";

// Where the scheduler's state lives on Cloudflare: a tenant's Durable Object, through real RPC
// stubs (a fresh object per test, so nothing leaks between them). Claims and locks are atomic
// there; Cloudflare KV alone, read-then-write, is not where they belong (docs/storage.md).
const tenants = (env as { DVP_TENANT: TenantNamespaceLike }).DVP_TENANT;
schedulerSuite({ describe, it, expect, runtime: "workerd" }, {
  driver: () => {
    const stub = tenants.get(tenants.idFromName(crypto.randomUUID()));
    return kvCallDriver("tenant-object", (call) => stub.kv(call));
  },
});
