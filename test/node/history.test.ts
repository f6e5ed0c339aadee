import { describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { historySuite } from "../suites/history.suite.ts";

let time = Date.now();

// The key scan, on memory: its expiry follows this clock.
historySuite({ describe, it, expect, runtime: "node" }, {
  name: "memory",
  queries: false,
  create: () =>
    Promise.resolve({
      driver: createMemoryDriver({ now: () => time }),
      expire: () => Promise.resolve(void (time += 31 * 86_400_000)),
    }),
});
