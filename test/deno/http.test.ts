/**
 * The Deno adapter under Deno: Deno.serve on a free port, Deno KV, the KV queue delivering the
 * accepted webhook to the plugin, dedupe, refusals, and start-up refusing missing configuration.
 */
import { expect } from "expect";
import { type DenoKernel, type DenoStartOptions, keepsAliveAfterBodies, startDeno } from "../../src/adapters/deno.ts";
import { Plugin } from "../../src/plugin.ts";
import type { HookContext } from "../../src/context.ts";
import { createDenoKvWorkQueue, queuedMessages } from "../../src/backends/deno/queue.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { captureLogs } from "../../src/testing/logs.ts";
import { eventBody, RecorderPlugin, signedRequest } from "../fixtures/webhook-kit.ts";
import { tenantWithPlugin } from "./tenant-setup.ts";

const ENV = {
  DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  DVP_ADMIN_JWT_SECRET: "deno-test-admin-secret-0123456789abcdef",
  DVP_LOG_LEVEL: "error",
};

const noCron = () => undefined;

/** Throws the first time it sees one content id; records every content id it is called with. */
class FailOncePlugin extends Plugin {
  readonly name = "flake";
  readonly version = "1.0.0";
  readonly seen: string[] = [];
  #failed = false;
  constructor(readonly failOn: string) {
    super();
  }
  contentPublished(_ctx: HookContext, contentId: string): void {
    this.seen.push(contentId);
    if (contentId === this.failOn && !this.#failed) {
      this.#failed = true;
      throw new Error(`fails once on ${contentId}`);
    }
  }
}

/** The adapter on a free loopback port with these plugins and no cron. */
const startLocal = (kv: Deno.Kv, plugins: Plugin[], options: DenoStartOptions = {}) =>
  startDeno({ env: ENV, kv, port: 0, hostname: "127.0.0.1", cron: noCron, plugins: () => plugins, ...options });

/** The tenant's final hook records (of one event, when given), once there are `count` or 10 s have passed. */
async function finalRecords(kernel: DenoKernel, tenant: string, count: number, eventId?: string) {
  const read = async () =>
    (await kernel.runtime.kernel.history.list(tenant, { kind: "hook", limit: 200 })).filter((r) =>
      r.final && (eventId === undefined || r.eventId === eventId)
    );
  const end = Date.now() + 10_000;
  let records = await read();
  while (records.length < count && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    records = await read();
  }
  return records;
}

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
      const { tenant, secret } = await tenantWithPlugin(kernel.url, ENV.DVP_ADMIN_JWT_SECRET, "recorder", "deno");

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
      expect(await finalRecords(kernel, tenant, 1, "msg_deno")).toHaveLength(1);
      expect(recorder.seen).toHaveLength(1);
    } finally {
      await kernel.close();
      kv.close();
    }
  },
});

Deno.test({
  name: "Deno adapter: an event the KV queue gives up on gets a final failed record per unfinished plugin, on the tick",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const recorder = new RecorderPlugin();
    recorder.failNext = 100;
    const kv = await Deno.openKv(":memory:");
    let tick: (() => Promise<void>) | undefined;
    const cron = (_name: string, _schedule: string, handler: () => Promise<void>) => void (tick = handler);
    // One redelivery, then Deno KV keeps the value under ["dvp-dead-letter", …].
    const logs = captureLogs(); // the failures and the give-up on purpose: asserted below, not printed
    const kernel = await startLocal(kv, [recorder], {
      queueBackoffMs: [20],
      retryBaseSeconds: 0.001,
      cron: cron as never,
      logSink: logs.sink,
    });
    try {
      const tenant = crypto.randomUUID();
      await kernel.runtime.kernel.putTenant(tenant, { slug: "given-up", plan: "pro" });
      await kernel.runtime.kernel.enable(tenant, "recorder");
      const at = new Date().toISOString();
      const event = {
        tenantId: tenant,
        type: "content.published",
        timestamp: at,
        content: {},
        receivedAt: at,
      } as const;
      expect(await kernel.runtime.events.accept({ ...event, id: "gone", contentId: "gone" })).toBe("accepted");
      const deadLetters = async () => (await Array.fromAsync(kv.list({ prefix: ["dvp-dead-letter"] }))).length;
      await until(() => recorder.seen.length === 2);
      for (let i = 0; i < 100 && (await deadLetters()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await deadLetters()).toBe(1);
      const finals = async () =>
        (await kernel.runtime.kernel.history.list(tenant, { kind: "hook" })).filter((r) => r.final);
      expect(await finals()).toEqual([]);

      await tick!();
      const [record] = await finals();
      expect(record).toMatchObject({ plugin: "recorder", status: "failed", attempt: 2 });
      expect(record!.reason).toContain("dead-lettered");
      expect(await deadLetters()).toBe(0);
      await tick!(); // nothing left: nothing recorded twice
      expect(await finals()).toHaveLength(1);
      expect(recorder.seen).toHaveLength(2);
      expect(logs.errors().map((r) => r.msg)).toEqual([
        "contentPublished failed in plugin recorder",
        "contentPublished failed in plugin recorder",
        "the queue gave up on an event; its unfinished plugins are recorded as failed",
      ]);
    } finally {
      await kernel.close();
      kv.close();
    }
  },
});

