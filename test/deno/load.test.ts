/**
 * Load on Deno: N signed webhooks, C at a time, across M tenants with K plugins each, against the
 * real Deno entry (startDeno: Deno.serve on loopback, Deno KV, its queue). Reports throughput and
 * p50/p99 latency of the 2xx answers, then waits (bounded) until the queue has drained and
 * asserts the count of final records equals accepted webhooks × enabled plugins, with no plugin
 * seeing an event twice.
 *
 * `npm run test:deno` runs it small (200 webhooks); the reliability run (test/reliability/
 * load-deno.test.ts) runs it at LOAD_WEBHOOKS=2000 and reads the `LOAD_RESULT` line it prints.
 */
import { expect } from "expect";
import { startDeno } from "../../src/adapters/deno.ts";
import { webhookHeaders } from "../../src/http/standard-webhooks.ts";
import { listAll } from "../../src/store/driver.ts";
import { keys } from "../../src/store/keys.ts";
import { CountingPlugin } from "../reliability/plugins.ts";

const int = (name: string, fallback: number) => {
  const value = Number(Deno.env.get(name) ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const N = int("LOAD_WEBHOOKS", 200);
const CONCURRENCY = int("LOAD_CONCURRENCY", 32);
const TENANTS = int("LOAD_TENANTS", 10);
const PLUGINS = int("LOAD_PLUGINS", 3);
const DRAIN_BOUND_MS = int("LOAD_DRAIN_BOUND_MS", 120_000);

const ENV = {
  DVP_MASTER_KEYS: "load:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  DVP_ADMIN_JWT_SECRET: "deno-load-admin-secret-0123456789abcdef",
  DVP_LOG_LEVEL: "error",
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

Deno.test({
  name: `load: ${N} signed webhooks, concurrency ${CONCURRENCY}, ${TENANTS} tenants × ${PLUGINS} plugins on Deno.serve`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const plugins = Array.from({ length: PLUGINS }, (_, i) => new CountingPlugin(`load-${i}`));
    const kv = await Deno.openKv(":memory:");
    const kernel = await startDeno({
      env: ENV,
      kv,
      port: 0,
      hostname: "127.0.0.1",
      cron: () => undefined,
      plugins: () => plugins,
    });
    try {
      const runtime = kernel.runtime;
      const tenants: { id: string; secret: string }[] = [];
      for (let t = 0; t < TENANTS; t++) {
        const id = crypto.randomUUID();
        const { generatedSecret } = await runtime.kernel.putTenant(id, { slug: `load-${t}`, plan: "pro" });
        for (const p of plugins) await runtime.kernel.enable(id, p.name);
        tenants.push({ id, secret: generatedSecret! });
      }
      // Requests are signed before the clock starts: the figures are the server's, not the signer's.
      const now = Math.floor(Date.now() / 1000);
      const prepared = await Promise.all(Array.from({ length: N }, async (_, i) => {
        const tenant = tenants[i % TENANTS]!;
        const id = `msg_load_${i}`;
        const body = JSON.stringify({
          type: "content.published",
          timestamp: new Date().toISOString(),
          data: { content_id: `post-${i}`, content: { title: `Post ${i}`, body: "x".repeat(512) }, metadata: {} },
        });
        const headers = { "content-type": "application/json", ...(await webhookHeaders(tenant.secret, id, now, body)) };
        return { url: `${kernel.url}/v1/webhooks/${tenant.id}`, headers, body };
      }));

      const latencies: number[] = [];
      const statuses: Record<number, number> = {};
      let next = 0;
      const started = performance.now();
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < prepared.length) {
          const request = prepared[next++]!;
          const t0 = performance.now();
          const res = await fetch(request.url, { method: "POST", headers: request.headers, body: request.body });
          await res.body?.cancel();
          latencies.push(performance.now() - t0);
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        }
      }));
      const sendMs = performance.now() - started;
      const accepted = statuses[202] ?? 0;
      expect(statuses).toEqual({ 202: N });

      // Drain: every (event, plugin) reaches its final record through the KV queue.
      const expected = accepted * PLUGINS;
      const countFinals = async () => {
        let finals = 0;
        for (const tenant of tenants) {
          const all: string[] = [];
          for await (const key of listAll(runtime.kernel.driver, keys.historyPrefix(tenant.id))) all.push(key);
          const values = await runtime.kernel.driver.getMany(all);
          for (const v of values) if (v !== null && (JSON.parse(v) as { final?: boolean }).final) finals++;
        }
        return finals;
      };
      const drainEnd = started + sendMs + DRAIN_BOUND_MS;
      let finals = 0;
      while ((finals = await countFinals()) < expected && performance.now() < drainEnd) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const drainMs = performance.now() - started;
      latencies.sort((a, b) => a - b);
      const result = {
        webhooks: N,
        concurrency: CONCURRENCY,
        tenants: TENANTS,
        plugins: PLUGINS,
        accepted,
        finalRecords: finals,
        expectedFinalRecords: expected,
        sendSeconds: Math.round(sendMs) / 1000,
        throughputPerSecond: Math.round(N / (sendMs / 1000)),
        p50Ms: Math.round(percentile(latencies, 50) * 100) / 100,
        p99Ms: Math.round(percentile(latencies, 99) * 100) / 100,
        maxMs: Math.round(latencies.at(-1)! * 100) / 100,
        drainedSeconds: Math.round(drainMs) / 1000,
        pluginRunsTotal: plugins.reduce((n, p) => n + [...p.calls.values()].reduce((a, b) => a + b, 0), 0),
        pluginRepeats: plugins.reduce((n, p) => n + p.repeated().length, 0),
      };
      console.log(`LOAD_RESULT ${JSON.stringify(result)}`);
      expect(finals).toBe(expected);
      expect(result.pluginRepeats).toBe(0);
      expect(result.pluginRunsTotal).toBe(expected);
    } finally {
      await kernel.close();
      kv.close();
    }
  },
});
