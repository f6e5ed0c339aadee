import { createDenoKVDriver } from "../../src/entries/drivers.ts";
import { pluginStorageSuite } from "../suites/plugin-storage.suite.ts";
import { denoHarness } from "./harness.ts";

// Deno KV in memory; each test writes under a tenant of its own.
const kv = await Deno.openKv(":memory:");
const backend = createDenoKVDriver(kv);
pluginStorageSuite(denoHarness, { driver: () => backend });
