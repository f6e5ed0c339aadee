import { describe, expect, it } from "vitest";
import { coreSuite } from "../suites/core.suite.ts";

coreSuite({ describe, it, expect, runtime: "node" });
