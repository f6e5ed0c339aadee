/**
 * Scheduling on Cloudflare in real workerd: the tenant's object is its scheduler. A run writes
 * nothing to KV (no due index), the Cron tick only re-arms objects whose alarm went missing (a
 * page of tenants per tick), and with DVP_QUEUE the alarm fans its due jobs out to the queue.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createCloudflareRuntime, createWorker } from "../../src/adapters/cloudflare.ts";
import { setTenantObjectPlugins } from "../../src/backends/cloudflare/tenant-object.ts";
import { Plugin } from "../../src/index.ts";
import type { WorkMessage } from "../../src/queue.ts";
import { captureConsoleLogs } from "./console-logs.ts";
import {
  countingEnv,
  createTenant,
  enable,
  type Env,
  executions,
  HourlyPlugin,
  inObject,
  type ObjectStorage,
  sender,
  tenantStub,
} from "./kit.ts";

/** `hourly` in another version, with a second task at half past. */
function hourlyV2(): HourlyPlugin {
  const plugin = new HourlyPlugin();
  Object.defineProperty(plugin, "version", { value: "1.1.0" });
  plugin.registerScheduledTasks = () => [
    { taskId: "hourly.sync", name: "Sync", schedule: { cronExpression: "0 * * * *" } },
    { taskId: "hourly.report", name: "Report", schedule: { cronExpression: "30 * * * *" } },
  ];
  return plugin;
}

/** Three tasks every minute. */
class MinutelyPlugin extends Plugin {
  readonly name = "minutely";
  readonly version = "1.0.0";
  readonly runs: string[] = [];
  registerScheduledTasks() {
    return ["a", "b", "c"].map((id) => ({
      taskId: `minutely.${id}`,
      name: id,
      schedule: { cronExpression: "* * * * *" },
    }));
  }
  executeScheduledTask(task: { taskId: string }) {
    this.runs.push(task.taskId);
    return { success: true };
  }
}

interface KvNamespace {
  list(options: { prefix: string }): Promise<{ keys: { name: string }[] }>;
  delete(key: string): Promise<void>;
}

/** Inside the tenant's object: its plugins are `plugins`, and each KV write it makes is noted in `writes`. */
function instrumentObject(tenantId: string, plugins: () => Plugin[], writes: string[]) {
  return runInDurableObject(tenantStub(tenantId) as never, (instance: object) => {
    setTenantObjectPlugins(instance, plugins);
    const own = instance as { env: Env };
    const kv = own.env.DVP_KV as Record<string, unknown>;
    const noted = (op: string) => (key: string, ...rest: unknown[]) => {
      writes.push(`${op} ${key}`);
      return (kv[op] as (...args: unknown[]) => Promise<unknown>).call(kv, key, ...rest);
    };
    own.env = {
      ...own.env,
      DVP_KV: new Proxy(kv, {
        get: (target, prop: string) =>
          prop === "put" || prop === "delete"
            ? noted(prop)
            : typeof target[prop] === "function"
            ? (target[prop] as (...a: unknown[]) => unknown).bind(target)
            : target[prop],
      }),
    };
  });
}

const alarmOf = (tenantId: string) =>
  runInDurableObject(
    tenantStub(tenantId) as never,
    (_i: unknown, state: unknown) => (state as { storage: ObjectStorage }).storage.getAlarm(),
  );

