/**
 * Counted, not timed (part of `npm run bench`): KV reads per signed webhook in a cold isolate
 * (a fresh runtime over the same storage) and a warm one, through the real HTTP path — signature
 * check, dedupe claim, inbox, dispatch to two enabled plugins reading config and secrets.
 * Prints one JSON line.
 */
import { createRuntime } from "../src/runtime.ts";
import { createMemoryDriver } from "../src/backends/memory.ts";
import type { KVDriver } from "../src/store/driver.ts";
import { eventBody, RecorderPlugin, signedRequest } from "../test/fixtures/webhook-kit.ts";

const memory = createMemoryDriver();
const reads = { tenant: 0, all: 0 };
const counting: KVDriver = {
  ...memory,
  name: memory.name,
  atomic: memory.atomic,
  get(key) {
    reads.all++;
    if (key.startsWith("tenant:")) reads.tenant++;
    return memory.get(key);
  },
  getMany(keys) {
    reads.all++;
    if (keys.some((k) => k.startsWith("tenant:"))) reads.tenant++;
    return memory.getMany(keys);
  },
};
const env = {
  DVP_MASTER_KEYS: "bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  DVP_ADMIN_JWT_SECRET: "bench-admin-secret-0123456789abcdefghij",
  DVP_LOG_LEVEL: "error",
};
const isolate = () =>
  createRuntime({ env, driver: counting, plugins: () => [new RecorderPlugin("first"), new RecorderPlugin("second")] });

const setup = isolate();
const tenantId = crypto.randomUUID();
const { generatedSecret } = await setup.kernel.putTenant(tenantId, { slug: "bench", plan: "pro" });
for (const name of ["first", "second"]) {
  await setup.kernel.setSecrets(tenantId, name, {});
  await setup.kernel.enable(tenantId, name);
}

async function webhook(runtime: ReturnType<typeof isolate>): Promise<{ tenant: number; all: number }> {
  reads.tenant = reads.all = 0;
  const work: Promise<unknown>[] = [];
  const response = await runtime.fetch(
    await signedRequest(`http://kernel/v1/webhooks/${tenantId}`, generatedSecret!, eventBody()),
    (p) => work.push(p),
  );
  if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
  await Promise.all(work);
  return { ...reads };
}

const runtime = isolate(); // a cold isolate: nothing cached
const cold = await webhook(runtime);
const warm = await webhook(runtime);
console.log(JSON.stringify({
  kvReadsCold: cold.tenant,
  kvReadsWarm: warm.tenant,
  kvReadsAllCold: cold.all,
  kvReadsAllWarm: warm.all,
}));
