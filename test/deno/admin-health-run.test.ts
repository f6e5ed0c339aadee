import { createDenoKVDriver } from "../../src/entries/drivers.ts";
import { adminHealthRunSuite } from "../suites/admin-health-run.suite.ts";
import { denoHarness } from "./harness.ts";

// Deno KV in memory; each test creates tenants of its own.
const kv = await Deno.openKv(":memory:");
const backend = createDenoKVDriver(kv);
adminHealthRunSuite(denoHarness, { driver: () => backend });
