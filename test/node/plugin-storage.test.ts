import { describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { pluginStorageSuite } from "../suites/plugin-storage.suite.ts";

pluginStorageSuite({ describe, it, expect, runtime: "node" }, { driver: () => createMemoryDriver() });
