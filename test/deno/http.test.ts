/**
 * The Deno adapter under Deno: Deno.serve on a free port, Deno KV, the KV queue delivering the
 * accepted webhook to the plugin, dedupe, refusals, and start-up refusing missing configuration.
 */
import { expect } from "expect";
import { type DenoStartOptions, startDeno } from "../../src/adapters/deno.ts";
import type { Plugin } from "../../src/plugin.ts";
import { createDenoKvWorkQueue, queuedMessages } from "../../src/events/deno-kv-queue.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { eventBody, RecorderPlugin, signAdminToken, signedRequest } from "../fixtures/webhook-kit.ts";

const ENV = {
  DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  DVP_ADMIN_JWT_SECRET: "deno-test-admin-secret-0123456789abcdef",
  DVP_LOG_LEVEL: "error",
};

const noCron = () => undefined;

/** The adapter on a free loopback port with these plugins and no cron. */
const startLocal = (kv: Deno.Kv, plugins: Plugin[], options: DenoStartOptions = {}) =>
  startDeno({ env: ENV, kv, port: 0, hostname: "127.0.0.1", cron: noCron, plugins: () => plugins, ...options });

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test({
  name: "Deno adapter: signed webhook → 202 → KV queue → plugin; duplicate; refusals",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const recorder = new RecorderPlugin();
    const kv = await Deno.openKv(":memory:");
    const kernel = await startLocal(kv, [recorder]);
    try {
      const token = await signAdminToken(ENV.DVP_ADMIN_JWT_SECRET, { tenants: "*" });
      const tenant = crypto.randomUUID();
      const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const created = await fetch(`${kernel.url}/v1/tenants/${tenant}`, {
        method: "PUT",
        headers: auth,
        body: JSON.stringify({ slug: "deno", plan: "pro" }),
      });
      expect(created.status).toBe(201);
      const { webhook_secret: secret } = await created.json();
      const enabled = await fetch(`${kernel.url}/v1/tenants/${tenant}/plugins/recorder/enable`, {
        method: "POST",
        headers: auth,
      });
      expect(enabled.status).toBe(200);
      await enabled.body?.cancel();

      const url = `${kernel.url}/v1/webhooks/${tenant}`;
      const res = await fetch(
        await signedRequest(url, secret, eventBody(), { id: "msg_deno", headers: { "x-correlation-id": "dn-1" } }),
      );
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ id: "msg_deno", status: "accepted" });
      await until(() => recorder.seen.length === 1);
      expect(recorder.seen[0]!.ctx.correlationId).toBe("dn-1");

      const dup = await fetch(await signedRequest(url, secret, eventBody(), { id: "msg_deno" }));
      expect(dup.status).toBe(200);
      expect(await dup.json()).toEqual({ id: "msg_deno", status: "duplicate" });

      for (
        const [request, status] of [
          [await signedRequest(url, "whsec_" + btoa("q".repeat(32)), eventBody()), 401],
          [await signedRequest(url, secret, "null"), 400],
          [await signedRequest(url, secret, eventBody("content.nope")), 422],
          [await signedRequest(url, secret, JSON.stringify({ pad: "x".repeat(2 * 1024 * 1024) })), 413],
        ] as const
      ) {
        const refused = await fetch(request);
        expect(refused.status).toBe(status);
        expect(refused.headers.get("content-type")).toBe("application/problem+json");
        await refused.body?.cancel();
      }

      // The final record is in the history, once (written just after the hook returns).
      const finals = async () =>
        (await kernel.runtime.kernel.history.list(tenant, { kind: "hook" })).filter((r) =>
          r.eventId === "msg_deno" && r.final
        );
      const end = Date.now() + 5_000;
      while ((await finals()).length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(await finals()).toHaveLength(1);
      expect(recorder.seen).toHaveLength(1);
    } finally {
      await kernel.close();
      kv.close();
    }
  },
});

