import { coreSuite } from "../suites/core.suite.ts";
import { denoHarness } from "./harness.ts";

coreSuite(denoHarness);
