import { describe, expect, it } from "vitest";
import { netSuite } from "../suites/net.suite.ts";

netSuite({ describe, it, expect, runtime: "workerd" });
