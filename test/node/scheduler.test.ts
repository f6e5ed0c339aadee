import { describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../src/index.ts";
import { schedulerSuite } from "../suites/scheduler.suite.ts";

// The memory driver's expiry follows the test's clock.
schedulerSuite({ describe, it, expect, runtime: "node" }, { driver: (now) => createMemoryDriver({ now }) });
