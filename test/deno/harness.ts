/** Maps the shared suites' describe/it onto Deno.test, with jest's expect from npm. */
import { expect } from "expect";
import type { Harness } from "../suites/harness.ts";

const stack: string[] = [];

export const denoHarness: Harness = {
  runtime: "deno",
  expect: expect as Harness["expect"],
  describe(name, body) {
    stack.push(name);
    try {
      body();
    } finally {
      stack.pop();
    }
  },
  it(name, body) {
    Deno.test({
      name: [...stack, name].join(" › "),
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        await body();
      },
    });
  },
};
