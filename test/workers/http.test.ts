/**
 * The HTTP surface inside real workerd: the Worker's own fetch (SELF, wrangler.toml's main) on
 * the real local KV, the queue consumer with createMessageBatch/getQueueResult, and the inbox
 * path with waitUntil. Each test uses its own tenant (one shared KV).
 */
// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  SELF,
  waitOnExecutionContext,
} from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorker } from "../../src/adapters/cloudflare.ts";
import type { WorkMessage } from "../../src/queue.ts";
import { eventBody, RecorderPlugin, signedRequest } from "../fixtures/webhook-kit.ts";
import { captureConsoleLogs, type ConsoleLogs } from "./console-logs.ts";
import { BASE, createTenant, enable, type Env, executions, type Fetcher } from "./kit.ts";

const self: Fetcher = (request) => SELF.fetch(request);

// The kernel logs its admin changes and the failures these tests cause on purpose: kept, and asserted below.
let logs: ConsoleLogs;
beforeEach(() => {
  logs = captureConsoleLogs();
});
afterEach(() => logs.restore());

describe("webhooks in workerd through the Worker's fetch (SELF)", () => {
  it("answers /healthz and problem+json 404/405", async () => {
    const ok = await SELF.fetch(`${BASE}/healthz`);
    expect(await ok.json()).toEqual({ status: "ok" });
    const missing = await SELF.fetch(`${BASE}/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    const wrong = await SELF.fetch(`${BASE}/v1/webhooks/${crypto.randomUUID()}`);
    expect(wrong.status).toBe(405);
  });

  it("accepts a signed webhook once, then answers duplicate; refuses bad input by the contract", async () => {
    const tenant = await createTenant(self);
    const url = `${BASE}/v1/webhooks/${tenant.id}`;
    const first = await SELF.fetch(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_w1" }));
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ id: "msg_w1", status: "accepted" });
    expect(logs.find({ msg: "admin change" })).toEqual([
      expect.objectContaining({ level: "info", method: "PUT", path: `/v1/tenants/${tenant.id}`, status: 201 }),
    ]);
    const again = await SELF.fetch(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_w1" }));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ id: "msg_w1", status: "duplicate" });

    const cases: [Promise<Request>, number][] = [
      [signedRequest(url, "whsec_" + btoa("n".repeat(32)), eventBody()), 401],
      [signedRequest(`${BASE}/v1/webhooks/${crypto.randomUUID()}`, tenant.secret, eventBody()), 401],
      [signedRequest(url, tenant.secret, eventBody(), { timestamp: Math.floor(Date.now() / 1000) - 301 }), 401],
      [signedRequest(url, tenant.secret, "[]"), 400],
      [signedRequest(url, tenant.secret, "[".repeat(10_000) + "]".repeat(10_000)), 400],
      [signedRequest(url, tenant.secret, eventBody("content.exploded")), 422],
      [signedRequest(url, tenant.secret, JSON.stringify({ pad: "x".repeat(2 * 1024 * 1024) })), 413],
      [signedRequest(url, tenant.secret, eventBody(), { headers: { "content-type": "text/plain" } }), 415],
    ];
    for (const [request, status] of cases) {
      const res = await SELF.fetch(await request);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  it("refuses a streamed oversized body with 413", async () => {
    const tenant = await createTenant(self);
    const signed = await signedRequest(`${BASE}/v1/webhooks/${tenant.id}`, tenant.secret, "{}");
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 65536;
        if (pulled > 8 * 1024 * 1024) controller.close();
        else controller.enqueue(new Uint8Array(65536).fill(32));
      },
    });
    const res = await SELF.fetch(`${BASE}/v1/webhooks/${tenant.id}`, {
      method: "POST",
      headers: signed.headers,
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
  });
});

describe("the event pipeline in workerd", () => {
  it("without a queue: durable in the tenant's object before 202, dispatched in waitUntil, recorded", async () => {
    const recorder = new RecorderPlugin();
    const worker = createWorker({ plugins: () => [recorder] });
    const localEnv: Env = { ...env };
    const send: Fetcher = async (request) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(request, localEnv as never, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    const tenant = await createTenant(send);
    await enable(send, tenant, "recorder");
    const res = await send(
      await signedRequest(`${BASE}/v1/webhooks/${tenant.id}`, tenant.secret, eventBody(), {
        id: "msg_inbox",
        headers: { "x-correlation-id": "wk-1" },
      }),
    );
    expect(res.status).toBe(202);
    expect(recorder.seen).toHaveLength(1);
    expect(recorder.seen[0]!.ctx.correlationId).toBe("wk-1");
    const records = await executions(send, tenant);
    expect(records.some((r) => JSON.stringify(r).includes("msg_inbox") && JSON.stringify(r).includes("succeeded")))
      .toBe(true);
  });

  it("with DVP_QUEUE: enqueued on accept, dispatched by the consumer, acked or retried per message", async () => {
    const { recorder, worker, sent, queueEnv, send, tenant, url } = await queueSetup();
    expect((await send(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_q1" }))).status).toBe(202);
    expect(sent).toEqual([
      { kind: "event", tenantId: tenant.id, eventId: "msg_q1", plugin: "recorder", at: expect.any(Number) },
    ]);
    expect(recorder.seen).toHaveLength(0);

    recorder.failNext = 1;
    const messages = [
      { id: "m-1", timestamp: Date.now(), attempts: 1, body: sent[0]! },
      { id: "m-junk", timestamp: Date.now(), attempts: 1, body: { kind: "nonsense" } as unknown as WorkMessage },
    ];
    let batch = createMessageBatch("dvp-events", messages);
    let ctx = createExecutionContext();
    await worker.queue(batch as never, queueEnv as never);
    let result = await getQueueResult(batch, ctx);
    // (getQueueResult does not report delaySeconds; the 30 s backoff is asserted in test/node/events.test.ts)
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m-1"]);
    expect(result.explicitAcks).toEqual(["m-junk"]);
    // The junk message is dropped, the plugin's failure recorded: both logged as errors.
    expect(logs.find({ level: "error" }).map((r) => r.msg).sort()).toEqual([
      "contentPublished failed in plugin recorder",
      "dropped a queue message of unknown shape",
    ]);
    expect(logs.find({ level: "warn" })).toEqual([]);

    batch = createMessageBatch("dvp-events", [{ ...messages[0]!, attempts: 2 }, { ...messages[0]!, id: "m-2" }]);
    ctx = createExecutionContext();
    await worker.queue(batch as never, queueEnv as never);
    result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["m-1", "m-2"]);
    expect(recorder.seen).toHaveLength(2); // the failed attempt and the one that succeeded; not re-run after

    const records = await executions(send, tenant);
    const finals = records.filter((r) => JSON.stringify(r).includes("msg_q1") && r.final === true);
    expect(finals).toHaveLength(1);
  });

  it("the dead-letter queue's consumer gives each unfinished plugin a final failed record, once", async () => {
    const { recorder, worker, sent, queueEnv, send, tenant, url } = await queueSetup();
    expect((await send(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_dlq" }))).status).toBe(202);
    // The queue gave up on it (retries spent) before the consumer could finish it.
    const message = { id: "d-1", timestamp: Date.now(), attempts: 6, body: sent[0]! };
    for (let round = 0; round < 2; round++) { // a redelivery from the dead-letter queue changes nothing
      const batch = createMessageBatch("dvp-events-dlq", [message]);
      const ctx = createExecutionContext();
      await worker.queue(batch as never, queueEnv as never);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["d-1"]);
    }
    expect(recorder.seen).toHaveLength(0); // recorded, not run
    // The first delivery records the failure (an error); the redelivery finds nothing left (a warning).
    expect(logs.records.filter((r) => r.level !== "info").map((r) => [r.level, r.msg, r.tenant_id])).toEqual([
      ["error", "the queue gave up on an event; its unfinished plugins are recorded as failed", tenant.id],
      ["warn", "the queue gave up on an event that had nothing left to run", tenant.id],
    ]);
    const finals = (await executions(send, tenant)).filter((r) => r.event_id === "msg_dlq" && r.final === true);
    expect(finals).toEqual([
      expect.objectContaining({ status: "failed", reason: expect.stringContaining("dead-lettered") }),
    ]);
  });
});

/** A worker with a DVP_QUEUE that keeps what is sent, a tenant with the recorder plugin enabled, and its webhook URL. */
async function queueSetup() {
  const recorder = new RecorderPlugin();
  const worker = createWorker({ plugins: () => [recorder] });
  const sent: WorkMessage[] = [];
  const queueEnv: Env = {
    ...env,
    DVP_QUEUE: {
      send: (body: WorkMessage) => (sent.push(body), Promise.resolve()),
      sendBatch: (messages: { body: WorkMessage }[]) => (sent.push(...messages.map((m) => m.body)), Promise.resolve()),
    },
  };
  const send: Fetcher = async (request) => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, queueEnv as never, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
  const tenant = await createTenant(send);
  await enable(send, tenant, "recorder");
  return { recorder, worker, sent, queueEnv, send, tenant, url: `${BASE}/v1/webhooks/${tenant.id}` };
}