Deno.test({
  name:
    "Deno adapter: a grouped queue delivery with one failing plugin redelivers only that pair; each (event, plugin) ends once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const recorder = new RecorderPlugin();
    const flaky = new FailOncePlugin("c-4");
    const kv = await Deno.openKv(":memory:");
    const logs = captureLogs(); // flake's failure on purpose: asserted below, not printed
    const kernel = await startLocal(kv, [recorder, flaky], {
      queueBackoffMs: [50, 50, 50],
      retryBaseSeconds: 0.001,
      logSink: logs.sink,
    });
    // Which event ids each queue delivery carried, in order.
    const deliveries: string[][] = [];
    const consume = kernel.runtime.consume.bind(kernel.runtime);
    (kernel.runtime as { consume: typeof consume }).consume = (messages) => {
      deliveries.push(messages.map((m) => (m as { eventId: string }).eventId));
      return consume(messages);
    };
    try {
      const tenant = crypto.randomUUID();
      await kernel.runtime.kernel.putTenant(tenant, { slug: "grouped", plan: "pro" });
      await kernel.runtime.kernel.enable(tenant, "recorder");
      await kernel.runtime.kernel.enable(tenant, "flake");
      // Accepted in one go: the first claim commits alone, the four that queue behind it share
      // the next commit and so one queue delivery, in which c-4's plugin "flake" fails once.
      const ids = ["c-0", "c-1", "c-2", "c-3", "c-4"];
      const at = new Date().toISOString();
      const results = await Promise.all(ids.map((id) =>
        kernel.runtime.events.accept({
          id,
          tenantId: tenant,
          type: "content.published",
          timestamp: at,
          contentId: id,
          content: {},
          receivedAt: at,
        })
      ));
      expect(results).toEqual(ids.map(() => "accepted"));
      const records = await finalRecords(kernel, tenant, ids.length * 2);
      expect(records).toHaveLength(ids.length * 2);
      expect(new Set(records.map((r) => `${r.eventId}/${r.plugin}`)).size).toBe(ids.length * 2);
      expect(records.every((r) => r.status === "succeeded")).toBe(true);
      // The failure was in a shared delivery, and only its unfinished pair came again.
      const withFailure = deliveries.filter((d) => d.includes("c-4"));
      expect(withFailure).toHaveLength(2);
      expect(withFailure[0]!.length).toBeGreaterThan(1);
      expect(withFailure[1]).toEqual(["c-4"]);
      // The redelivery ran nothing again for the plugins that had already finished.
      expect(recorder.seen.map((s) => s.contentId).sort()).toEqual(ids);
      expect(flaky.seen.sort()).toEqual([...ids, "c-4"].sort());
      expect(logs.errors().map((r) => `${r.msg}: ${r.error}`)).toEqual([
        "contentPublished failed in plugin flake: fails once on c-4",
      ]);
    } finally {
      await kernel.close();
      kv.close();
    }
  },
});

Deno.test({
  name: "Deno adapter: a failed hook comes again after the kernel's jittered backoff, not the queue's own delay",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const flaky = new FailOncePlugin("once");
    const kv = await Deno.openKv(":memory:");
    const logs = captureLogs(); // the one failure on purpose: asserted below, not printed
    // The queue would wait a minute; the kernel's backoff, shortened here, asks for no wait.
    const kernel = await startLocal(kv, [flaky], {
      queueBackoffMs: [60_000],
      retryBaseSeconds: 0.001,
      logSink: logs.sink,
    });
    try {
      const tenant = crypto.randomUUID();
      await kernel.runtime.kernel.putTenant(tenant, { slug: "backoff", plan: "pro" });
      await kernel.runtime.kernel.enable(tenant, "flake");
      const at = new Date().toISOString();
      const accepted = await kernel.runtime.events.accept({
        id: "once",
        tenantId: tenant,
        type: "content.published",
        timestamp: at,
        contentId: "once",
        content: {},
        receivedAt: at,
      });
      expect(accepted).toBe("accepted");
      const [record] = await finalRecords(kernel, tenant, 1, "once");
      expect(record).toMatchObject({ plugin: "flake", status: "succeeded", attempt: 2 });
      expect(logs.errors().map((r) => r.msg)).toEqual(["contentPublished failed in plugin flake"]);
    } finally {
      await kernel.close();
      kv.close();
    }
  },
});

