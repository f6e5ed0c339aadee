import { defineConfig } from "vitest/config";
import { kernelAliases } from "./test/kernel-aliases.ts";

// Unit and integration tests on Node. The workerd suite has vitest.workers.config.ts;
// the Deno suite runs with `deno test` (deno.json).
export default defineConfig({
  resolve: { alias: kernelAliases },
  test: {
    include: ["test/**/*.test.ts"],
    // The end-to-end tests start real dev servers: they run on their own (vitest.e2e.config.ts),
    // not side by side with CPU-heavy suites that would starve wrangler and workerd of the 2 cores.
    exclude: [
      "test/workers/**",
      "test/deno/**",
      "test/browser/**",
      "test/reliability/**",
      "test/e2e/**",
      "test/package/**",
      "node_modules/**",
    ],
    testTimeout: 20_000,
    benchmark: { include: ["test/bench/**/*.bench.ts"] },
    // `npm run coverage` (V8's own counters): which lines of the kernel and plugins the Node suites run.
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts", "src/**/*.tsx", "plugins/**/*.ts"],
      reporter: ["text-summary", "text"],
      reportsDirectory: ".dvp/coverage",
    },
  },
});
