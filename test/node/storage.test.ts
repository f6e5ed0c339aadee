import { describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { storageSuite } from "../suites/storage.suite.ts";

const backend = createMemoryDriver();
storageSuite({ describe, it, expect, runtime: "node" }, { driver: () => backend });
