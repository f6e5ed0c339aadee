/**
 * The run lock of a scheduled job, taken over from a run whose lease ran out: of two ticks
 * taking it over at once, exactly one holds it.
 */
import { expect, it } from "vitest";
import { type JobState, JobStore } from "../../src/scheduler/state.ts";
import { schedKeys } from "../../src/scheduler/keys.ts";
import { createMemoryDriver } from "../../src/store/memory.ts";
import type { KVDriver } from "../../src/store/driver.ts";

it("two ticks taking over an expired lock at once: one holds it, the other does not", async () => {
  const driver = createMemoryDriver();
  const state = { tenantId: "11111111-1111-4111-8111-111111111111", jobId: "p.task" } as JobState;
  const key = schedKeys.lock(state.tenantId, state.jobId);
  await driver.put(key, JSON.stringify({ executionId: "dead-run", until: 1_000 }));
  // Tick B reads the expired lock before tick A takes it over, and acts only after A has.
  let aTookIt!: () => void;
  const aFinished = new Promise<void>((resolve) => (aTookIt = resolve));
  const slowB: KVDriver = Object.assign(Object.create(driver), {
    get: async (k: string) => {
      const value = await driver.get(k);
      await aFinished;
      return value;
    },
  });
  const a = new JobStore(driver);
  const b = new JobStore(slowB);
  const bTaking = b.lock(state, "run-b", 5_000, 65_000);
  const aHeld = await a.lock(state, "run-a", 5_000, 65_000);
  aTookIt();
  const bHeld = await bTaking;
  expect([aHeld, bHeld]).toEqual([true, false]);
  expect(JSON.parse((await driver.get(key))!)).toMatchObject({ executionId: "run-a" });
});
