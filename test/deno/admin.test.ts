import { adminSuite } from "../suites/admin.suite.ts";
import { denoHarness } from "./harness.ts";

adminSuite(denoHarness);