Deno.test({
  name: "Deno adapter: a grouped queue delivery with one failing plugin is redelivered; each (event, plugin) ends once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const recorder = new RecorderPlugin();
    const flaky = new RecorderPlugin("flaky");
    flaky.failNext = 1;
    const kv = await Deno.openKv(":memory:");
    const kernel = await startLocal(kv, [recorder, flaky], { queueBackoffMs: [50, 50, 50] });
    try {
      const tenant = crypto.randomUUID();
      const { generatedSecret } = await kernel.runtime.kernel.putTenant(tenant, { slug: "grouped", plan: "pro" });
      await kernel.runtime.kernel.enable(tenant, "recorder");
      await kernel.runtime.kernel.enable(tenant, "flaky");
      const url = `${kernel.url}/v1/webhooks/${tenant}`;
      // Concurrent webhooks share group commits, so the one failure sits in a group with others.
      const ids = Array.from({ length: 24 }, (_, i) => `msg_group_${i}`);
      const statuses = await Promise.all(ids.map(async (id) => {
        const res = await fetch(await signedRequest(url, generatedSecret!, eventBody(), { id }));
        await res.body?.cancel();
        return res.status;
      }));
      expect(statuses).toEqual(ids.map(() => 202));
      const finals = async () =>
        (await kernel.runtime.kernel.history.list(tenant, { kind: "hook", limit: 200 })).filter((r) => r.final);
      const end = Date.now() + 10_000;
      while ((await finals()).length < ids.length * 2 && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const records = await finals();
      expect(records).toHaveLength(ids.length * 2);
      expect(new Set(records.map((r) => `${r.eventId}/${r.plugin}`)).size).toBe(ids.length * 2);
      expect(records.every((r) => r.status === "succeeded")).toBe(true);
      // The redelivered group ran nothing again for the plugin that had already finished.
      expect(recorder.seen).toHaveLength(ids.length);
      expect(flaky.seen).toHaveLength(ids.length + 1);
    } finally {
      await kernel.close();
      kv.close();
    }
  },
});

Deno.test("Deno adapter: missing configuration fails at start-up naming the variable", async () => {
  for (
    const [missing, variable] of [["DVP_MASTER_KEYS", "DVP_MASTER_KEYS"], [
      "DVP_ADMIN_JWT_SECRET",
      "DVP_ADMIN_JWT_SECRET",
    ]]
  ) {
    const env: Record<string, string> = { ...ENV };
    delete env[missing];
    const kv = await Deno.openKv(":memory:");
    try {
      const error = await startDeno({ env, kv, port: 0, cron: noCron }).then(() => null, (e) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).variable).toBe(variable);
      expect((error as Error).message).toContain(variable);
    } finally {
      kv.close();
    }
  }
});

Deno.test({
  name: "Deno KV work queue: group commit claims each key once and carries one work message per claim",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const kv = await Deno.openKv(":memory:");
    try {
      const received: unknown[] = [];
      const deliveries: unknown[] = [];
      kv.listenQueue((value) => {
        deliveries.push(value);
        received.push(...queuedMessages(value));
      });
      const queue = createDenoKvWorkQueue(kv, { maxGroup: 8 });
      // 60 concurrent claims over 40 distinct keys (20 duplicates, some inside one group).
      const keys = Array.from({ length: 60 }, (_, i) => `evt:t:${i % 40}`);
      const results = await Promise.all(
        keys.map((key, i) =>
          queue.claimAndSend!({ key, value: `v${i}`, ttlSeconds: 60 }, { kind: "event", tenantId: "t", eventId: key })
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(40);
      const claimedKeys = keys.filter((_, i) => results[i]);
      expect(new Set(claimedKeys).size).toBe(40);
      for (let i = 0; i < 100 && received.length < 40; i++) await new Promise((r) => setTimeout(r, 20));
      expect(received).toHaveLength(40);
      expect(new Set(received.map((m) => (m as { eventId: string }).eventId)).size).toBe(40);
      // Grouped: fewer queue deliveries than claims, none larger than maxGroup.
      expect(deliveries.length).toBeLessThan(40);
      for (const value of deliveries) expect(queuedMessages(value).length).toBeLessThanOrEqual(8);
      // A key taken before is refused, and an expired leftover in the driver's format is taken over.
      expect(
        await queue.claimAndSend!({ key: "evt:t:0", value: "again", ttlSeconds: 60 }, {
          kind: "event",
          tenantId: "t",
          eventId: "x",
        }),
      ).toBe(false);
      await kv.set(["evt:t:old"], { v: "stale", exp: Date.now() - 1 });
      expect(
        await queue.claimAndSend!({ key: "evt:t:old", value: "fresh", ttlSeconds: 60 }, {
          kind: "event",
          tenantId: "t",
          eventId: "old",
        }),
      ).toBe(true);
      expect((await kv.get(["evt:t:old"])).value).toBe("fresh");
    } finally {
      kv.close();
    }
  },
});
