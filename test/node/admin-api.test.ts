import { describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { createRuntime } from "../../src/runtime.ts";
import { MyPlugin } from "../fixtures/my-plugin.ts";
import { ReporterPlugin, VaultPlugin } from "../suites/admin-fixtures.ts";
import { adminRuntimeSuite } from "../suites/admin-runtime.suite.ts";
import { adminSuite } from "../suites/admin.suite.ts";

const harness = { describe, it, expect, runtime: "node" } as const;

adminSuite(harness);

const SECRET = "node-runtime-admin-secret-0123456789";
adminRuntimeSuite(harness, {
  secret: SECRET,
  start: () => {
    const runtime = createRuntime({
      env: {
        DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        DVP_ADMIN_JWT_SECRET: SECRET,
        DVP_LOG_LEVEL: "error",
      },
      driver: createMemoryDriver(),
      plugins: [new MyPlugin(), new VaultPlugin(), new ReporterPlugin()],
      logSink: () => {},
    });
    return Promise.resolve({ send: (request) => runtime.fetch(request), withPlugins: true });
  },
});
