import { defineConfig } from "vitest/config";

// End to end: the real dev servers (`npm start` on wrangler, `deno task dev`), one file at a time.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
