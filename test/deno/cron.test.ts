/**
 * The Deno adapter's Deno.cron handler and KV queue: the registered "dvp-tick" handler runs an
 * enabled plugin's task (fanned out or inline, as the scheduler decides) under Deno KV.
 */
import { expect } from "expect";
import { startDeno } from "../../src/adapters/deno.ts";
import { TickerPlugin } from "../fixtures/webhook-kit.ts";

const ENV = {
  DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  DVP_ADMIN_JWT_SECRET: "deno-test-admin-secret-0123456789abcdef",
  DVP_LOG_LEVEL: "error",
};

Deno.test({
  name: "Deno adapter: the Deno.cron handler ticks the scheduler and a task runs",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const ticker = new TickerPlugin();
    const crons: { name: string; schedule: string; handler: () => Promise<void> }[] = [];
    const kv = await Deno.openKv(":memory:");
    const clock = { now: Date.now() };
    const kernel = await startDeno({
      now: () => clock.now,
      env: ENV,
      kv,
      port: 0,
      hostname: "127.0.0.1",
      cron: (name, schedule, handler) => crons.push({ name, schedule, handler }),
      plugins: () => [ticker],
    });
    try {
      expect(crons.map((c) => [c.name, c.schedule])).toEqual([["dvp-tick", "* * * * *"]]);
      const tenant = crypto.randomUUID();
      const k = kernel.runtime.kernel;
      await k.putTenant(tenant, { slug: "cron", plan: "free" });
      await k.enable(tenant, "ticker");
      // Two minutes on, the every-minute task is due: the registered handler ticks and it runs.
      clock.now += 120_000;
      await crons[0]!.handler();
      const end = Date.now() + 10_000;
      while (ticker.runs.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(ticker.runs.length).toBeGreaterThanOrEqual(1);
      expect(ticker.runs[0]!.taskId).toBe("ticker.minute");
    } finally {
      await kernel.close();
      kv.close();
    }
  },
});
