import { defineConfig } from "vitest/config";

// The package as users get it (test/package/): packs the tarball, installs it in a scratch project, and
// starts wrangler dev and Deno from there. On its own, like the end-to-end tests, for the 2 cores' sake.
export default defineConfig({
  test: {
    include: ["test/package/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
