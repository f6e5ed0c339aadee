import { describe, expect, it } from "vitest";
import { testingSuite } from "../suites/testing.suite.ts";

testingSuite({ describe, it, expect, runtime: "workerd" });
