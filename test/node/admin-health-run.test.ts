import { describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { adminHealthRunSuite } from "../suites/admin-health-run.suite.ts";

adminHealthRunSuite({ describe, it, expect, runtime: "node" }, { driver: () => createMemoryDriver() });
