/**
 * An alarm that leaves a job due (its slot claimed by a consumer still running or cut off before
 * it wrote the job's state, or the tenant unreadable for a moment) must look again later, as a
 * tick a minute later did: an alarm armed for a moment already past fires again at once, in a
 * loop for as long as the claim's lease (or the outage) lasts.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createWorker } from "../../src/adapters/cloudflare.ts";
import { setTenantObjectPlugins } from "../../src/backends/cloudflare/tenant-object.ts";
import { captureConsoleLogs } from "./console-logs.ts";
import {
  countingEnv,
  createTenant,
  enable,
  type Env,
  HourlyPlugin,
  inObject,
  type ObjectStorage,
  sender,
  tenantStub,
} from "./kit.ts";

/**
 * A tenant with `hourly` enabled, `prepare` applied inside its object (whose plugin is `object`,
 * the deployed one), its alarm fired as of the slot it is armed for; that slot and the alarm armed
 * afterwards.
 */
async function fireDueHour(
  prepare: (storage: ObjectStorage, instance: object, tenantId: string, slot: number) => void,
  object = new HourlyPlugin(),
) {
  const worker = createWorker({ plugins: () => [new HourlyPlugin()] });
  const { env } = countingEnv();
  const send = sender(worker, env);
  const tenant = await createTenant(send);
  await enable(send, tenant, "hourly");
  // The alarm is armed for the next hour's slot; fired, it runs as of that time.
  const slot = (await inObject(tenant.id, (storage) => storage.getAlarm()))!;
  expect(slot % 3_600_000).toBe(0);
  await inObject(tenant.id, (storage, instance) => {
    setTenantObjectPlugins(instance, () => [object]);
    prepare(storage, instance, tenant.id, slot);
  });
  expect(await runDurableObjectAlarm(tenantStub(tenant.id) as never)).toBe(true);
  return { slot, runs: object.runs, alarm: await inObject(tenant.id, (storage) => storage.getAlarm()) };
}

describe("the tenant object's alarm and a job it leaves due", () => {
  it("a slot claimed elsewhere (its run not started) is looked at again in a minute, not at once", async () => {
    const { slot, runs, alarm } = await fireDueHour((storage, _instance, tenantId, slot) => {
      // A queue consumer claimed the slot a moment ago and has not written the job's state (yet, or ever).
      storage.sql.exec(
        "INSERT INTO kv (key, value, expires) VALUES (?, ?, NULL)",
        `sched:slot:${tenantId}:hourly.sync:${new Date(slot).toISOString()}:1`,
        JSON.stringify({ executionId: crypto.randomUUID(), at: slot }),
      );
    });
    expect(runs).toEqual([]); // the claim's holder runs it, not this alarm
    // Not armed again for the moment it fired at (which, come, fires again at once, and again): a minute on.
    expect(alarm).toBeGreaterThanOrEqual(slot + 60_000);
  });

  /** The object's KV reads fail. */
  const kvUnavailable = (_storage: ObjectStorage, instance: object) => {
    const own = instance as { env: Env };
    const kv = own.env.DVP_KV as Record<"put" | "delete" | "list", (...args: unknown[]) => unknown>;
    const unavailable = () => Promise.reject(new Error("KV unavailable"));
    own.env = {
      ...own.env,
      DVP_KV: { get: unavailable, put: kv.put.bind(kv), delete: kv.delete.bind(kv), list: kv.list.bind(kv) },
    };
  };

  it("a job whose tenant cannot be read (KV failing) is looked at again in a minute, not at once", async () => {
    const logs = captureConsoleLogs();
    let fired;
    try {
      fired = await fireDueHour(kvUnavailable);
    } finally {
      logs.restore();
    }
    expect(logs.find({ level: "error" }).map((r) => r.msg)).toEqual(["scheduler could not process a due job"]);
    expect(fired.runs).toEqual([]);
    expect(fired.alarm).toBeGreaterThanOrEqual(fired.slot + 60_000);
  });

  it("so is one whose plugin a deployment changed, its tenant unreadable for the re-sync", async () => {
    const deployed = new HourlyPlugin();
    Object.defineProperty(deployed, "version", { value: "1.1.0" });
    const logs = captureConsoleLogs();
    let fired;
    try {
      fired = await fireDueHour(kvUnavailable, deployed);
    } finally {
      logs.restore();
    }
    expect(logs.find({ level: "warn" }).map((r) => r.msg)).toContain(
      "could not re-sync the schedules a deployment changed",
    );
    expect(logs.find({ level: "error" }).map((r) => r.msg)).toContain("scheduler could not process a due job");
    expect(fired.runs).toEqual([]);
    expect(fired.alarm).toBeGreaterThanOrEqual(fired.slot + 60_000);
  });
});
