import { testingSuite } from "../suites/testing.suite.ts";
import { denoHarness } from "./harness.ts";

testingSuite(denoHarness);
