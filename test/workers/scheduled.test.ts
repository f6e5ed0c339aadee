/**
 * The Worker's real `scheduled` handler inside workerd: the Cron Trigger is the safety net that
 * re-arms a tenant object whose alarm went missing, and the alarm runs the plugin's task end to
 * end. (Jobs and unfinished events are run by each tenant's object, not by the tick:
 * test/workers/alarm-scheduling.test.ts, test/workers/tenant-object.test.ts.)
 */
// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import {
  createExecutionContext,
  createScheduledController,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createWorker } from "../../src/adapters/cloudflare.ts";
import { setTenantObjectPlugins } from "../../src/backends/cloudflare/tenant-object.ts";
import type { KVNamespaceLike } from "../../src/backends/cloudflare/kv.ts";
import { signAdminToken, TickerPlugin } from "../fixtures/webhook-kit.ts";
import { captureConsoleLogs } from "./console-logs.ts";

const ADMIN_SECRET = "workers-test-admin-secret-0123456789";
const BASE = "http://kernel.test";

describe("scheduled() in workerd", () => {
  it("re-arms the alarm of a tenant object that lost it; the alarm runs the enabled plugin's task", async () => {
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

    // The object's alarm, armed by the enable, is lost; the object runs its own ticker.
    const ns = localEnv.DVP_TENANT as { idFromName(name: string): unknown; get(id: unknown): unknown };
    const stub = ns.get(ns.idFromName(tenant));
    const object = new TickerPlugin();
    const alarm = () =>
      runInDurableObject(stub as never, async (instance: object, state: unknown) => {
        setTenantObjectPlugins(instance, () => [object]);
        return (state as { storage: { getAlarm(): Promise<number | null> } }).storage.getAlarm();
      });
    const armed = await alarm();
    expect(armed).not.toBeNull();
    await runInDurableObject(
      stub as never,
      (_i: unknown, state: unknown) => (state as { storage: { deleteAlarm(): Promise<void> } }).storage.deleteAlarm(),
    );
    expect(await alarm()).toBeNull();
    await localEnv.DVP_KV.delete("sched:net:cursor"); // the rotation starts at the first tenant

    const controller = createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" });
    const ctx = createExecutionContext();
    const quiet = captureConsoleLogs(); // the safety net warns that it re-armed an alarm
    try {
      await worker.scheduled(controller, localEnv as never, ctx);
      await waitOnExecutionContext(ctx);
    } finally {
      quiet.restore();
    }
    expect(quiet.find({ level: "warn" }).map((r) => r.msg)).toContain(
      "safety net re-armed tenants whose alarm was missing",
    );
    expect(ticker.runs).toEqual([]); // the tick runs no job itself
    expect(await alarm()).toBe(armed);
    expect(await runDurableObjectAlarm(stub as never)).toBe(true);
    expect(object.runs.map((r) => r.taskId)).toEqual(["ticker.minute"]);

    const res = await send(`/v1/tenants/${tenant}/executions?limit=50`, "GET");
    const text = await res.text();
    expect(text).toContain("ticker.minute");
  });
});
