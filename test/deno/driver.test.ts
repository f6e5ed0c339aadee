import { createDenoKVDriver } from "../../src/entries/drivers.ts";
import { driverSuite } from "../suites/driver.suite.ts";
import { denoHarness } from "./harness.ts";

// One in-memory Deno KV for the file; each test uses its own prefix. The driver's TTL deadlines
// follow this clock, so expiry is tested exactly (Deno KV itself deletes expired keys lazily).
const kv = await Deno.openKv(":memory:");
let time = Date.now();
const clock = { advance: (ms: number) => void (time += ms) };

driverSuite(denoHarness, {
  name: "deno-kv",
  atomic: true,
  clock,
  create: () => createDenoKVDriver(kv, { now: () => time }),
});

Deno.test("Deno KV driver: refuses keys containing U+10FFFF, which would escape the prefix range", async () => {
  const driver = createDenoKVDriver(kv);
  let error: unknown;
  try {
    await driver.put("a\u{10FFFF}b", "v");
  } catch (e) {
    error = e;
  }
  if (!(error instanceof RangeError) || !/U\+10FFFF/.test(error.message)) throw new Error("expected a RangeError");
});

Deno.test("Deno KV driver: a key past its TTL is gone on the real clock, though Deno KV deletes it lazily", async () => {
  const driver = createDenoKVDriver(kv);
  await driver.put("real-clock:ttl", "v", { ttlSeconds: 0.05 });
  if ((await driver.get("real-clock:ttl")) !== "v") throw new Error("expected the value before expiry");
  await new Promise((resolve) => setTimeout(resolve, 120));
  if ((await driver.get("real-clock:ttl")) !== null) throw new Error("expected null after expiry");
  if ((await driver.list({ prefix: "real-clock:" })).keys.length !== 0) throw new Error("expected no listed key");
});

Deno.test("Deno KV driver: a value over Deno KV's 64 KiB limit fails naming the key", async () => {
  const driver = createDenoKVDriver(kv);
  let error: unknown;
  try {
    await driver.put("too:big", "x".repeat(70_000));
  } catch (e) {
    error = e;
  }
  if (!(error instanceof Error) || !/deno-kv: cannot write "too:big": .*too large/i.test(error.message)) {
    throw new Error(`unexpected: ${error}`);
  }
});
