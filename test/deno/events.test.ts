import { createDenoKVDriver } from "../../src/entries/drivers.ts";
import { eventsSuite } from "../suites/events.suite.ts";
import { namespacedDriver } from "../suites/storage.suite.ts";
import { denoHarness } from "./harness.ts";

// Deno KV in memory; each test in a namespace of its own.
const kv = await Deno.openKv(":memory:");
eventsSuite(denoHarness, {
  driver: (now) => namespacedDriver(createDenoKVDriver(kv, { now }), `ev:${crypto.randomUUID().slice(0, 8)}:`),
});
