/**
 * The read path of one webhook's tenant state (tenant record, webhook secrets, config and
 * secrets of two enabled plugins), warm (0 KV reads) against cold (1 read, here from the memory
 * driver, so the figure is the kernel's own cost without network latency); and one secret's
 * decryption with cached keys against importing and deriving them afresh.
 */
import { bench, describe } from "vitest";
import { createKernel, generateMasterKey, parseMasterKeys } from "../../src/entries/runtime.ts";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import type { Plugin } from "../../src/index.ts";
import { SecretBox } from "../../src/crypto/secret-box.ts";
import { countingDriver, namespacedDriver, SyncPlugin } from "../suites/storage.suite.ts";

const TENANT = "11111111-1111-4111-8111-111111111111";
const masterKeys = generateMasterKey("bench");
const driver = countingDriver(namespacedDriver(createMemoryDriver(), ""));
const plugins: Plugin[] = [new SyncPlugin("alpha"), new SyncPlugin("beta"), new SyncPlugin("gamma")];
const kernel = createKernel({ driver, masterKeys, plugins, log: { level: "error" } });

await kernel.putTenant(TENANT, { slug: "bench", plan: "pro" });
for (const name of ["alpha", "beta"]) {
  await kernel.setConfig(TENANT, name, { endpoint: "https://api.example.com", tags: ["a", "b"] });
  await kernel.setSecrets(TENANT, name, { api_key: `${name}-key-0123456789`, region: "eu" });
  await kernel.enable(TENANT, name);
}

async function webhookState(): Promise<void> {
  const tenant = await kernel.requireTenant(TENANT);
  await kernel.webhookSecrets(tenant);
  for (const entry of kernel.enabledPlugins(tenant, "contentPublished")) {
    await kernel.getConfig(TENANT, entry.name);
    (await kernel.getSecrets(TENANT, entry.name)).require("api_key");
  }
}

/** Fails the bench run if the read counts stop being what the layout promises. */
async function assertReads(cold: boolean, expected: number): Promise<void> {
  if (cold) kernel.tenants.invalidate();
  driver.reset();
  await webhookState();
  if (driver.counts.reads !== expected) throw new Error(`expected ${expected} KV reads, got ${driver.counts.reads}`);
}
await assertReads(true, 1);
await assertReads(false, 0);

describe("one webhook's tenant state (tenant, webhook secret, 2 plugins' config + secrets)", () => {
  bench("warm: 0 KV reads", async () => {
    await webhookState();
  });
  bench("cold: 1 KV read (memory driver)", async () => {
    kernel.tenants.invalidate();
    await webhookState();
  });
});

const ring = parseMasterKeys(masterKeys);
const box = new SecretBox(ring, { maxCachedPlaintexts: 0 });
const memo = new SecretBox(ring);
const envelope = await box.encrypt(TENANT, "alpha", JSON.stringify({ api_key: "alpha-key-0123456789" }));
await box.decrypt(TENANT, "alpha", envelope); // warm the key cache
await memo.decrypt(TENANT, "alpha", envelope); // and the opened-envelope cache

describe("decrypt one plugin's secrets", () => {
  bench("cached keys (AES-GCM decrypt only)", async () => {
    await box.decrypt(TENANT, "alpha", envelope);
  });
  bench("afresh: import master key + HKDF derive + decrypt", async () => {
    await new SecretBox(ring).decrypt(TENANT, "alpha", envelope);
  });
  bench("opened before (what a warm webhook pays)", async () => {
    await memo.decrypt(TENANT, "alpha", envelope);
  });
});
