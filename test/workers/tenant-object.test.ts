/**
 * The tenant's Durable Object as the authority for its coordination state, in real workerd:
 * accepting a webhook is one request to the object (no KV write, no KV read when warm), a
 * duplicate is answered `duplicate` from any isolate, a commit that fails answers 503 with
 * Retry-After, and the object's alarm re-drives an accepted event whose dispatch never ran.
 */
import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createWorker } from "../../src/adapters/cloudflare.ts";
import type { KvCall } from "../../src/backends/cloudflare/kv-calls.ts";
import { setTenantObjectPlugins } from "../../src/backends/cloudflare/tenant-object.ts";
import { Plugin } from "../../src/index.ts";
import { eventBody, RecorderPlugin, signedRequest } from "../fixtures/webhook-kit.ts";
import { BASE, countingEnv, createTenant, enable, type Env, executions, type Fetcher, tenantStub } from "./kit.ts";

type Worker = ReturnType<typeof createWorker>;

function sender(worker: Worker, env: Env): Fetcher {
  return async (request) => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, env as never, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}

/** A plugin whose hook waits until the test opens the gate. */
class GatedPlugin extends Plugin {
  readonly name = "gated";
  readonly version = "1.0.0";
  calls = 0;
  #open!: () => void;
  #gate = Promise.resolve();
  close() {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }
  open() {
    this.#open();
  }
  async contentPublished() {
    this.calls++;
    await this.#gate;
  }
}

interface ObjectState {
  storage: { sql: { exec(query: string, ...args: unknown[]): { toArray(): Record<string, unknown>[] } } };
}

const objectKeys = (tenantId: string, like: string) =>
  runInDurableObject(
    tenantStub(tenantId) as never,
    (_instance: unknown, state: ObjectState) =>
      state.storage.sql.exec("SELECT key FROM kv WHERE key LIKE ? ORDER BY key", like).toArray().map((r) => r.key),
  );

