import { defineConfig } from "vitest/config";
import { kernelAliases } from "./test/kernel-aliases.ts";

// The reliability run (RELIABILITY.md): fault injection on Node, the long fuzz runs, and the
// Deno load test (spawned by test/reliability/load-deno.test.ts). Kept out of `npm run
// test:node`; the quick fuzz tests also run there (test/node/fuzz-*.test.ts).
export default defineConfig({
  resolve: { alias: kernelAliases },
  test: {
    include: ["test/reliability/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
