/**
 * The tenant's Durable Object as the authority for its coordination state, in real workerd:
 * accepting a webhook is one request to the object (no KV write, no KV read when warm), a
 * duplicate is answered `duplicate` from any isolate, a commit that fails answers 503 with
 * Retry-After, and the object's alarm re-drives an accepted event whose dispatch never ran.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createWorker } from "../../src/adapters/cloudflare.ts";
import type { KvCall } from "../../src/backends/cloudflare/kv-calls.ts";
import { setTenantObjectPlugins } from "../../src/backends/cloudflare/tenant-object.ts";
import { Plugin } from "../../src/index.ts";
import type { WorkMessage } from "../../src/queue.ts";
import { eventBody, RecorderPlugin, signedRequest } from "../fixtures/webhook-kit.ts";
import { captureConsoleLogs } from "./console-logs.ts";
import {
  BASE,
  countingEnv,
  createTenant,
  enable,
  type Env,
  executions,
  HourlyPlugin,
  sender,
  tenantStub,
} from "./kit.ts";

/** The write of an inbox marker due at `due` (ms): what an accept leaves for the object's alarm. */
function inboxMarker(tenantId: string, id: string, due: number): KvCall {
  return { op: "put", key: `inbox:${tenantId}:${id}`, value: JSON.stringify({ due }) };
}

