/**
 * The Worker's real `scheduled` handler inside workerd: a plugin's task runs end to end from a
 * Cron Trigger, and the tick sweeps an inbox event whose dispatch never ran.
 */
// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createWorker } from "../../src/adapters/cloudflare.ts";
import type { KVNamespaceLike } from "../../src/store/cloudflare-kv.ts";
import { RecorderPlugin, signAdminToken, TickerPlugin } from "../fixtures/webhook-kit.ts";

const ADMIN_SECRET = "workers-test-admin-secret-0123456789";
const BASE = "http://kernel.test";

describe("scheduled() in workerd", () => {
  it("runs an enabled plugin's task from the Cron Trigger and sweeps an unfinished inbox event", async () => {
    const ticker = new TickerPlugin();
    const recorder = new RecorderPlugin();
    const worker = createWorker({ plugins: () => [ticker, recorder] });
    const localEnv = { ...env } as Record<string, unknown> & { DVP_KV: KVNamespaceLike };
    const token = await signAdminToken(ADMIN_SECRET, { tenants: "*" });
    const send = async (path: string, method: string, body?: unknown) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(`${BASE}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
        localEnv as never,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    const tenant = crypto.randomUUID();
    expect((await send(`/v1/tenants/${tenant}`, "PUT", { slug: "tick", plan: "free" })).status).toBe(201);
    expect((await send(`/v1/tenants/${tenant}/plugins/ticker/enable`, "POST")).status).toBe(200);
    expect((await send(`/v1/tenants/${tenant}/plugins/recorder/enable`, "POST")).status).toBe(200);

    // An event made durable whose dispatch never ran (the isolate was evicted after the 202).
    const event = {
      id: "msg_swept",
      tenantId: tenant,
      type: "content.published",
      timestamp: new Date().toISOString(),
      contentId: "post-9",
      content: { title: "late" },
      receivedAt: new Date().toISOString(),
    };
    await localEnv.DVP_KV.put(
      `evt:${tenant}:msg_swept`,
      JSON.stringify({ v: 1, event, hook: "contentPublished", plugins: ["recorder"] }),
    );
    await localEnv.DVP_KV.put(`inbox:${tenant}:msg_swept`, JSON.stringify({ due: Date.now() }));

    // Two minutes on: the every-minute task is due.
    const controller = createScheduledController({ scheduledTime: Date.now() + 120_000, cron: "* * * * *" });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, localEnv as never, ctx);
    await waitOnExecutionContext(ctx);

    expect(ticker.runs.length).toBeGreaterThanOrEqual(1);
    expect(ticker.runs[0]!.taskId).toBe("ticker.minute");
    expect(recorder.seen.map((s) => s.contentId)).toEqual(["post-9"]);
    expect(await localEnv.DVP_KV.get(`inbox:${tenant}:msg_swept`, "text")).toBeNull();

    const res = await send(`/v1/tenants/${tenant}/executions?limit=50`, "GET");
    const text = await res.text();
    expect(text).toContain("ticker.minute");
    expect(text).toContain("msg_swept");
  });
});