Deno.test({
  name: "Deno adapter: an event larger than Deno KV keeps is refused with 413; its group's other webhooks are accepted",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const recorder = new RecorderPlugin();
    const kv = await Deno.openKv(":memory:");
    const kernel = await startLocal(kv, [recorder]);
    try {
      const tenant = crypto.randomUUID();
      const { generatedSecret } = await kernel.runtime.kernel.putTenant(tenant, { slug: "large", plan: "pro" });
      await kernel.runtime.kernel.enable(tenant, "recorder");
      const url = `${kernel.url}/v1/webhooks/${tenant}`;
      const send = async (id: string, size: number) => {
        const body = JSON.stringify({
          type: "content.published",
          timestamp: new Date().toISOString(),
          data: { content_id: id, content: { text: "x".repeat(size) } },
        });
        const res = await fetch(await signedRequest(url, generatedSecret!, body, { id }));
        return { status: res.status, type: res.headers.get("content-type"), body: await res.json() };
      };
      const [small, large, alsoSmall] = await Promise.all([
        send("msg_small", 40_000),
        send("msg_large", 100_000),
        send("msg_small_2", 1_000),
      ]);
      expect(small.status).toBe(202);
      expect(alsoSmall.status).toBe(202);
      expect(large.status).toBe(413);
      expect(large.type).toBe("application/problem+json");
      expect(large.body.detail).toContain("64 KiB");
      // Refused, not half-accepted: the same webhook is refused again the same way, not a duplicate.
      expect((await send("msg_large", 100_000)).status).toBe(413);
      await until(() => recorder.seen.length === 2);
    } finally {
      await kernel.close();
      kv.close();
    }
  },
});

Deno.test({
  name: "Deno adapter: a plugin failing with a huge error message ends in one final, clipped 'failed' record",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const loud = new RecorderPlugin("loud");
    loud.failNext = 99;
    const kv = await Deno.openKv(":memory:");
    const logs = captureLogs(); // three failures on purpose: asserted below, not printed
    const kernel = await startLocal(kv, [loud], {
      queueBackoffMs: [20, 20, 20, 20],
      retryBaseSeconds: 0.001,
      logSink: logs.sink,
    });
    const huge = `upstream said: ${JSON.stringify({ body: '"quoted" '.repeat(6_000) })}`;
    const record = RecorderPlugin.prototype.contentPublished;
    loud.contentPublished = function (...args: Parameters<typeof record>) {
      try {
        record.apply(this, args);
      } catch {
        throw new Error(huge); // ~70 KB, more when escaped inside JSON
      }
    };
    try {
      const tenant = crypto.randomUUID();
      const { generatedSecret } = await kernel.runtime.kernel.putTenant(tenant, { slug: "loud", plan: "pro" });
      await kernel.runtime.kernel.enable(tenant, "loud");
      const res = await fetch(
        await signedRequest(`${kernel.url}/v1/webhooks/${tenant}`, generatedSecret!, eventBody()),
      );
      expect(res.status).toBe(202);
      await res.body?.cancel();
      await finalRecords(kernel, tenant, 1);
      await new Promise((r) => setTimeout(r, 200)); // a redelivery that should not come
      const [final, ...more] = await finalRecords(kernel, tenant, 1);
      expect(more).toHaveLength(0);
      expect(final!.status).toBe("failed");
      expect(final!.attempt).toBe(3);
      expect(final!.error!.length).toBeLessThan(2_100);
      expect(loud.seen).toHaveLength(3);
      const failures = logs.find({ level: "error", plugin: "loud", msg: "contentPublished failed in plugin loud" });
      expect(failures).toHaveLength(3);
      expect(failures.every((r) => String(r.error).startsWith("upstream said: "))).toBe(true);
    } finally {
      await kernel.close();
      kv.close();
    }
  },
});

Deno.test({
  name: "Deno KV work queue: a claim too large for Deno KV fails alone; the rest of its group is claimed",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const kv = await Deno.openKv(":memory:");
    try {
      kv.listenQueue(() => {});
      const queue = createDenoKvWorkQueue(kv);
      const message = (eventId: string) => ({ kind: "event", tenantId: "t", eventId }) as const;
      // Issued together: the first commits alone, the other three share the next commit.
      const results = await Promise.allSettled([
        queue.claimAndSend!({ key: "evt:t:a", value: "a", ttlSeconds: 60 }, [message("a")]),
        queue.claimAndSend!({ key: "evt:t:b", value: "b", ttlSeconds: 60 }, [message("b")]),
        queue.claimAndSend!({ key: "evt:t:huge", value: "x".repeat(70_000), ttlSeconds: 60 }, [message("huge")]),
        queue.claimAndSend!({ key: "evt:t:c", value: "c", ttlSeconds: 60 }, [message("c")]),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
      expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: "ERR_TOO_LARGE" });
      for (const key of ["a", "b", "c"]) expect((await kv.get([`evt:t:${key}`])).value).toMatchObject({ v: key });
      expect((await kv.get(["evt:t:huge"])).value).toBeNull();
    } finally {
      kv.close();
    }
  },
});

