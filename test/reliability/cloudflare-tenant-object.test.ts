/**
 * Cloudflare's storage split, in Node: read-mostly state on a store with KV's claim semantics
 * (`putIfAbsent` is a read, a moment, then a write: not atomic), each tenant's coordination
 * state in its authority (the Durable Object; here an atomic memory store per tenant, one for all
 * isolates, as the object is). What DESIGN §6 promises must now hold across isolates too: every
 * duplicate delivered at the same instant to two isolates is accepted exactly once, its plugin
 * runs once and it has exactly one final record. (The object itself, in workerd:
 * test/workers/tenant-object.test.ts.)
 */
import { afterEach, describe, expect, it } from "vitest";
import type { KVDriver } from "../../src/store/driver.ts";
import { createMemoryDriver } from "../../src/backends/memory.ts";
import { createSplitDriver } from "../../src/store/split.ts";
import { createFakeClock } from "../../src/testing/clock.ts";
import { createFaultyDriver } from "./faulty-driver.ts";
import { CountingPlugin } from "./plugins.ts";
import { Rig, START } from "./rig.ts";

/** The memory driver with Cloudflare KV's claim semantics: read, a moment, then write; no compare-and-set. */
function readThenWrite(inner: KVDriver, gapMs = 2): KVDriver {
  return {
    name: "cloudflare-kv-emulated",
    atomic: false,
    get: (key) => inner.get(key),
    getMany: (keys) => inner.getMany(keys),
    put: (key, value, opts) => inner.put(key, value, opts),
    delete: (key) => inner.delete(key),
    list: (opts) => inner.list(opts),
    async putIfAbsent(key, value, opts) {
      if ((await inner.get(key)) !== null) return false;
      await new Promise((resolve) => setTimeout(resolve, gapMs));
      await inner.put(key, value, opts);
      return true;
    },
  };
}

let rigs: Rig[] = [];
afterEach(() => {
  for (const r of rigs) r.expectNoSecretLeak();
  rigs = [];
});

describe("Cloudflare: KV for read-mostly state, the tenant's object for coordination", () => {
  it("two isolates at the same instant: every webhook accepted once, run once, recorded once", async () => {
    const clock = createFakeClock(START);
    const now = () => clock.now();
    const shared = readThenWrite(createMemoryDriver({ now }));
    const objects = new Map<string, KVDriver>();
    const authority = (tenantId: string) => {
      let object = objects.get(tenantId);
      if (!object) objects.set(tenantId, object = createMemoryDriver({ now }));
      return object;
    };
    const driver = createFaultyDriver(createSplitDriver({ shared, authority }));
    const counters = [new CountingPlugin(), new CountingPlugin()];
    const a = new Rig({ plugins: () => [counters[0]!], clock, driver });
    const b = new Rig({ plugins: () => [counters[1]!], clock, driver });
    rigs = [a, b];
    const tenant = await a.tenant(["counter"]);
    b.secrets.add(tenant.secret);
    const ids = Array.from({ length: 50 }, (_, n) => `msg_cf2_${n}`);
    for (const id of ids) {
      const results = await Promise.all([a.send(tenant, { id }), b.send(tenant, { id }), a.send(tenant, { id })]);
      expect(results.filter((r) => r.status === 202), `accepts of ${id}`).toHaveLength(1);
      expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    }
    await a.settle();
    await b.settle();
    const finals = (await a.records(tenant.id)).filter((r) => r.final);
    for (const id of ids) {
      expect(finals.filter((r) => r.eventId === id), `final records of ${id}`).toHaveLength(1);
      const runs = (counters[0]!.calls.get(`${tenant.id}|${id}`) ?? 0) +
        (counters[1]!.calls.get(`${tenant.id}|${id}`) ?? 0);
      expect(runs, `runs of ${id}`).toBe(1);
    }
    // Nothing of the tenant's coordination state reached the shared store.
    const leaked = await shared.list({ prefix: "evt:" });
    expect(leaked.keys).toEqual([]);
  });
});
