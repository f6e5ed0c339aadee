import { describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { eventsSuite } from "../suites/events.suite.ts";

// A fresh memory store per test; its expiry follows the test's clock.
eventsSuite({ describe, it, expect, runtime: "node" }, { driver: (now) => createMemoryDriver({ now }) });