describe("the tenant object in workerd", () => {
  it("accepting a webhook is one request to the tenant's object: no KV write, no KV read when warm", async () => {
    const plugin = new GatedPlugin();
    const worker = createWorker({ plugins: () => [plugin] });
    const { env, costs } = countingEnv();
    const send = sender(worker, env);
    const tenant = await createTenant(send);
    await enable(send, tenant, "gated");
    const url = `${BASE}/v1/webhooks/${tenant.id}`;
    expect((await send(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_warm" }))).status).toBe(202);

    plugin.close();
    costs.reset();
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      await signedRequest(url, tenant.secret, eventBody(), { id: "msg_cost" }),
      env as never,
      ctx,
    );
    expect(res.status).toBe(202);
    const atAccept = { objectRequests: costs.objectRequests, kvReads: costs.kvReads, kvWrites: costs.kvWrites };
    plugin.open();
    await waitOnExecutionContext(ctx);
    expect(atAccept).toEqual({ objectRequests: 1, kvReads: 0, kvWrites: 0 });
    // The whole webhook, dispatch and records included, writes nothing to KV.
    expect(costs.kvWrites).toBe(0);
    console.log(
      `per webhook: ${atAccept.objectRequests} object request to accept, ` +
        `${costs.objectRequests} in all with dispatch and record; KV ${costs.kvReads} reads, ${costs.kvWrites} writes`,
    );

    // The event and its ledger are in the object, not in KV.
    const kv = env.DVP_KV as { get(key: string): Promise<string | null> };
    expect(await kv.get(`evt:${tenant.id}:msg_cost`)).toBeNull();
    expect(await objectKeys(tenant.id, "evt:%")).toEqual([`evt:${tenant.id}:msg_cost`, `evt:${tenant.id}:msg_warm`]);
    expect(await objectKeys(tenant.id, "evdone:%")).toHaveLength(2);
    expect(await objectKeys(tenant.id, "inbox:%")).toEqual([]);
  });

  it("200 concurrent deliveries of one webhook through two isolates: one accept, one run, one final record", async () => {
    const recorders = [new RecorderPlugin(), new RecorderPlugin()];
    const a = createWorker({ plugins: () => [recorders[0]!] });
    const b = createWorker({ plugins: () => [recorders[1]!] });
    const envA = countingEnv().env;
    const envB = countingEnv().env;
    const tenant = await createTenant(sender(a, envA));
    await enable(sender(a, envA), tenant, "recorder");
    const url = `${BASE}/v1/webhooks/${tenant.id}`;
    const requests = await Promise.all(
      Array.from({ length: 200 }, () => signedRequest(url, tenant.secret, eventBody(), { id: "msg_200" })),
    );
    const answers = await Promise.all(requests.map(async (request, i) => {
      const res = await sender(i % 2 ? b : a, i % 2 ? envB : envA)(request);
      return `${res.status} ${(await res.json() as { status: string }).status}`;
    }));
    expect(answers.filter((x) => x === "202 accepted")).toHaveLength(1);
    expect(answers.filter((x) => x === "200 duplicate")).toHaveLength(199);
    expect(recorders[0]!.seen.length + recorders[1]!.seen.length).toBe(1);
    const finals = (await executions(sender(a, envA), tenant)).filter((r) => r.event_id === "msg_200" && r.final);
    expect(finals).toEqual([expect.objectContaining({ plugin: "recorder", status: "succeeded" })]);
  });

  it("a commit the object cannot make answers 503 with Retry-After; the sender's retry is accepted", async () => {
    const recorders: RecorderPlugin[] = [];
    const worker = createWorker({ plugins: () => [recorders[recorders.push(new RecorderPlugin()) - 1]!] });
    const { env } = countingEnv();
    const send = sender(worker, env);
    const tenant = await createTenant(send);
    await enable(send, tenant, "recorder");
    const real = env.DVP_TENANT as {
      idFromName(n: string): unknown;
      get(id: unknown): { kv(c: KvCall): Promise<unknown> };
    };
    const failing: Env = {
      ...env,
      DVP_TENANT: {
        idFromName: (name: string) => real.idFromName(name),
        get: (id: unknown) => ({
          kv: (call: KvCall) =>
            call.op === "claimWith" ? Promise.reject(new Error("object unavailable")) : real.get(id).kv(call),
        }),
      },
    };
    const url = `${BASE}/v1/webhooks/${tenant.id}`;
    const down = await sender(worker, failing)(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_503" }));
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toMatch(/^\d+$/);
    const retried = await send(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_503" }));
    expect(retried.status).toBe(202);
    expect(recorders.flatMap((r) => r.seen)).toHaveLength(1);
  });

  it("the object's alarm re-drives an accepted event whose dispatch never ran, to one final record", async () => {
    const recorder = new RecorderPlugin(); // the object's own runtime runs this one
    const worker = createWorker({ plugins: () => [new RecorderPlugin()] });
    const { env } = countingEnv();
    const send = sender(worker, env);
    const tenant = await createTenant(send);
    await enable(send, tenant, "recorder");
    // What an accept commits, from an invocation that died before its dispatch started.
    const event = {
      id: "msg_lost",
      tenantId: tenant.id,
      type: "content.published",
      timestamp: "2026-11-24T00:00:00Z",
      contentId: "post-1",
      content: { title: "Hello" },
      receivedAt: new Date(Date.now() - 120_000).toISOString(),
    };
    const stub = tenantStub(tenant.id) as { kv(call: KvCall): Promise<unknown> };
    const ttlSeconds = 86_400;
    expect(
      await stub.kv({
        op: "claimWith",
        claim: {
          key: `evt:${tenant.id}:msg_lost`,
          value: JSON.stringify({ v: 1, event, hook: "contentPublished", plugins: ["recorder"] }),
          ttlSeconds,
        },
        // Due in a minute: the alarm is armed for then (the test runs it now, as if the minute had passed).
        writes: [{
          key: `inbox:${tenant.id}:msg_lost`,
          value: JSON.stringify({ due: Date.now() + 60_000 }),
          ttlSeconds,
        }],
      }),
    ).toBe(true);
    const alarm = await runInDurableObject(stub as never, async (instance: object, state: unknown) => {
      setTenantObjectPlugins(instance, () => [recorder]);
      return (state as { storage: { getAlarm(): Promise<number | null> } }).storage.getAlarm();
    });
    expect(alarm).toBeGreaterThan(Date.now()); // armed by the accept itself
    expect(await runDurableObjectAlarm(stub as never)).toBe(true);
    expect(recorder.seen.map((s) => s.ctx.metadata?.webhook_id)).toEqual(["msg_lost"]);
    const finals = (await executions(send, tenant)).filter((r) => r.event_id === "msg_lost" && r.final);
    expect(finals).toEqual([expect.objectContaining({ plugin: "recorder", status: "succeeded" })]);
    expect(await objectKeys(tenant.id, "inbox:%")).toEqual([]);
    // Nothing left to re-drive: a second alarm (if one is armed, for clean-up) runs nothing.
    await runDurableObjectAlarm(stub as never);
    expect(recorder.seen).toHaveLength(1);
  });
});
