/**
 * Property tests (fast-check): whatever tenants, plugins, configs and secrets are thrown at the
 * kernel, in whatever order, each (tenant, plugin) reads back exactly its own, and no secret's
 * plaintext shows up in any stored KV value or any captured log line.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createKernel, generateMasterKey } from "../../src/entries/runtime.ts";
import { createMemoryDriver, type KVDriver, listAll } from "../../src/entries/drivers.ts";
import { type HookContext, Plugin, ValidationError } from "../../src/index.ts";
import { SYNC_CONFIG_SCHEMA, SYNC_SECRETS_SCHEMA } from "../suites/storage.suite.ts";

const PLUGINS = ["alpha", "beta", "gamma-sync", "delta"] as const;
type Name = (typeof PLUGINS)[number];

/** Reads its config and secrets, logs the secret (scrubbed by the kernel), then fails quoting it. */
class LeakyPlugin extends Plugin {
  readonly version = "1.0.0";
  override CONFIG_SCHEMA = SYNC_CONFIG_SCHEMA;
  override SECRETS_SCHEMA = SYNC_SECRETS_SCHEMA;
  constructor(readonly name: Name) {
    super();
  }
  async contentPublished(ctx: HookContext): Promise<void> {
    const secrets = await this.getSecrets(ctx.tenantId);
    const key = secrets.require("api_key");
    this.logger.info(`calling upstream with ${key}`, { key, nested: { note: `k=${key}` }, secrets });
    throw new Error(`upstream refused key ${key}`);
  }
}

const config = fc.record(
  {
    endpoint: fc.webUrl({ withQueryParameters: true }),
    mode: fc.constantFrom("fast", "safe"),
    retries: fc.integer({ min: 0, max: 10 }),
    tags: fc.array(fc.string({ maxLength: 12 }), { maxLength: 4 }),
    limits: fc.record({ per_minute: fc.integer({ min: 1, max: 600 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ["endpoint"] },
);

/** Secrets of at least 8 characters (shorter ones are not scrubbed from logs), any unicode. */
const secretValue = fc.tuple(fc.string({ minLength: 8, maxLength: 40, unit: "grapheme" }), fc.nat(1e9))
  .map(([text, n]) => `${text}~${n.toString(36)}`);

const op = fc.record({
  tenant: fc.nat(3),
  plugin: fc.constantFrom(...PLUGINS),
  config,
  apiKey: secretValue,
  extra: fc.option(secretValue, { nil: undefined }),
  data: fc.string({ maxLength: 20 }),
});

async function allValues(driver: KVDriver): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of listAll(driver, "")) keys.push(key);
  return (await driver.getMany(keys)).filter((v): v is string => v !== null);
}

function withDefaults(c: Record<string, unknown>) {
  return {
    mode: "safe",
    retries: 3,
    tags: [],
    ...c,
    limits: { per_minute: 60, ...(c.limits as object | undefined) },
  };
}

describe("storage properties", () => {
  it("random tenants, plugins, configs, secrets and plugin data never cross", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.uuid({ version: 4 }), { minLength: 4, maxLength: 4 }),
        fc.array(op, {
          minLength: 1,
          maxLength: 25,
        }),
        async (tenants, ops) => {
          const driver = createMemoryDriver();
          const masterKeys = generateMasterKey("p1");
          const make = () =>
            createKernel({
              driver,
              masterKeys,
              plugins: PLUGINS.map((n) => new LeakyPlugin(n)),
              allowInsecureUrls: true, // isolation is under test here, not the URL policy
              log: { sink: () => {} },
            });
          const kernel = make();
          for (const [i, id] of tenants.entries()) await kernel.putTenant(id, { slug: `t${i}`, plan: "free" });
          const expected = new Map<string, { config: unknown; secrets: Record<string, string>; data: string }>();
          for (const o of ops) {
            const id = tenants[o.tenant]!;
            const secrets = { api_key: o.apiKey, ...(o.extra ? { extra: o.extra } : {}) };
            await kernel.setConfig(id, o.plugin, o.config);
            await kernel.setSecrets(id, o.plugin, { api_key: o.apiKey, extra: o.extra ?? null });
            await kernel.registry.require(o.plugin).plugin.storage(id).put("value", o.data);
            expected.set(`${id}/${o.plugin}`, { config: withDefaults(o.config), secrets, data: o.data });
          }
          // Read back through this isolate and through a fresh one (cold cache, same KV).
          for (const reader of [kernel, make()]) {
            for (const id of tenants) {
              for (const name of PLUGINS) {
                const want = expected.get(`${id}/${name}`);
                const secrets = await reader.getSecrets(id, name);
                const stored = await reader.registry.require(name).plugin.storage(id).get("value");
                if (!want) {
                  expect(secrets.names()).toEqual([]);
                  expect(stored).toBeNull();
                  continue;
                }
                expect(await reader.getConfig(id, name)).toEqual(want.config);
                expect(Object.fromEntries(secrets.names().map((n) => [n, secrets.require(n)]))).toEqual(want.secrets);
                expect(stored).toBe(want.data);
                expect(await reader.registry.require(name).plugin.storage(id).list()).toEqual(["value"]);
              }
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("no plaintext secret in any stored value or captured log line", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uuid({ version: 4 }), fc.array(op, { minLength: 1, maxLength: 8 }), async (id, ops) => {
        const driver = createMemoryDriver();
        const lines: string[] = [];
        const kernel = createKernel({
          driver,
          masterKeys: generateMasterKey("p1"),
          plugins: PLUGINS.map((n) => new LeakyPlugin(n)),
          allowInsecureUrls: true, // isolation is under test here, not the URL policy
          log: { level: "debug", sink: (_record, line) => lines.push(line) },
        });
        const { generatedSecret } = await kernel.putTenant(id, { slug: "leaky", plan: "pro" });
        const plaintexts = new Set<string>([generatedSecret!]);
        for (const o of ops) {
          await kernel.setConfig(id, o.plugin, o.config);
          await kernel.setSecrets(id, o.plugin, { api_key: o.apiKey, extra: o.extra ?? null });
          plaintexts.add(o.apiKey);
          if (o.extra) plaintexts.add(o.extra);
          await kernel.enable(id, o.plugin);
          // An invalid change (too short api_key) fails validation without echoing the other values.
          await expect(kernel.setSecrets(id, o.plugin, { api_key: "short" })).rejects.toBeInstanceOf(ValidationError);
        }
        await kernel.webhookSecrets(await kernel.requireTenant(id));
        const { outcomes } = await kernel.dispatch(id, "contentPublished", ["c1", { title: "t" }, {}]);
        expect(outcomes.every((o) => o.status === "failed")).toBe(true);
        for (const outcome of outcomes) {
          await kernel.history.record({
            tenantId: id,
            kind: "hook",
            plugin: outcome.plugin,
            name: "contentPublished",
            status: "failed",
            final: true,
            error: outcome.error,
          });
        }
        // Each enabled plugin logged its key and failed quoting it: the lines exist, the values do not.
        const enabled = new Set(ops.map((o) => o.plugin)).size;
        expect(lines.filter((l) => l.includes("[redacted]")).length).toBeGreaterThanOrEqual(2 * enabled);
        const stored = await allValues(driver);
        for (const secret of plaintexts) {
          const escaped = JSON.stringify(secret).slice(1, -1);
          for (const text of [...stored, ...lines]) {
            expect(text.includes(secret) || text.includes(escaped)).toBe(false);
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
