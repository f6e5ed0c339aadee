import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Runs the guide's runnable blocks (written by guide.test.ts), with the package's own names
// resolving to the source, as they would for a user who installed @dvp/kernel.
const src = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@dvp\/kernel\/testing$/, replacement: src("testing/index.ts") },
      { find: /^@dvp\/kernel\/(runtime|drivers|client)$/, replacement: src("entries/$1.ts") },
      { find: /^@dvp\/kernel$/, replacement: src("index.ts") },
    ],
  },
  test: {
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: [".generated/**/*.doc-test.ts"],
    testTimeout: 20_000,
  },
});