Deno.test({
  name: "Deno adapter: a sender's keep-alive connection carries one signed 4 KiB webhook after another",
  ignore: !keepsAliveAfterBodies(Deno.version.deno), // 2.8.3–2.9.5 close it (denoland/deno#36657)
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const kv = await Deno.openKv(":memory:");
    const kernel = await startLocal(kv, []);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(kernel.url).port) });
    try {
      const tenant = crypto.randomUUID();
      const { generatedSecret } = await kernel.runtime.kernel.putTenant(tenant, { slug: "keep", plan: "pro" });
      const body = eventBody("content.published", "post-1", { padding: "x".repeat(4096) });
      const reader = conn.readable.getReader();
      const writer = conn.writable.getWriter();
      const text = new TextDecoder();
      // Raw HTTP/1.1 on one socket: a client that reconnects on its own (as fetch does) would hide a close.
      for (let i = 0; i < 3; i++) {
        const request = await signedRequest(`${kernel.url}/v1/webhooks/${tenant}`, generatedSecret!, body);
        const head = [`POST /v1/webhooks/${tenant} HTTP/1.1`, `host: 127.0.0.1`, `content-length: ${body.length}`]
          .concat([...request.headers].map(([k, v]) => `${k}: ${v}`));
        await writer.write(new TextEncoder().encode(`${head.join("\r\n")}\r\n\r\n${body}`));
        // One answer: its head, then content-length bytes; a server that stalls fails the test, not hangs it.
        let response = "";
        const complete = () => {
          const end = response.indexOf("\r\n\r\n");
          const length = /\r\ncontent-length: *(\d+)/i.exec(response.slice(0, end));
          return end >= 0 && length !== null && response.length >= end + 4 + Number(length[1]);
        };
        const deadline = setTimeout(() => conn.close(), 5_000);
        while (!complete()) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done) throw new Error(`the connection closed (or stalled) after ${i} webhook(s): ${response}`);
          response += text.decode(value);
        }
        clearTimeout(deadline);
        expect(response).toMatch(/^HTTP\/1\.1 202 /);
        expect(response.toLowerCase()).not.toContain("connection: close");
      }
    } finally {
      conn.close();
      await kernel.close();
      kv.close();
    }
  },
});

Deno.test("Deno adapter: knows which Deno versions close keep-alive connections after a body", () => {
  for (const version of ["2.8.3", "2.9.0", "2.9.5", "2.9.5+98f9507"]) {
    expect(keepsAliveAfterBodies(version)).toBe(false);
  }
  // No warning unless the version is known to be affected (1.x served with hyper).
  for (const version of ["2.8.2", "2.7.14", "2.9.6", "2.10.0", "3.0.0", "1.46.3", "2.9", "garbage", ""]) {
    expect(keepsAliveAfterBodies(version)).toBe(true);
  }
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
          queue.claimAndSend!({ key, value: `v${i}`, ttlSeconds: 60 }, [{ kind: "event", tenantId: "t", eventId: key }])
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
        await queue.claimAndSend!({ key: "evt:t:0", value: "again", ttlSeconds: 60 }, [{
          kind: "event",
          tenantId: "t",
          eventId: "x",
        }]),
      ).toBe(false);
      await kv.set(["evt:t:old"], { v: "stale", exp: Date.now() - 1 });
      expect(
        await queue.claimAndSend!({ key: "evt:t:old", value: "fresh", ttlSeconds: 60 }, [{
          kind: "event",
          tenantId: "t",
          eventId: "old",
        }]),
      ).toBe(true);
      expect((await kv.get(["evt:t:old"])).value).toMatchObject({ v: "fresh" });
      // So is a claim of its own once its deadline has passed, even if Deno KV still returns it.
      let now = Date.now();
      const later = createDenoKvWorkQueue(kv, { now: () => now });
      const again = (value: string) =>
        later.claimAndSend!({ key: "evt:t:own", value, ttlSeconds: 60 }, [{
          kind: "event",
          tenantId: "t",
          eventId: "own",
        }]);
      expect(await again("first")).toBe(true);
      expect(await again("too soon")).toBe(false);
      now += 61_000;
      expect(await again("after its ttl")).toBe(true);
      expect((await kv.get(["evt:t:own"])).value).toMatchObject({ v: "after its ttl" });
    } finally {
      kv.close();
    }
  },
});
