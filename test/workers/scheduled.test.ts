/**
 * The Worker's real `scheduled` handler inside workerd: a plugin's task runs end to end from a
 * Cron Trigger. (Unfinished events are re-driven by each tenant's object, not by the tick:
 * test/workers/tenant-object.test.ts.)
 */
// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createWorker } from "../../src/adapters/cloudflare.ts";
import type { KVNamespaceLike } from "../../src/store/cloudflare-kv.ts";
import { signAdminToken, TickerPlugin } from "../fixtures/webhook-kit.ts";
import { captureConsoleLogs } from "./console-logs.ts";

const ADMIN_SECRET = "workers-test-admin-secret-0123456789";
const BASE = "http://kernel.test";

describe("scheduled() in workerd", () => {
  it("runs an enabled plugin's task from the Cron Trigger", async () => {
    const ticker = new TickerPlugin();
    const worker = createWorker({ plugins: () => [ticker] });
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
    const logs = captureConsoleLogs();
    try {
      expect((await send(`/v1/tenants/${tenant}`, "PUT", { slug: "tick", plan: "free" })).status).toBe(201);
      expect((await send(`/v1/tenants/${tenant}/plugins/ticker/enable`, "POST")).status).toBe(200);
    } finally {
      logs.restore();
    }
    // Both changes are audited.
    expect(logs.records.map((r) => [r.level, r.msg, r.method, r.status])).toEqual([
      ["info", "admin change", "PUT", 201],
      ["info", "admin change", "POST", 200],
    ]);

    // Two minutes on: the every-minute task is due.
    const controller = createScheduledController({ scheduledTime: Date.now() + 120_000, cron: "* * * * *" });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, localEnv as never, ctx);
    await waitOnExecutionContext(ctx);

    expect(ticker.runs.length).toBeGreaterThanOrEqual(1);
    expect(ticker.runs[0]!.taskId).toBe("ticker.minute");

    const res = await send(`/v1/tenants/${tenant}/executions?limit=50`, "GET");
    const text = await res.text();
    expect(text).toContain("ticker.minute");
  });
});
