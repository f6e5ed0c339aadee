/**
 * `src/main.ts` loaded the way Deno Deploy loads it: Deploy's environment (DENO_DEPLOY,
 * DENO_DEPLOYMENT_ID, no DVP_KV_PATH), and Deno.cron, Deno.openKv and Deno.serve replaced by
 * recorders. Deploy discovers crons by evaluating the module's top-level code, so the tick must be
 * registered before the first await and before the server starts; its KV is opened with no path.
 */
import { expect } from "expect";

type Call =
  | { api: "cron"; name: string; schedule: string }
  | { api: "openKv"; args: unknown[] }
  | { api: "serve" };

Deno.test({
  name:
    "Deno Deploy entry: the tick is registered at the top level, before openKv and Deno.serve; KV opened with no path",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const calls: Call[] = [];
    const handlers: (() => Promise<void>)[] = [];
    const kvs: Deno.Kv[] = [];
    const shutdowns: number[] = [];
    const logged: unknown[][] = [];
    const real = { openKv: Deno.openKv, log: console.log };
    const env: Record<string, string> = {
      DENO_DEPLOY: "true",
      DENO_DEPLOYMENT_ID: "test-deployment",
      DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
      DVP_ADMIN_JWT_SECRET: "deno-test-admin-secret-0123456789abcdef",
      DVP_LOG_LEVEL: "error",
    };
    const kvPath = Deno.env.get("DVP_KV_PATH");
    Deno.env.delete("DVP_KV_PATH");
    for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
    // Deno's namespace has getters only: replace them by definition, and put the originals back.
    const originals = new Map<string, PropertyDescriptor>();
    const stub = (name: string, value: unknown) => {
      originals.set(name, Object.getOwnPropertyDescriptor(Deno, name)!);
      Object.defineProperty(Deno, name, { value, configurable: true, writable: true });
    };
    stub("cron", (name: string, schedule: string, handler: () => Promise<void>) => {
      calls.push({ api: "cron", name, schedule });
      handlers.push(handler);
      return Promise.resolve();
    });
    stub("openKv", async (...args: unknown[]) => {
      calls.push({ api: "openKv", args });
      const kv = await real.openKv(":memory:");
      kvs.push(kv);
      return kv;
    });
    stub("serve", (options: { onListen?: (a: Deno.NetAddr) => void }) => {
      calls.push({ api: "serve" });
      queueMicrotask(() => options.onListen?.({ transport: "tcp", hostname: "0.0.0.0", port: 8000 }));
      return { finished: Promise.resolve(), shutdown: () => Promise.resolve(shutdowns.push(1)), addr: {} };
    });
    console.log = (...args: unknown[]) => void logged.push(args);
    try {
      // Evaluating the module is what Deploy does; its top-level await returns once it listens.
      await import("../../src/main.ts");
      expect(calls).toEqual([
        { api: "cron", name: "dvp-tick", schedule: "* * * * *" },
        { api: "openKv", args: [] },
        { api: "serve" },
      ]);
      expect(logged).toEqual([["dvp-kernel listening on http://127.0.0.1:8000"]]);
      // The handler Deploy calls reaches the kernel's tick (it resolves, the kernel being up).
      await handlers[0]!();
    } finally {
      for (const [name, descriptor] of originals) Object.defineProperty(Deno, name, descriptor);
      console.log = real.log;
      for (const k of Object.keys(env)) Deno.env.delete(k);
      if (kvPath !== undefined) Deno.env.set("DVP_KV_PATH", kvPath);
      for (const kv of kvs) kv.close();
    }
  },
});
