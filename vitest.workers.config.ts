import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { kernelAliases } from "./test/kernel-aliases.ts";

// The same suites inside real workerd, with the bindings of wrangler.toml (real local KV).
export default defineConfig({
  resolve: { alias: kernelAliases },
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
          DVP_ADMIN_JWT_SECRET: "workers-test-admin-secret-0123456789",
          DVP_ALLOW_INSECURE_URLS: "true",
        },
      },
    }),
  ],
  test: {
    include: ["test/workers/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
