import { describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { driverSuite } from "../suites/driver.suite.ts";

let time = Date.UTC(2026, 0, 1);
const clock = { advance: (ms: number) => void (time += ms) };

driverSuite({ describe, it, expect, runtime: "node" }, {
  name: "memory",
  atomic: true,
  clock,
  create: () => createMemoryDriver({ now: () => time }),
});
