/**
 * The dashboard's browser-test server: the real Deno adapter (Deno.serve, Deno KV in memory, the
 * runtime with its scheduler, admin API and dashboard) with the fixture plugins, two tenants, and
 * admin tokens. Prints one JSON line with the URL and tokens, then serves until stdin closes or
 * SIGTERM. No outbound calls: the fixture plugins compute their results.
 *
 *   deno run -A --unstable-kv test/browser/server.ts
 */
import { startDeno } from "../../src/adapters/deno.ts";
import { signAdminToken } from "../../src/http/auth.ts";
import { generateMasterKey } from "../../src/entries/runtime.ts";
import { fixturePlugins } from "./fixture-plugins.ts";

const SECRET = `browser-test-${crypto.randomUUID()}`;
const TENANT_A = "0a0a0a0a-0000-4000-8000-00000000000a";
const TENANT_B = "0b0b0b0b-0000-4000-8000-00000000000b";

const kv = await Deno.openKv(":memory:");
const dvp = await startDeno({
  env: { DVP_MASTER_KEYS: generateMasterKey("browser"), DVP_ADMIN_JWT_SECRET: SECRET, DVP_LOG_LEVEL: "warn" },
  port: 0,
  hostname: "127.0.0.1",
  kv,
  // The test drives every run itself (Run now, Run health checks now): no background tick.
  cron: () => undefined,
  plugins: () => fixturePlugins(),
});
await dvp.runtime.kernel.putTenant(TENANT_A, { slug: "acme", plan: "pro" });
await dvp.runtime.kernel.putTenant(TENANT_B, { slug: "globex", plan: "free" });

console.log(JSON.stringify({
  url: dvp.url,
  tenantA: TENANT_A,
  tenantB: TENANT_B,
  token: await signAdminToken(SECRET, { tenants: "*", subject: "platform-admin" }),
  scopedToken: await signAdminToken(SECRET, { tenants: [TENANT_A], subject: "acme-admin" }),
}));

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  await dvp.close();
  kv.close();
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", shutdown);
Deno.addSignalListener("SIGINT", shutdown);
// When the test runner dies, its end of our stdin closes: stop with it.
(async () => {
  for await (const _ of Deno.stdin.readable) { /* wait for EOF */ }
  await shutdown();
})();