describe("scheduling by the tenant object's alarm", () => {
  it("a scheduled run in the tenant's object writes nothing to KV: there is no due index", async () => {
    const worker = createWorker({ plugins: () => [new HourlyPlugin()] });
    const { env } = countingEnv();
    const send = sender(worker, env);
    const tenant = await createTenant(send);
    await enable(send, tenant, "hourly");
    const object = new HourlyPlugin();
    const writes: string[] = [];
    await instrumentObject(tenant.id, () => [object], writes);
    const hour = 3_600_000;
    const next = Math.ceil(Date.now() / hour) * hour;
    expect(await alarmOf(tenant.id)).toBe(next);
    // The alarm fires (run now, as if the hour had come): one run, recorded, and the alarm re-armed.
    expect(await runDurableObjectAlarm(tenantStub(tenant.id) as never)).toBe(true);
    expect(object.runs).toEqual([new Date(next).toISOString()]);
    expect(writes).toEqual([]);
    expect((await executions(send, tenant)).map((r) => [r.kind, r.status])).toEqual([["task", "succeeded"]]);
    expect(await alarmOf(tenant.id)).toBe(next + hour);
    // Neither the enable nor the run left a due-index entry of this tenant in KV.
    const due = await (env.DVP_KV as KvNamespace).list({ prefix: "sched:due:" });
    expect(due.keys.filter((k) => k.name.includes(tenant.id))).toEqual([]);
  });

  it("the Cron tick re-arms an object whose alarm went missing, and re-syncs schedules a deployment changed", async () => {
    const worker = createWorker({ plugins: () => [new HourlyPlugin()] });
    const { env } = countingEnv();
    const send = sender(worker, env);
    const tenant = await createTenant(send);
    await enable(send, tenant, "hourly");
    const object = hourlyV2(); // the object runs the new deployment
    await inObject(tenant.id, async (storage, instance) => {
      setTenantObjectPlugins(instance, () => [object]);
      await storage.deleteAlarm();
    });
    expect(await alarmOf(tenant.id)).toBeNull();
    await (env.DVP_KV as KvNamespace).delete("sched:net:cursor"); // a whole rotation from the first tenant
    const runtime = createCloudflareRuntime(env as never, {
      plugins: () => [new HourlyPlugin()],
      tenantsPerTick: 1000,
    });
    const logs = captureConsoleLogs();
    let outcome;
    try {
      outcome = await runtime.tick(new Date());
    } finally {
      logs.restore();
    }
    expect(outcome.errors).toEqual([]);
    expect(outcome.scheduler?.safetyNet).toMatchObject({ rearmed: 1, synced: 1, failed: 0, wrapped: true });
    expect(logs.find({ level: "warn" }).map((r) => r.msg)).toEqual([
      "safety net re-armed tenants whose alarm was missing",
    ]);
    const hour = 3_600_000;
    const now = Date.now();
    const nextTop = Math.ceil(now / hour) * hour;
    const nextHalf = Math.ceil((now - hour / 2) / hour) * hour + hour / 2;
    expect(await alarmOf(tenant.id)).toBe(Math.min(nextTop, nextHalf));
    const stored = await inObject(
      tenant.id,
      (storage) =>
        storage.sql.exec("SELECT key FROM kv WHERE key LIKE ? ORDER BY key", `sched:state:${tenant.id}:%`).toArray()
          .map((r) => String(r.key).split(":").pop()),
    );
    expect(stored).toEqual(["hourly.report", "hourly.sync"]);
    // The re-armed alarm runs what is due.
    expect(await runDurableObjectAlarm(tenantStub(tenant.id) as never)).toBe(true);
    expect(object.runs).toHaveLength(1);
  });

  it("the Cron tick's work is its page of tenants, however many there are", async () => {
    const worker = createWorker({ plugins: () => [] });
    const { env, costs } = countingEnv();
    const send = sender(worker, env);
    for (let i = 0; i < 12; i++) await createTenant(send);
    const runtime = createCloudflareRuntime(env as never, { plugins: () => [], tenantsPerTick: 5 });
    const pages: number[] = [];
    // A whole rotation: until a page wraps, then the first page of the next one.
    for (let wrapped = false; pages.length < 50;) {
      costs.reset();
      const outcome = await runtime.tick(new Date());
      const net = outcome.scheduler!.safetyNet!;
      pages.push(net.tenants);
      // One request per tenant of the page; the cursor read, the page listed, the cursor written.
      expect({ objectRequests: costs.objectRequests, kvReads: costs.kvReads, kvWrites: costs.kvWrites }).toEqual({
        objectRequests: net.tenants,
        kvReads: 2,
        kvWrites: 1,
      });
      if (wrapped) break;
      wrapped = net.wrapped;
    }
    // The 12 tenants (and those of the other tests in this file): pages of five, never more.
    expect(pages.slice(0, -2).every((n) => n === 5)).toBe(true);
    expect(pages.slice(0, -1).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(12);
    expect(pages.at(-1)).toBe(5);
  });

  it("with DVP_QUEUE the alarm runs one due job and sends the others; the consumer runs each once", async () => {
    const worker = createWorker({ plugins: () => [new MinutelyPlugin()] });
    const { env } = countingEnv();
    const send = sender(worker, env);
    const tenant = await createTenant(send);
    await enable(send, tenant, "minutely");
    const object = new MinutelyPlugin();
    const sent: WorkMessage[] = [];
    const minute = Math.floor(Date.now() / 60_000) * 60_000; // came due this minute
    await inObject(tenant.id, (storage, instance) => {
      setTenantObjectPlugins(instance, () => [object]);
      const own = instance as { env: Env };
      own.env = {
        ...own.env,
        DVP_QUEUE: {
          send: (body: WorkMessage) => Promise.resolve(void sent.push(body)),
          sendBatch: (messages: { body: WorkMessage }[]) =>
            Promise.resolve(void sent.push(...messages.map((m) => m.body))),
        },
      };
      for (const row of storage.sql.exec("SELECT key, value FROM kv WHERE key LIKE 'sched:state:%'").toArray()) {
        const job = JSON.parse(String(row.value));
        Object.assign(job, { nextDue: minute, dueMinute: minute / 60_000 });
        storage.sql.exec("UPDATE kv SET value = ? WHERE key = ?", JSON.stringify(job), row.key);
      }
    });
    expect(await runDurableObjectAlarm(tenantStub(tenant.id) as never)).toBe(true);
    expect(object.runs).toHaveLength(1);
    expect(sent.map((m) => m.kind === "task" && m.taskId).sort()).toEqual(
      ["minutely.a", "minutely.b", "minutely.c"].filter((id) => id !== object.runs[0]),
    );
    // The consumer (the Worker's queue handler) runs them; a redelivery runs nothing again.
    const consumer = new MinutelyPlugin();
    const consuming = createWorker({ plugins: () => [consumer] });
    for (const attempts of [1, 2]) {
      const batch = createMessageBatch(
        "dvp-events",
        sent.map((body, i) => ({ id: `m-${i}`, timestamp: Date.now(), attempts, body })),
      );
      const ctx = createExecutionContext();
      await consuming.queue(batch as never, env as never);
      expect((await getQueueResult(batch, ctx)).explicitAcks.sort()).toEqual(["m-0", "m-1"]);
    }
    expect(consumer.runs.sort()).toEqual(sent.map((m) => m.kind === "task" && m.taskId).sort());
    const finals = (await executions(send, tenant)).filter((r) => r.status === "succeeded");
    expect(finals).toHaveLength(3);
  });
});
