/**
 * `src/main.ts` loaded the way Deno Deploy loads it: Deploy's environment (DENO_DEPLOY,
 * DENO_DEPLOYMENT_ID, no DVP_KV_PATH), and Deno.cron, Deno.openKv and Deno.serve replaced by
 * recorders. Deploy discovers crons by evaluating the module's top-level code, so the tick must be
 * registered before the first await and before the server starts; its KV is opened with no path.
 */
import { expect } from "expect";
import { startDeno, usesKvQueue } from "../../src/adapters/deno.ts";
import { captureLogs } from "../../src/testing/logs.ts";
import { eventBody, RecorderPlugin, signedRequest } from "../fixtures/webhook-kit.ts";
import { tenantWithPlugin } from "./tenant-setup.ts";

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

/** A Deno KV as Deno Deploy gives it: no queue (`enqueue`, `atomic().enqueue`, `listenQueue` refuse); the calls are recorded. */
function kvWithoutQueue(kv: Deno.Kv, used: string[]): Deno.Kv {
  const refuse = (api: string) => () => {
    used.push(api);
    throw new TypeError(`${api} is not supported on Deno Deploy`);
  };
  const atomic = kv.atomic.bind(kv);
  Object.assign(kv, {
    enqueue: refuse("enqueue"),
    listenQueue: refuse("listenQueue"),
    atomic: () => Object.assign(atomic(), { enqueue: refuse("atomic().enqueue") }),
  });
  return kv;
}

Deno.test({
  name:
    "Deno Deploy: no KV queue is used; a webhook reaches the plugin, and a failed run is retried by the tick's sweep",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const used: string[] = [];
    const kv = kvWithoutQueue(await Deno.openKv(":memory:"), used);
    const recorder = new RecorderPlugin();
    const ticks: (() => Promise<void>)[] = [];
    let now = Date.now();
    const env = {
      DENO_DEPLOY: "true",
      DENO_DEPLOYMENT_ID: "test-deployment",
      DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
      DVP_ADMIN_JWT_SECRET: "deno-test-admin-secret-0123456789abcdef",
      DVP_LOG_LEVEL: "error",
    };
    const logs = captureLogs();
    const kernel = await startDeno({
      env,
      kv,
      port: 0,
      hostname: "127.0.0.1",
      cron: (_name, _schedule, handler) => ticks.push(handler),
      plugins: () => [recorder],
      now: () => now,
      logSink: logs.sink,
    });
    try {
      expect(kernel.runtime.events.queue).toBeUndefined();
      const { tenant, secret } = await tenantWithPlugin(kernel.url, env.DVP_ADMIN_JWT_SECRET, "recorder", "deploy");

      const url = `${kernel.url}/v1/webhooks/${tenant}`;
      const res = await fetch(await signedRequest(url, secret, eventBody(), { id: "msg_deploy_1" }));
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ id: "msg_deploy_1", status: "accepted" });
      await until(() => recorder.seen.length === 1);

      // A run that fails is not lost: the tick (Deno.cron, which Deploy runs) sweeps the inbox.
      recorder.failNext = 1;
      const second = await fetch(await signedRequest(url, secret, eventBody("content.published", "post-2")));
      expect(second.status).toBe(202);
      await second.body?.cancel();
      await until(() => recorder.seen.length === 2);
      await kernel.idle(); // the failed run's record and retry are written before the tick looks
      now += 10 * 60_000;
      expect(ticks).toHaveLength(1);
      await ticks[0]!();
      expect(recorder.seen.map((s) => s.contentId)).toEqual(["post-1", "post-2", "post-2"]);
      expect(used).toEqual([]);
      // The one failure made on purpose, and nothing else.
      expect(logs.records.filter((r) => r.level === "error").map((r) => r.msg)).toEqual([
        "contentPublished failed in plugin recorder",
      ]);
    } finally {
      await kernel.close();
      kv.close();
    }
  },
});

Deno.test("Deno Deploy: DVP_KV_QUEUE turns the KV queue on or off, the default off on Deploy only", () => {
  expect(usesKvQueue({})).toBe(true);
  expect(usesKvQueue({ DENO_DEPLOYMENT_ID: "d" })).toBe(false);
  expect(usesKvQueue({ DVP_KV_QUEUE: "false" })).toBe(false);
  expect(usesKvQueue({ DENO_DEPLOY: "true", DVP_KV_QUEUE: "true" })).toBe(true);
  expect(() => usesKvQueue({ DVP_KV_QUEUE: "maybe" })).toThrow(/DVP_KV_QUEUE/);
});

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
