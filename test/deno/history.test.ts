import { createDenoKVDriver } from "../../src/entries/drivers.ts";
import { historySuite } from "../suites/history.suite.ts";
import { denoHarness } from "./harness.ts";

// Deno KV keeps the key scan (documented in docs/storage.md). Its TTL deadlines follow this clock.
const kv = await Deno.openKv(":memory:");
let time = Date.now();

historySuite(denoHarness, {
  name: "deno-kv",
  queries: false,
  create: () =>
    Promise.resolve({
      driver: createDenoKVDriver(kv, { now: () => time }),
      expire: () => Promise.resolve(void (time += 31 * 86_400_000)),
    }),
});
