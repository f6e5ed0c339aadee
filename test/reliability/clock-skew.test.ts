/**
 * A skewed clock: the sender's (or the server's) clock off by ±6 minutes. Standard Webhooks
 * refuses a timestamp more than 5 minutes away with 401 (replay protection); inside the window a
 * delivery passes. A refused delivery must leave no trace; an accepted one its records.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CountingPlugin } from "./plugins.ts";
import { Rig } from "./rig.ts";

let rig: Rig;
afterEach(() => rig?.expectNoSecretLeak());

describe("clock skew", () => {
  it("±6 min is refused with the same 401 as a bad signature; ±4 min and ±300 s pass", async () => {
    const counter = new CountingPlugin();
    rig = new Rig({ plugins: () => [counter] });
    const tenant = await rig.tenant(["counter"]);
    for (const offset of [-360, 360, -301, 301]) {
      const result = await rig.send(tenant, { timestampOffsetSeconds: offset });
      expect(result.status, `offset ${offset}`).toBe(401);
      const problem = JSON.parse(result.body);
      expect(problem).toMatchObject({ status: 401, title: "Unauthorized" });
      const badSignature = await rig.send(tenant, { secret: "whsec_" + btoa("z".repeat(32)) });
      expect(JSON.parse(badSignature.body)).toEqual(problem); // no oracle: skew and forgery look alike
    }
    for (const offset of [-300, -240, 0, 240, 300]) {
      expect((await rig.send(tenant, { timestampOffsetSeconds: offset })).status, `offset ${offset}`).toBe(202);
    }
    await rig.drain();
    const byStatus = await rig.expectEventInvariant([tenant]);
    expect(byStatus).toEqual({ succeeded: 5 });
    expect(counter.calls.size).toBe(5);
  });

  it("the server's clock running 6 min ahead refuses a correct sender, and recovers when fixed", async () => {
    const counter = new CountingPlugin();
    rig = new Rig({ plugins: () => [counter] });
    const tenant = await rig.tenant(["counter"]);
    rig.clock.advance(6 * 60_000); // the isolate's clock jumps; the sender still signs "now − 6 min"
    expect((await rig.send(tenant, { timestampOffsetSeconds: -360, id: "msg_skew" })).status).toBe(401);
    // The sender retries with a fresh timestamp once its clock agrees: accepted, once.
    expect((await rig.send(tenant, { id: "msg_skew" })).status).toBe(202);
    expect((await rig.send(tenant, { id: "msg_skew", timestampOffsetSeconds: 120 })).status).toBe(200);
    await rig.drain();
    await rig.expectEventInvariant([tenant]);
  });
});
