import { createDenoKVDriver } from "../../src/entries/drivers.ts";
import { schedulerSuite } from "../suites/scheduler.suite.ts";
import { denoHarness } from "./harness.ts";

// Deno KV in memory; the suite namespaces each test inside it.
const kv = await Deno.openKv(":memory:");
const backend = createDenoKVDriver(kv);
schedulerSuite(denoHarness, { driver: () => backend });
