import { defineConfig } from "vitest/config";

// Unit and integration tests on Node. The workerd suite has vitest.workers.config.ts;
// the Deno suite runs with `deno test` (deno.json).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/workers/**", "test/deno/**", "test/browser/**", "test/reliability/**", "node_modules/**"],
    testTimeout: 20_000,
    benchmark: { include: ["test/bench/**/*.bench.ts"] },
  },
});
