import { createDenoKVDriver } from "../../src/entries/drivers.ts";
import { storageSuite } from "../suites/storage.suite.ts";
import { denoHarness } from "./harness.ts";

// Deno KV in memory; the suite gives each test its own key namespace inside it.
const kv = await Deno.openKv(":memory:");
const backend = createDenoKVDriver(kv);
storageSuite(denoHarness, { driver: () => backend });