/** `env` with its tenant objects' kv calls passed through `intercept`, which may call the real object. */
function interceptKv(
  env: Env,
  intercept: (call: KvCall, real: (call: KvCall) => Promise<unknown>) => Promise<unknown>,
): Env {
  const objects = env.DVP_TENANT as {
    idFromName(name: string): unknown;
    get(id: unknown): { kv(call: KvCall): Promise<unknown> };
  };
  return {
    ...env,
    DVP_TENANT: {
      idFromName: (name: string) => objects.idFromName(name),
      get: (id: unknown) => ({ kv: (call: KvCall) => intercept(call, (c) => objects.get(id).kv(c)) }),
    },
  } as Env;
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
    // With its dispatch: the plugin's ledger entry, its final record and the inbox marker's removal
    // are one commit: two object requests for the whole webhook.
    expect(costs.objectRequests).toBe(2);
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

    // Cold: a fresh isolate (its own runtime, nothing cached) reads the tenant once.
    const cold = countingEnv();
    const coldWorker = createWorker({ plugins: () => [new GatedPlugin()] });
    const coldRes = await sender(coldWorker, cold.env)(
      await signedRequest(url, tenant.secret, eventBody(), { id: "msg_cold" }),
    );
    expect(coldRes.status).toBe(202);
    expect(cold.costs.kvReads).toBeLessThanOrEqual(1);
    expect(cold.costs.kvWrites).toBe(0);
  });

  it("a webhook no enabled plugin takes is one object request in all, and leaves no inbox marker", async () => {
    const worker = createWorker({ plugins: () => [new GatedPlugin()] });
    const { env, costs } = countingEnv();
    const send = sender(worker, env);
    const tenant = await createTenant(send); // "gated" is not enabled
    const url = `${BASE}/v1/webhooks/${tenant.id}`;
    expect((await send(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_warm" }))).status).toBe(202);
    costs.reset();
    expect((await send(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_none" }))).status).toBe(202);
    expect({ objectRequests: costs.objectRequests, kvWrites: costs.kvWrites }).toEqual({
      objectRequests: 1,
      kvWrites: 0,
    });
    expect(await objectKeys(tenant.id, "inbox:%")).toEqual([]);
    // Kept for dedupe: the sender's retry is a duplicate.
    const again = await send(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_none" }));
    expect(await again.json()).toMatchObject({ status: "duplicate" });
  });

  it("a tenant update on Cloudflare reads KV once: KV cannot compare and set, so its last writer wins", async () => {
    const worker = createWorker({ plugins: () => [new GatedPlugin()] });
    const { env, costs } = countingEnv();
    const send = sender(worker, env);
    const tenant = await createTenant(send);
    costs.reset();
    const res = await send(
      new Request(`${BASE}/v1/tenants/${tenant.id}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${tenant.token}`, "content-type": "application/json" },
        body: JSON.stringify({ slug: "renamed", plan: "pro" }),
      }),
    );
    expect(res.status).toBe(200);
    // The record read to change it and its write; no second read standing in for a compare-and-set.
    expect({ kvReads: costs.kvReads, kvWrites: costs.kvWrites }).toEqual({ kvReads: 1, kvWrites: 1 });
    console.log(`per tenant update: KV ${costs.kvReads} read, ${costs.kvWrites} write`);
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
    const failing = interceptKv(
      env,
      (call, real) => call.op === "claimWith" ? Promise.reject(new Error("object unavailable")) : real(call),
    );
    const url = `${BASE}/v1/webhooks/${tenant.id}`;
    const logs = captureConsoleLogs();
    let down: Response;
    try {
      down = await sender(worker, failing)(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_503" }));
    } finally {
      logs.restore();
    }
    expect(logs.find({ level: "error", msg: "webhook could not be made durable" })).toMatchObject([
      { webhook_id: "msg_503", error: "object unavailable" },
    ]);
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

  it("a write brings the alarm forward from its own due time alone: no rescan of the tenant's markers and jobs", async () => {
    const tenantId = crypto.randomUUID();
    const stub = tenantStub(tenantId) as { kv(call: KvCall): Promise<unknown> };
    const minute = 60_000;
    const now = Date.now();
    const marker = (id: string, due: number) => inboxMarker(tenantId, id, due);
    type Storage = ObjectState["storage"] & { getAlarm(): Promise<number | null> };
    const inObject = <T>(work: (storage: Storage) => T | Promise<T>) =>
      runInDurableObject(
        stub as never,
        (_instance: unknown, state: unknown) => work((state as { storage: Storage }).storage),
      );
    // Count the object's SQL reads from its first use on.
    let reads = 0;
    await inObject((storage) => {
      const exec = storage.sql.exec.bind(storage.sql);
      storage.sql.exec = (query: string, ...args: unknown[]) => {
        if (/^\s*SELECT/i.test(query)) reads++;
        return exec(query, ...args);
      };
    });
    await stub.kv(marker("a", now + 10 * minute));
    expect(await inObject((s) => s.getAlarm())).toBe(now + 10 * minute);
    // A row the object's writes never saw (as an alarm lost with an earlier instance would leave):
    // a write that rescanned would arm for it.
    await inObject((s) =>
      s.sql.exec(
        "INSERT INTO kv (key, value, expires) VALUES (?, ?, NULL)",
        `inbox:${tenantId}:hidden`,
        JSON.stringify({ due: now + minute }),
      )
    );
    reads = 0;
    await stub.kv(marker("later", now + 20 * minute));
    expect(await inObject((s) => s.getAlarm())).toBe(now + 10 * minute);
    await stub.kv(marker("sooner", now + 5 * minute));
    expect(await inObject((s) => s.getAlarm())).toBe(now + 5 * minute);
    await stub.kv({ op: "delete", key: `inbox:${tenantId}:sooner` });
    expect(await inObject((s) => s.getAlarm())).toBe(now + 5 * minute);
    // Three writes, no SQL read among them: the marker's own value is its due time.
    expect(reads).toBe(0);
    console.log(`tenant object: SQL reads per marker write after its first: ${reads / 3}`);
  });

  it("a setAlarm that fails leaves no armed time behind: the next write arms the alarm it needs", async () => {
    const tenantId = crypto.randomUUID();
    const stub = tenantStub(tenantId) as { kv(call: KvCall): Promise<unknown> };
    const minute = 60_000;
    const now = Date.now();
    const marker = (id: string, due: number) => inboxMarker(tenantId, id, due);
    type Storage = ObjectState["storage"] & { getAlarm(): Promise<number | null>; setAlarm(at: number): Promise<void> };
    await stub.kv(marker("first", now + 60 * minute));
    // Inside the object (a rejection through the RPC stub would surface as an unhandled one).
    const armed = await runInDurableObject(stub as never, async (instance: unknown, state: unknown) => {
      const object = instance as { kv(call: KvCall): Promise<unknown> };
      const storage = (state as { storage: Storage }).storage;
      const real = storage.setAlarm.bind(storage);
      let failed = false;
      storage.setAlarm = (at: number) => failed ? real(at) : (failed = true, Promise.reject(new Error("transient")));
      const refused = await object.kv(marker("a", now + 5 * minute)).then(() => null, (error: Error) => error);
      expect(refused?.message).toBe("transient");
      await object.kv(marker("b", now + 10 * minute));
      return storage.getAlarm();
    });
    // The failed write's row is stored; the next write rescans and arms for the earliest of them.
    expect(armed).toBeLessThanOrEqual(now + 10 * minute);
  });

  it("scheduling by alarm: the job's next slot arms it; after a missed hour one run, the missed slot skipped", async () => {
    const worker = createWorker({ plugins: () => [new HourlyPlugin()] });
    const { env } = countingEnv();
    const send = sender(worker, env);
    const tenant = await createTenant(send);
    await enable(send, tenant, "hourly"); // the job's state is written to the object, which arms its alarm
    const stub = tenantStub(tenant.id);
    const hour = 3_600_000;
    const top = Math.floor(Date.now() / hour) * hour; // the latest top of the hour
    const object = new HourlyPlugin(); // the one the object's own runtime runs
    const armed = await runInDurableObject(stub as never, async (instance: object, state: unknown) => {
      setTenantObjectPlugins(instance, () => [object]);
      const storage = (state as ObjectState & { storage: { getAlarm(): Promise<number | null> } }).storage;
      const alarm = await storage.getAlarm();
      // The slot at the latest top of the hour was missed (no alarm, no tick ran it): the job still
      // waits for it when the alarm armed for the next slot fires.
      const key = `sched:state:${tenant.id}:hourly.sync`;
      const [row] = storage.sql.exec("SELECT value FROM kv WHERE key = ?", key).toArray();
      const job = JSON.parse(String(row!.value)) as { nextDue: number };
      job.nextDue = top;
      storage.sql.exec("UPDATE kv SET value = ? WHERE key = ?", JSON.stringify(job), key);
      return alarm;
    });
    expect(armed).toBe(top + hour); // armed for the next slot by the enable
    // The alarm fires (for top + 1 h; run now, as if that hour had passed).
    expect(await runDurableObjectAlarm(stub as never)).toBe(true);
    expect(object.runs).toEqual([new Date(top + hour).toISOString()]); // one run, for the latest slot
    const records = (await executions(send, tenant)).filter((r) => r.kind === "task");
    const bySlot = new Map(records.map((r) => [r.scheduled_time, r.status]));
    expect(bySlot.get(new Date(top + hour).toISOString())).toBe("succeeded");
    expect(bySlot.get(new Date(top).toISOString())).toBe("skipped"); // the missed hour, recorded
    expect(records).toHaveLength(2);
    // Re-armed in finally, for the slot after.
    const next = await runInDurableObject(
      stub as never,
      (_i: unknown, state: unknown) =>
        (state as { storage: { getAlarm(): Promise<number | null> } }).storage.getAlarm(),
    );
    expect(next).toBe(top + 2 * hour);
  });

  it("with DVP_QUEUE: a consumer cut off between the ledger and the record still ends in one final record", async () => {
    const { recorders, worker, sent, env, send, tenant } = await queueWorker();
    const url = `${BASE}/v1/webhooks/${tenant.id}`;
    expect((await send(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_cut" }))).status).toBe(202);
    expect(sent).toHaveLength(1);

    // The first consumer dies after its plugin ran and its ledger entry and record were committed,
    // before it heard back (the object commits, the answer is lost, as for a cut-off invocation).
    const cut = interceptKv(
      env,
      (call, real) =>
        call.op === "claimWith" && call.claim.key.startsWith("evdone:")
          ? real(call).then(() => Promise.reject(new Error("invocation cut off")))
          : real(call),
    );
    const deliver = async (target: Env, attempts: number) => {
      const batch = createMessageBatch("dvp-events", [{
        id: "m-cut",
        timestamp: Date.now(),
        attempts,
        body: sent[0]!,
      }]);
      const ctx = createExecutionContext();
      await worker.queue(batch as never, target as never);
      return getQueueResult(batch, ctx);
    };
    const logs = captureConsole();
    try {
      expect((await deliver(cut, 1)).retryMessages.map((m) => m.msgId)).toEqual(["m-cut"]);
    } finally {
      logs.restore();
    }
    expect(logs.errors.join("\n")).toContain("invocation cut off");
    // The redelivery finds the ledger entry: it does not run the plugin again, nor write a second record.
    expect((await deliver(env, 2)).explicitAcks).toEqual(["m-cut"]);
    expect((await deliver(env, 3)).explicitAcks).toEqual(["m-cut"]); // a third delivery changes nothing
    expect(recorders.flatMap((r) => r.seen)).toHaveLength(1);
    const finals = (await executions(send, tenant)).filter((r) => r.event_id === "msg_cut" && r.final);
    expect(finals).toEqual([expect.objectContaining({ plugin: "recorder", status: "succeeded" })]);
  });
});

describe("the tenant object with DVP_QUEUE", () => {
  it("a webhook is one object request to accept, two for its pair's consumer; the alarm sends a lost pair again, runs nothing", async () => {
    const { worker, sent, queue, env, costs, send, tenant } = await queueWorker();
    const url = `${BASE}/v1/webhooks/${tenant.id}`;
    expect((await send(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_warm" }))).status).toBe(202);
    const deliver = async (body: WorkMessage) => {
      const batch = createMessageBatch("dvp-events", [{ id: "m", timestamp: Date.now(), attempts: 1, body }]);
      const ctx = createExecutionContext();
      await worker.queue(batch as never, env as never);
      return getQueueResult(batch, ctx);
    };
    await deliver(sent[0]!);

    costs.reset();
    expect((await send(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_qc" }))).status).toBe(202);
    const atAccept = { objectRequests: costs.objectRequests, kvWrites: costs.kvWrites };
    expect(atAccept).toEqual({ objectRequests: 1, kvWrites: 0 }); // the event and its marker: one commit
    expect(sent.at(-1)).toEqual({
      kind: "event",
      tenantId: tenant.id,
      eventId: "msg_qc",
      plugin: "recorder",
      at: expect.any(Number),
    });
    costs.reset();
    expect((await deliver(sent.at(-1)!)).explicitAcks).toEqual(["m"]);
    const consumer = costs.objectRequests;
    // The event with the pair's progress in one read; its final record with the marker's removal in one commit.
    expect(consumer).toBe(2);
    expect(await objectKeys(tenant.id, "inbox:%")).toEqual([]);
    console.log(
      `with DVP_QUEUE, per one-plugin webhook: ${atAccept.objectRequests} object request to accept, ` +
        `${consumer} for its (event, plugin) message`,
    );

    // A webhook whose message is lost: the marker's alarm sends it again; the object runs nothing itself.
    expect((await send(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_lost" }))).status).toBe(202);
    const lost = sent.length;
    const object = new RecorderPlugin();
    const stub = tenantStub(tenant.id);
    type Storage = { getAlarm(): Promise<number | null> };
    const armed = await runInDurableObject(stub as never, (instance: object, state: unknown) => {
      setTenantObjectPlugins(instance, () => [object]);
      // The object's own env, as wrangler binds it: with the queue.
      const own = instance as { env: Env };
      own.env = { ...own.env, DVP_QUEUE: queue };
      return (state as { storage: Storage }).storage.getAlarm();
    });
    expect(armed).toBeGreaterThan(Date.now() + 60_000); // due once the queue should have finished
    // The alarm may still be armed for an earlier webhook's marker (removed since): that run finds
    // nothing due and re-arms for the lost one's.
    for (let run = 0; run < 2 && sent.length === lost; run++) {
      expect(await runDurableObjectAlarm(stub as never)).toBe(true);
    }
    expect(object.seen).toHaveLength(0);
    expect(sent.slice(lost)).toEqual([expect.objectContaining({ eventId: "msg_lost", plugin: "recorder" })]);
    expect(await objectKeys(tenant.id, "inbox:%")).toEqual([`inbox:${tenant.id}:msg_lost`]); // checked again later
    const rearmed = await runInDurableObject(
      stub as never,
      (_i: unknown, state: unknown) => (state as { storage: Storage }).storage.getAlarm(),
    );
    expect(rearmed).toBeGreaterThan(Date.now() + 60_000);
    expect((await deliver(sent.at(-1)!)).explicitAcks).toEqual(["m"]);
    const finals = (await executions(send, tenant)).filter((r) => r.event_id === "msg_lost" && r.final);
    expect(finals).toEqual([expect.objectContaining({ plugin: "recorder", status: "succeeded" })]);
    expect(await objectKeys(tenant.id, "inbox:%")).toEqual([]);
  });
  it("a slow plugin holds back no other plugin's ack: each (event, plugin) message is acked as it finishes", async () => {
    const gated = new GatedPlugin();
    const { worker, sent, env, send, tenant } = await queueWorker(gated);
    const url = `${BASE}/v1/webhooks/${tenant.id}`;
    expect((await send(await signedRequest(url, tenant.secret, eventBody(), { id: "msg_slow" }))).status).toBe(202);
    expect(sent.map((m) => m.kind === "event" && m.plugin).sort()).toEqual(["gated", "recorder"]);

    gated.close();
    let opened = false;
    const open = () => opened || (opened = true, gated.open());
    // Should the recorder's ack wait for the gated plugin, the gate opens anyway (late) and the test fails.
    const fallback = setTimeout(open, 5_000);
    const settled: string[] = [];
    let gatedWaitedAtAck: boolean | undefined;
    const messages = sent.map((body) => ({
      body,
      ack() {
        const plugin = body.kind === "event" ? body.plugin! : "";
        settled.push(`ack ${plugin}`);
        if (plugin === "recorder") {
          gatedWaitedAtAck = gated.calls === 1 && !opened;
          open();
        }
      },
      retry: () => void settled.push("retry"),
    }));
    try {
      await worker.queue({ queue: "dvp-events", messages }, env as never);
    } finally {
      clearTimeout(fallback);
    }
    expect(gatedWaitedAtAck).toBe(true);
    expect(settled).toEqual(["ack recorder", "ack gated"]);
  });
});

/** A worker with a DVP_QUEUE that keeps what is sent (counted env), and a tenant with the recorder (and `also`) enabled. */
async function queueWorker(also?: Plugin) {
  const recorders: RecorderPlugin[] = [];
  const worker = createWorker({
    plugins: () => [recorders[recorders.push(new RecorderPlugin()) - 1]!, ...(also ? [also] : [])],
  });
  const sent: WorkMessage[] = [];
  const queue = {
    send: (body: WorkMessage) => (sent.push(body), Promise.resolve()),
    sendBatch: (messages: { body: WorkMessage }[]) => (sent.push(...messages.map((m) => m.body)), Promise.resolve()),
  };
  const { env, costs } = countingEnv({ DVP_QUEUE: queue });
  const send = sender(worker, env);
  const tenant = await createTenant(send);
  await enable(send, tenant, "recorder");
  if (also) await enable(send, tenant, also.name);
  return { recorders, worker, sent, queue, env, costs, send, tenant };
}

/** Console errors and warnings of a step that logs on purpose, kept out of the test output. */
function captureConsole() {
  const errors: string[] = [];
  const original = { error: console.error, warn: console.warn };
  const keep = (...args: unknown[]) =>
    void errors.push(args.map((a) => typeof a === "string" ? a : JSON.stringify(a)).join(" "));
  console.error = keep;
  console.warn = keep;
  return { errors, restore: () => Object.assign(console, original) };
}
