// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { cloudflareTtl } from "../../src/backends/cloudflare/kv.ts";
import { createCloudflareKVDriver, type KVNamespaceLike } from "../../src/entries/drivers.ts";
import type { TenantNamespaceLike } from "../../src/backends/cloudflare/backend.ts";
import { kvCallDriver } from "../../src/backends/cloudflare/kv-calls.ts";
import { driverSuite } from "../suites/driver.suite.ts";

const binding = (env as { DVP_KV: KVNamespaceLike }).DVP_KV;

// The real local KV of wrangler.toml's DVP_KV binding, inside workerd.
driverSuite({ describe, it, expect, runtime: "workerd" }, {
  name: "cloudflare-kv",
  atomic: false,
  create: () => createCloudflareKVDriver(binding),
});

describe("Cloudflare KV driver specifics", () => {
  it("rounds a TTL up to whole seconds and to Cloudflare's 60 s minimum", () => {
    expect(cloudflareTtl(1)).toBe(60);
    expect(cloudflareTtl(59.2)).toBe(60);
    expect(cloudflareTtl(60)).toBe(60);
    expect(cloudflareTtl(60.1)).toBe(61);
    expect(cloudflareTtl(86_400)).toBe(86_400);
    expect(() => cloudflareTtl(0)).toThrow(/ttlSeconds/);
  });

  it("the real binding refuses a TTL below 60 s, so rounding is what makes short TTLs work", async () => {
    await expect(binding.put("ttl:raw", "v", { expirationTtl: 1 })).rejects.toThrow(/60/);
    await createCloudflareKVDriver(binding).put("ttl:rounded", "v", { ttlSeconds: 1 });
    expect(await binding.get("ttl:rounded", "text")).toBe("v");
  });

  it("passes the rounded TTL to the binding as expirationTtl", async () => {
    const seen: unknown[] = [];
    const spy: KVNamespaceLike = {
      get: binding.get.bind(binding) as KVNamespaceLike["get"],
      list: binding.list.bind(binding),
      delete: binding.delete.bind(binding),
      put: (key, value, options) => (seen.push(options), binding.put(key, value, options)),
    };
    const driver = createCloudflareKVDriver(spy);
    await driver.put("ttl:spy", "v", { ttlSeconds: 5 });
    await driver.put("ttl:spy", "v");
    expect(await driver.putIfAbsent("ttl:spy2", "v", { ttlSeconds: 90.5 })).toBe(true);
    expect(seen).toEqual([{ expirationTtl: 60 }, undefined, { expirationTtl: 91 }]);
  });

  it("falls back to parallel single reads on a runtime without bulk get", async () => {
    let singles = 0;
    const store = new Map([["a", "1"], ["b", "2"]]);
    const old = {
      get: (key: string | string[]) => {
        // An old runtime stringifies the array and reads that one (absent) key.
        if (Array.isArray(key)) return Promise.resolve(store.get(String(key)) ?? null);
        singles++;
        return Promise.resolve(store.get(key) ?? null);
      },
      put: () => Promise.resolve(),
      delete: () => Promise.resolve(),
      list: () => Promise.resolve({ keys: [], list_complete: true }),
    } as unknown as KVNamespaceLike;
    const driver = createCloudflareKVDriver(old);
    expect(await driver.getMany(["a", "x", "b"])).toEqual(["1", null, "2"]);
    expect(await driver.getMany(["b", "a"])).toEqual(["2", "1"]);
    expect(singles).toBe(5);
  });

  it("uses one bulk read per 100 keys where the binding has it", async () => {
    const calls: number[] = [];
    const counting = {
      get: (key: string | string[], type: "text") => {
        calls.push(Array.isArray(key) ? key.length : 1);
        return binding.get(key as string[], type);
      },
      put: binding.put.bind(binding),
      delete: binding.delete.bind(binding),
      list: binding.list.bind(binding),
    };
    const driver = createCloudflareKVDriver(counting as unknown as KVNamespaceLike);
    await driver.getMany(Array.from({ length: 250 }, (_, i) => `bulk:${i}`));
    expect(calls).toEqual([100, 100, 50]);
  });

  it("refuses something that is not a KV binding", () => {
    expect(() => createCloudflareKVDriver(undefined as unknown as KVNamespaceLike)).toThrow(/env\.DVP_KV/);
  });
});

// The tenant's Durable Object behind the same interface (its SQL key-value facade), through real
// RPC stubs: what the Cloudflare backend routes each tenant's coordination keys to.
const tenants = (env as { DVP_TENANT: TenantNamespaceLike }).DVP_TENANT;
const tenantObject = () => {
  const stub = tenants.get(tenants.idFromName(crypto.randomUUID()));
  return kvCallDriver("tenant-object", (call) => stub.kv(call));
};
driverSuite({ describe, it, expect, runtime: "workerd" }, {
  name: "tenant-object",
  atomic: true,
  create: tenantObject,
});

// The same under `hist:`, which the object keeps in its history table: every operation answers
// the same, whichever table holds the key.
driverSuite({ describe, it, expect, runtime: "workerd" }, {
  name: "tenant-object",
  atomic: true,
  keyPrefix: "hist:",
  create: tenantObject,
});
