import { describe, expect, it } from "vitest";
import { adminSuite } from "../suites/admin.suite.ts";

adminSuite({ describe, it, expect, runtime: "node" });
