/**
 * The few test functions the shared suites use. Node and workerd pass vitest's; Deno passes
 * Deno.test with jest's `expect` (test/deno/harness.ts). One suite, three runtimes.
 */
export interface Harness {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => unknown | Promise<unknown>): void;
  // deno-lint-ignore no-explicit-any
  expect: any;
  /** Which runtime is running the suite, for the few assertions that differ. */
  runtime: "node" | "workerd" | "deno";
}
