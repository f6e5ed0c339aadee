import { netSuite } from "../suites/net.suite.ts";
import { denoHarness } from "./harness.ts";

netSuite(denoHarness);
