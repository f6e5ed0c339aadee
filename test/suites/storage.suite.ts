/**
 * Tenants, config and secrets on a real backend (memory on Node, Cloudflare KV in workerd, Deno
 * KV under Deno): the one-read layout, the isolate cache, config validation, sealed secrets,
 * tampering, rotation and DVP_MASTER_KEYS checks. Each test gets its own key namespace (a
 * prefixing wrapper), so tests sharing one KV namespace never see each other's tenants.
 */
import {
  ConfigurationError,
  type HookContext,
  KernelError,
  type LogRecord,
  Plugin,
  ValidationError,
} from "../../src/index.ts";
import {
  createKernel,
  generateMasterKey,
  type Kernel,
  parseMasterKeys,
  type TenantRecord,
} from "../../src/entries/runtime.ts";
import type { KVDriver, PutOptions } from "../../src/entries/drivers.ts";
import { SecretBox } from "../../src/crypto/secret-box.ts";
import type { KeyWrite } from "../../src/store/driver.ts";
import type { Harness } from "./harness.ts";

export interface StorageTarget {
  /** The backend under test; the suite namespaces every test inside it. */
  driver(): KVDriver | Promise<KVDriver>;
}

/** Counts backend calls: `reads` is get + getMany calls (one getMany is one read). */
export interface CountingDriver extends KVDriver {
  counts: { reads: number; writes: number; lists: number; deletes: number };
  reset(): void;
}

export function countingDriver(inner: KVDriver): CountingDriver {
  const counts = { reads: 0, writes: 0, lists: 0, deletes: 0 };
  return {
    name: inner.name,
    atomic: inner.atomic,
    counts,
    reset: () => Object.assign(counts, { reads: 0, writes: 0, lists: 0, deletes: 0 }),
    ...(inner.canCompare ? { canCompare: (key: string) => inner.canCompare!(key) } : {}),
    get: (key) => (counts.reads++, inner.get(key)),
    getMany: (keys) => (counts.reads++, inner.getMany(keys)),
    put: (key, value, opts) => (counts.writes++, inner.put(key, value, opts)),
    putIfAbsent: (key, value, opts) => (counts.writes++, inner.putIfAbsent(key, value, opts)),
    ...(inner.putIfUnchanged
      ? {
        putIfUnchanged: (key: string, expected: string | null, value: string, opts?: PutOptions) => (
          counts.writes++, inner.putIfUnchanged!(key, expected, value, opts)
        ),
      }
      : {}),
    ...(inner.deleteIfUnchanged
      ? {
        deleteIfUnchanged: (key: string, expected: string) => (
          counts.deletes++, inner.deleteIfUnchanged!(key, expected)
        ),
      }
      : {}),
    delete: (key) => (counts.deletes++, inner.delete(key)),
    list: (opts) => (counts.lists++, inner.list(opts)),
  };
}

/** Every key under a private prefix, which `list` strips again: one backend, many namespaces. */
export function namespacedDriver(inner: KVDriver, ns: string): KVDriver {
  return {
    name: inner.name,
    atomic: inner.atomic,
    get: (key) => inner.get(ns + key),
    getMany: (keys) => inner.getMany(keys.map((k) => ns + k)),
    put: (key, value, opts) => inner.put(ns + key, value, opts),
    putIfAbsent: (key, value, opts) => inner.putIfAbsent(ns + key, value, opts),
    ...(inner.canCompare ? { canCompare: (key: string) => inner.canCompare!(ns + key) } : {}),
    ...(inner.putIfUnchanged
      ? {
        putIfUnchanged: (key: string, expected: string | null, value: string, opts?: PutOptions) =>
          inner.putIfUnchanged!(ns + key, expected, value, opts),
      }
      : {}),
    ...(inner.deleteIfUnchanged
      ? { deleteIfUnchanged: (key: string, expected: string) => inner.deleteIfUnchanged!(ns + key, expected) }
      : {}),
    ...(inner.claimWith
      ? {
        claimWith: (claim: KeyWrite, writes: readonly KeyWrite[], deletes: readonly string[] = []) =>
          inner.claimWith!(
            { ...claim, key: ns + claim.key },
            writes.map((w) => ({ ...w, key: ns + w.key })),
            deletes.map((key) => ns + key),
          ),
      }
      : {}),
    delete: (key) => inner.delete(ns + key),
    list: async (opts) => {
      const page = await inner.list({ ...opts, prefix: ns + opts.prefix });
      return { keys: page.keys.map((k) => k.slice(ns.length)), cursor: page.cursor };
    },
  };
}

export const SYNC_CONFIG_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    endpoint: { type: "string", format: "uri" },
    mode: { type: "string", enum: ["fast", "safe"], default: "safe" },
    retries: { type: "integer", minimum: 0, maximum: 10, default: 3 },
    tags: { type: "array", items: { type: "string" }, default: [] },
    limits: {
      type: "object",
      properties: { per_minute: { type: "integer", minimum: 1, maximum: 600, default: 60 } },
      additionalProperties: false,
      default: {},
    },
  },
  required: ["endpoint"],
  additionalProperties: false,
} as const;

export const SYNC_SECRETS_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    api_key: { type: "string", minLength: 8 },
    region: { type: "string", enum: ["eu", "us"] },
  },
  required: ["api_key"],
  additionalProperties: { type: "string" },
} as const;

/** A plugin whose hook reads its config and secrets, as real plugins do on every webhook. */
export class SyncPlugin extends Plugin {
  readonly version = "1.0.0";
  override CONFIG_SCHEMA = SYNC_CONFIG_SCHEMA;
  override SECRETS_SCHEMA = SYNC_SECRETS_SCHEMA;
  readonly seen: { config: Record<string, unknown>; key: string }[] = [];
  constructor(readonly name: string) {
    super();
  }
  async contentPublished(ctx: HookContext): Promise<void> {
    const config = await this.getConfig(ctx.tenantId);
    const secrets = await this.getSecrets(ctx.tenantId);
    this.seen.push({ config, key: secrets.require("api_key") });
  }
}

const uuid = () => crypto.randomUUID();
const VALID = { endpoint: "https://api.example.com/v1" };

export function storageSuite(h: Harness, target: StorageTarget): void {
  const { describe, it, expect } = h;

  /** A fresh namespace, counted; `isolate()` gives another kernel (another isolate) on it. */
  async function setup(options: { masterKeys?: string; ttlMs?: number } = {}) {
    const ns = `st:${uuid().slice(0, 8)}:`;
    const backend = await target.driver();
    const driver = countingDriver(namespacedDriver(backend, ns));
    const masterKeys = options.masterKeys ?? generateMasterKey("k1");
    let time = Date.UTC(2026, 5, 1);
    const clock = { now: () => time, advance: (ms: number) => void (time += ms) };
    const logs: { records: LogRecord[]; lines: string[] } = { records: [], lines: [] };
    const isolate = (keys = masterKeys): Kernel & { plugins: Record<"alpha" | "beta" | "gamma", SyncPlugin> } => {
      const plugins = { alpha: new SyncPlugin("alpha"), beta: new SyncPlugin("beta"), gamma: new SyncPlugin("gamma") };
      const kernel = createKernel({
        driver,
        masterKeys: keys,
        plugins: Object.values(plugins),
        now: clock.now,
        tenantCacheTtlMs: options.ttlMs ?? 30_000,
        log: { level: "debug", sink: (r, line) => (logs.records.push(r), logs.lines.push(line)) },
      });
      return Object.assign(kernel, { plugins });
    };
    return { driver, backend, ns, clock, logs, isolate, kernel: isolate(), masterKeys };
  }

  async function rawTenant(driver: KVDriver, id: string): Promise<TenantRecord> {
    const raw = await driver.get(`tenant:${id}`);
    if (raw === null) throw new Error(`no tenant ${id}`);
    return JSON.parse(raw) as TenantRecord;
  }

  async function decryptError(promise: Promise<unknown>): Promise<KernelError> {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(KernelError);
      expect((error as KernelError).code).toBe("ERR_DECRYPT");
      return error as KernelError;
    }
    throw new Error("expected decryption to fail");
  }

  describe(`storage on ${h.runtime}`, () => {
    describe("tenants", () => {
      it("stores a tenant (UUID id, slug, plan, sealed webhook secrets) as one KV value", async () => {
        const { kernel, driver } = await setup();
        const id = uuid();
        const { tenant, created, generatedSecret } = await kernel.putTenant(id, { slug: "acme", plan: "pro" });
        expect(created).toBe(true);
        expect(generatedSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
        expect(tenant).toMatchObject({ id, slug: "acme", plan: "pro" });
        await kernel.setConfig(id, "alpha", VALID);
        await kernel.setSecrets(id, "alpha", { api_key: "alpha-key-123" });
        await kernel.enable(id, "alpha");
        const listed = await driver.list({ prefix: "" });
        expect(listed.keys).toEqual([`tenant:${id}`]);
        const raw = await rawTenant(driver, id);
        expect(raw.webhookSecrets).toHaveLength(1);
        expect(raw.webhookSecrets[0]).toMatch(/^v1\.k1\./);
        expect(raw.plugins.alpha).toMatchObject({ enabled: true, secretNames: ["api_key"] });
        expect(JSON.stringify(raw)).not.toContain(generatedSecret!.slice(6));
        expect(await kernel.webhookSecrets(tenant)).toEqual([generatedSecret]);
        const again = await kernel.putTenant(id, { slug: "acme-2", plan: "enterprise" });
        expect(again.created).toBe(false);
        expect(again.generatedSecret).toBeUndefined();
        expect(await kernel.webhookSecrets(again.tenant)).toEqual([generatedSecret]);
      });

      it("rejects a bad tenant with {path, message} errors and stores nothing", async () => {
        const { kernel, driver } = await setup();
        try {
          await kernel.putTenant("not-a-uuid", { slug: "Bad Slug", plan: "gold" as never, webhookSecrets: ["nope"] });
          throw new Error("expected a ValidationError");
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          expect((error as ValidationError).errors.map((e) => e.path)).toEqual([
            "/id",
            "/slug",
            "/plan",
            "/webhook_secrets/0",
          ]);
        }
        expect(driver.counts.writes).toBe(0);
      });

      it("costs one KV read cold and none warm for a whole webhook: tenant, webhook secrets, config, secrets", async () => {
        const { driver, isolate } = await setup();
        const writer = isolate();
        const id = uuid();
        await writer.putTenant(id, { slug: "hooked", plan: "pro" });
        for (const name of ["alpha", "beta"]) {
          await writer.setConfig(id, name, { ...VALID, tags: [name] });
          await writer.setSecrets(id, name, { api_key: `${name}-api-key` });
          await writer.enable(id, name);
        }
        await writer.setConfig(id, "gamma", VALID); // configured but disabled: not read by the hook

        const webhook = async (kernel: Kernel) => {
          const tenant = await kernel.requireTenant(id);
          await kernel.webhookSecrets(tenant);
          const { outcomes } = await kernel.dispatch(id, "contentPublished", ["c1", { title: "t" }, {}]);
          expect(outcomes.map((o) => [o.plugin, o.status])).toEqual([["alpha", "ok"], ["beta", "ok"]]);
        };
        const fresh = isolate(); // a new isolate: nothing cached
        driver.reset();
        await webhook(fresh);
        expect(driver.counts).toEqual({ reads: 1, writes: 0, lists: 0, deletes: 0 });
        driver.reset();
        await webhook(fresh);
        await webhook(fresh);
        expect(driver.counts.reads).toBe(0);
        expect(fresh.plugins.alpha.seen.at(-1)).toEqual({
          config: { ...VALID, mode: "safe", retries: 3, tags: ["alpha"], limits: { per_minute: 60 } },
          key: "alpha-api-key",
        });
        expect(fresh.plugins.beta.seen.at(-1)?.key).toBe("beta-api-key");
      });

      it("shares one cold read among concurrent requests for a tenant", async () => {
        const { isolate, driver } = await setup();
        const id = uuid();
        await isolate().putTenant(id, { slug: "busy", plan: "free" });
        const fresh = isolate();
        driver.reset();
        const tenants = await Promise.all(Array.from({ length: 20 }, () => fresh.requireTenant(id)));
        expect(new Set(tenants.map((t) => t.id))).toEqual(new Set([id]));
        expect(driver.counts.reads).toBe(1);
      });

      it("bounds the cache by its TTL, and an isolate's own writes are visible to it at once", async () => {
        const { isolate, driver, clock } = await setup({ ttlMs: 10_000 });
        const a = isolate();
        const b = isolate();
        const id = uuid();
        await a.putTenant(id, { slug: "cached", plan: "free" });
        await a.setConfig(id, "alpha", VALID);
        expect((await b.getConfig(id, "alpha")).retries).toBe(3); // b caches the record
        await a.setConfig(id, "alpha", { ...VALID, retries: 7 });
        driver.reset();
        expect((await a.getConfig(id, "alpha")).retries).toBe(7); // own write: no stale read, no KV read
        expect((await b.getConfig(id, "alpha")).retries).toBe(3); // another isolate: stale within the TTL
        expect(driver.counts.reads).toBe(0);
        clock.advance(10_001);
        expect((await b.getConfig(id, "alpha")).retries).toBe(7);
        expect(driver.counts.reads).toBe(1);
      });

      it("two isolates changing one tenant at once: both changes land where the store can compare and set", async () => {
        const { isolate, backend } = await setup();
        const id = uuid();
        const first = isolate();
        await first.putTenant(id, { slug: "raced", plan: "free" });
        const others = [isolate(), isolate(), isolate()];
        const names = ["alpha", "beta", "gamma"] as const;
        await Promise.all(others.map((k, i) => k.setConfig(id, names[i]!, { ...VALID, retries: i + 1 })));
        const stored = await isolate().getTenant(id);
        const kept = names.filter((name) => stored!.plugins[name]?.config);
        if (backend.putIfUnchanged) expect(kept).toEqual(names);
        // Cloudflare KV has no compare-and-set: the last writer wins, and at least its change is there.
        else expect(kept.length).toBeGreaterThanOrEqual(1);
      });

      it("reports a damaged tenant record as a storage error", async () => {
        const { kernel, driver } = await setup();
        const id = uuid();
        await driver.put(`tenant:${id}`, "{not json");
        await expect(kernel.requireTenant(id)).rejects.toMatchObject({
          code: "ERR_STORAGE",
          message: expect.stringMatching(/stored record of tenant .* is damaged/),
        });
      });

      it("remembers an unknown tenant briefly, and answers it as not found", async () => {
        const { kernel, driver, clock } = await setup();
        const id = uuid();
        driver.reset();
        for (let i = 0; i < 3; i++) {
          await expect(kernel.requireTenant(id)).rejects.toMatchObject({ code: "ERR_TENANT_NOT_FOUND" });
        }
        expect(driver.counts.reads).toBe(1);
        clock.advance(5_001);
        await expect(kernel.requireTenant(id)).rejects.toMatchObject({ code: "ERR_TENANT_NOT_FOUND" });
        expect(driver.counts.reads).toBe(2);
        await kernel.putTenant(id, { slug: "late", plan: "free" }); // own write replaces the negative entry
        expect((await kernel.requireTenant(id)).slug).toBe("late");
      });
    });

    describe("config", () => {
      it("applies the schema's defaults, nested ones included, and returns the stored value", async () => {
        const { kernel } = await setup();
        const id = uuid();
        await kernel.putTenant(id, { slug: "cfg", plan: "free" });
        const full = { ...VALID, mode: "safe", retries: 3, tags: [], limits: { per_minute: 60 } };
        expect(await kernel.setConfig(id, "alpha", VALID)).toEqual(full);
        expect(await kernel.getConfig(id, "alpha")).toEqual(full);
        expect(await kernel.setConfig(id, "beta", { ...VALID, limits: {} })).toEqual(full);
        expect(await kernel.plugins.alpha.getConfig(id)).toEqual(full);
      });

      it("reports each draft-07 keyword's failure as {path (JSON pointer), message}", async () => {
        const { kernel } = await setup();
        const id = uuid();
        await kernel.putTenant(id, { slug: "cfg", plan: "free" });
        const cases: [unknown, string][] = [
          [{}, "/endpoint"], // required
          [{ endpoint: "not a uri" }, "/endpoint"], // format uri
          [{ ...VALID, retries: "3" }, "/retries"], // type
          [{ ...VALID, retries: 11 }, "/retries"], // maximum
          [{ ...VALID, retries: -1 }, "/retries"], // minimum
          [{ ...VALID, mode: "turbo" }, "/mode"], // enum
          [{ ...VALID, tags: ["ok", 2] }, "/tags/1"], // items
          [{ ...VALID, colour: "red" }, "/colour"], // additionalProperties
          [{ ...VALID, limits: { per_minute: 0, x: 1 } }, "/limits/per_minute"], // nested minimum
          [{ ...VALID, limits: { x: 1 } }, "/limits/x"], // nested additionalProperties
          [[], ""], // not an object
        ];
        for (const [config, path] of cases) {
          try {
            await kernel.setConfig(id, "alpha", config);
            throw new Error(`accepted ${JSON.stringify(config)}`);
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
            const errors = (error as ValidationError).errors;
            expect(errors.map((e) => e.path)).toContain(path);
            for (const e of errors) {
              expect(typeof e.message).toBe("string");
              expect(e.message.length).toBeGreaterThan(0);
              expect(e.path === "" || e.path.startsWith("/")).toBe(true);
            }
          }
        }
      });

      it("lists every problem at once", async () => {
        const { kernel } = await setup();
        const id = uuid();
        await kernel.putTenant(id, { slug: "cfg", plan: "free" });
        const error = await kernel.setConfig(id, "alpha", { retries: 99, mode: "x", extra: 1 }).catch((e) => e);
        expect(error).toBeInstanceOf(ValidationError);
        const paths = (error as ValidationError).errors.map((e) => e.path).sort();
        expect(paths).toEqual(["/endpoint", "/extra", "/mode", "/retries"]);
        expect((error as ValidationError).errors.find((e) => e.path === "/endpoint")?.message).toBe("is required");
      });

      it("never stores an invalid config: no write, the previous value stays", async () => {
        const { kernel, driver } = await setup();
        const id = uuid();
        await kernel.putTenant(id, { slug: "cfg", plan: "free" });
        await kernel.setConfig(id, "alpha", { ...VALID, retries: 5 });
        const before = await driver.get(`tenant:${id}`);
        driver.reset();
        await expect(kernel.setConfig(id, "alpha", { ...VALID, retries: 50 })).rejects.toBeInstanceOf(ValidationError);
        await expect(kernel.setConfig(id, "beta", { endpoint: 1 })).rejects.toBeInstanceOf(ValidationError);
        expect(driver.counts.writes).toBe(0);
        expect(await driver.get(`tenant:${id}`)).toBe(before);
        expect((await kernel.getConfig(id, "alpha")).retries).toBe(5);
      });

      it("enables only with a valid config; disabling keeps config and secrets", async () => {
        const { kernel } = await setup();
        const id = uuid();
        await kernel.putTenant(id, { slug: "cfg", plan: "free" });
        const error = await kernel.enable(id, "alpha").catch((e) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).errors).toEqual([{ path: "/endpoint", message: "is required" }]);
        expect(await kernel.isEnabled(id, "alpha")).toBe(false);
        await kernel.setConfig(id, "alpha", VALID);
        await kernel.setSecrets(id, "alpha", { api_key: "kept-secret-1" });
        await kernel.enable(id, "alpha");
        await kernel.disable(id, "alpha");
        expect(await kernel.isEnabled(id, "alpha")).toBe(false);
        expect((await kernel.getConfig(id, "alpha")).endpoint).toBe(VALID.endpoint);
        expect((await kernel.getSecrets(id, "alpha")).require("api_key")).toBe("kept-secret-1");
      });

      it("adds defaults introduced after a config was stored (a plugin upgrade) on read", async () => {
        const { kernel, driver } = await setup();
        const id = uuid();
        await kernel.putTenant(id, { slug: "cfg", plan: "free" });
        const raw = await rawTenant(driver, id);
        raw.plugins.alpha = { enabled: false, config: { ...VALID }, secrets: null, secretNames: [], updatedAt: "" };
        await driver.put(`tenant:${id}`, JSON.stringify(raw));
        kernel.tenants.invalidate();
        expect(await kernel.getConfig(id, "alpha")).toMatchObject({ retries: 3, limits: { per_minute: 60 } });
      });
    });

    describe("secrets", () => {
      it("seals secrets, shows only names, and reads them back with require/get", async () => {
        const { kernel, driver } = await setup();
        const id = uuid();
        await kernel.putTenant(id, { slug: "sec", plan: "pro" });
        expect(await kernel.setSecrets(id, "alpha", { api_key: "sk-live-0123456789", region: "eu" })).toEqual([
          "api_key",
          "region",
        ]);
        expect(await kernel.secretNames(id, "alpha")).toEqual(["api_key", "region"]);
        const raw = await driver.get(`tenant:${id}`);
        expect(raw).not.toContain("sk-live-0123456789");
        const secrets = await kernel.getSecrets(id, "alpha");
        expect(secrets.require("api_key")).toBe("sk-live-0123456789");
        expect(secrets.get("missing", "fallback")).toBe("fallback");
        expect(JSON.stringify(secrets)).toBe('{"api_key":"set","region":"set"}');
        expect(String(secrets)).not.toContain("sk-live");
        expect(() => secrets.require("webhook_token")).toThrow(/secret "webhook_token" is not set/);
        await kernel.setSecrets(id, "alpha", { region: null });
        expect(await kernel.secretNames(id, "alpha")).toEqual(["api_key"]);
        expect((await kernel.getSecrets(id, "beta")).names()).toEqual([]);
      });

      it("validates against SECRETS_SCHEMA without echoing a value, and stores nothing invalid", async () => {
        const { kernel, driver } = await setup();
        const id = uuid();
        await kernel.putTenant(id, { slug: "sec", plan: "pro" });
        driver.reset();
        const error = await kernel.setSecrets(id, "alpha", { api_key: "qz7#x", region: "mars-secret-region" })
          .catch((e) => e);
        expect(error).toBeInstanceOf(ValidationError);
        const errors = (error as ValidationError).errors;
        expect(errors.map((e) => e.path).sort()).toEqual(["/api_key", "/region"]);
        expect(JSON.stringify(errors) + (error as Error).message).not.toMatch(/qz7#x|mars-secret-region/);
        expect(errors.find((e) => e.path === "/region")?.message).toBe("must be one of eu, us"); // the schema's, not secret
        expect(driver.counts.writes).toBe(0);
        await expect(kernel.setSecrets(id, "alpha", { region: "eu" })).rejects.toMatchObject({
          errors: [{ path: "/api_key", message: "is required" }],
        });
      });

      it("uses a fresh nonce per encryption and an envelope naming version and key id", async () => {
        const ring = parseMasterKeys(`${generateMasterKey("kA")},${generateMasterKey("kB")}`);
        const box = new SecretBox(ring);
        const one = await box.encrypt("t", "p", "same plaintext");
        const two = await box.encrypt("t", "p", "same plaintext");
        expect(one).not.toBe(two);
        expect(one.split(".")).toHaveLength(4);
        expect(one.startsWith("v1.kA.")).toBe(true);
        expect(one.split(".")[2]).toMatch(/^[A-Za-z0-9_-]{16}$/); // 96-bit nonce
        expect(one.split(".")[2]).not.toBe(two.split(".")[2]);
        expect(SecretBox.keyIdOf(one)).toBe("kA");
        expect(await box.decrypt("t", "p", one)).toBe("same plaintext");
      });

      it("a ciphertext copied raw in KV to another tenant or plugin fails to decrypt", async () => {
        const { kernel, driver } = await setup();
        const [a, b] = [uuid(), uuid()];
        await kernel.putTenant(a, { slug: "tenant-a", plan: "pro" });
        await kernel.putTenant(b, { slug: "tenant-b", plan: "pro" });
        await kernel.setSecrets(a, "alpha", { api_key: "tenant-a-alpha-key" });
        // Opened once where it belongs: the isolate's plaintext cache must not serve it elsewhere.
        expect((await kernel.getSecrets(a, "alpha")).require("api_key")).toBe("tenant-a-alpha-key");
        const sealed = (await rawTenant(driver, a)).plugins.alpha!;

        const recB = await rawTenant(driver, b);
        recB.plugins.alpha = { ...sealed }; // same plugin, other tenant
        await driver.put(`tenant:${b}`, JSON.stringify(recB));
        const recA = await rawTenant(driver, a);
        recA.plugins.beta = { ...sealed }; // same tenant, other plugin
        recA.webhookSecrets = [sealed.secrets!]; // plugin secret passed off as a webhook secret
        await driver.put(`tenant:${a}`, JSON.stringify(recA));
        kernel.tenants.invalidate();

        const moved = await decryptError(kernel.getSecrets(b, "alpha"));
        expect(moved.message).toMatch(/plugin alpha for tenant .* cannot be decrypted: authentication failed/);
        expect(moved.message).not.toContain("tenant-a-alpha-key");
        await decryptError(kernel.getSecrets(a, "beta"));
        await decryptError(kernel.webhookSecrets(await kernel.requireTenant(a)));
        expect((await kernel.getSecrets(a, "alpha")).require("api_key")).toBe("tenant-a-alpha-key");
      });

      it("changing any character of an envelope fails to decrypt, and never yields a partial value", async () => {
        const ring = parseMasterKeys(`${generateMasterKey("kA")},${generateMasterKey("kB")}`);
        const box = new SecretBox(ring);
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/=";
        // Three lengths, so the base64 text ends on a full group and with 2 and 4 spare bits.
        for (const pad of ["", "x", "xy"]) {
          const plaintext = JSON.stringify({ api_key: `flip-me-if-you-can${pad}` });
          const envelope = await box.encrypt("tenant", "plugin", plaintext);
          await flipEach(box, envelope);
          // Truncated and extended envelopes fail too.
          await decryptError(box.decrypt("tenant", "plugin", envelope.slice(0, -1)));
          await decryptError(box.decrypt("tenant", "plugin", envelope + "A"));
          expect(await box.decrypt("tenant", "plugin", envelope)).toBe(plaintext);
        }

        async function flipEach(box: SecretBox, envelope: string) {
          let tried = 0;
          for (let i = 0; i < envelope.length; i++) {
            // Two substitutions per position: the next character of the alphabet and a bit flip.
            const c = envelope[i]!;
            const next = alphabet[(alphabet.indexOf(c) + 1) % alphabet.length]!;
            for (const swap of new Set([next, String.fromCharCode(c.charCodeAt(0) ^ 1)])) {
              if (swap === c) continue;
              const tampered = envelope.slice(0, i) + swap + envelope.slice(i + 1);
              const error = await box.decrypt("tenant", "plugin", tampered).then(
                (value) => new Error(`position ${i} '${swap}' decrypted to ${value.length} chars`),
                (e) => e,
              );
              expect(error).toBeInstanceOf(KernelError);
              expect((error as KernelError).code).toBe("ERR_DECRYPT");
              expect((error as Error).message).not.toContain("flip-me");
              tried++;
            }
          }
          expect(tried).toBeGreaterThan(envelope.length);
        }
      });

      it("binds key id and version: relabelled or unknown-key envelopes fail with a clear error", async () => {
        const ring = parseMasterKeys(`${generateMasterKey("kA")},${generateMasterKey("kB")}`);
        const box = new SecretBox(ring);
        const envelope = await box.encrypt("t", "p", "value");
        await decryptError(box.decrypt("t", "p", envelope.replace("v1.kA.", "v1.kB.")));
        const v2 = await decryptError(box.decrypt("t", "p", envelope.replace("v1.", "v2.")));
        expect(v2.message).toMatch(/not a v1 envelope/);
        const unknown = await decryptError(box.decrypt("t", "p", envelope.replace("v1.kA.", "v1.kZ.")));
        expect(unknown.message).toMatch(/unknown key id "kZ" \(not in DVP_MASTER_KEYS\)/);
        const onlyB = new SecretBox(parseMasterKeys(generateMasterKey("kB")));
        expect((await decryptError(onlyB.decrypt("t", "p", envelope))).message).toMatch(/unknown key id "kA"/);
      });

      it("caches derived keys per (key id, tenant, plugin): no derivation per request", async () => {
        const subtle = crypto.subtle;
        const original = subtle.deriveKey;
        let derivations = 0;
        const counting = function (this: SubtleCrypto, ...args: Parameters<SubtleCrypto["deriveKey"]>) {
          derivations++;
          return original.apply(this, args);
        };
        Object.defineProperty(subtle, "deriveKey", { value: counting, configurable: true, writable: true });
        const patched = subtle.deriveKey === counting;
        try {
          const box = new SecretBox(parseMasterKeys(generateMasterKey("kA")));
          const envelope = await box.encrypt("t1", "p", "v");
          for (let i = 0; i < 20; i++) await box.decrypt("t1", "p", envelope);
          await box.encrypt("t2", "p", "v");
          await box.encrypt("t1", "q", "v");
          expect(patched).toBe(true);
          expect(derivations).toBe(3);
        } finally {
          if (patched) delete (subtle as { deriveKey?: unknown }).deriveKey;
          if (subtle.deriveKey !== original) Object.defineProperty(subtle, "deriveKey", { value: original });
        }
      });
    });

    describe("rotation", () => {
      it("re-encrypts under a new primary; every secret still reads, also with the old key removed", async () => {
        const old = generateMasterKey("old");
        const fresh = generateMasterKey("new");
        const { isolate, driver, logs } = await setup({ masterKeys: old });
        const before = isolate(old);
        const ids = [uuid(), uuid(), uuid()];
        const webhook: Record<string, string> = {};
        for (const [i, id] of ids.entries()) {
          webhook[id] = (await before.putTenant(id, { slug: `t${i}`, plan: "pro" })).generatedSecret!;
          await before.setSecrets(id, "alpha", { api_key: `alpha-key-of-${i}` });
          if (i > 0) await before.setSecrets(id, "beta", { api_key: `beta-key-of-${i}`, region: "us" });
        }
        // Step 1: the new key is put first, the old one kept.
        const both = isolate(`${fresh},${old}`);
        driver.reset();
        const report = await both.rotateSecrets();
        expect(report).toEqual({ tenants: 3, reencrypted: 3 + 3 + 2, unchanged: 0, primaryKeyId: "new", failed: [] });
        expect(driver.counts.writes).toBe(3);
        for (const id of ids) {
          const raw = await rawTenant(driver, id);
          const envelopes = [...raw.webhookSecrets, ...Object.values(raw.plugins).map((p) => p.secrets!)];
          for (const e of envelopes) expect(SecretBox.keyIdOf(e)).toBe("new");
        }
        // Step 2: the old key is removed; everything still reads.
        const after = isolate(fresh);
        for (const [i, id] of ids.entries()) {
          expect(await after.webhookSecrets(await after.requireTenant(id))).toEqual([webhook[id]]);
          expect((await after.getSecrets(id, "alpha")).require("api_key")).toBe(`alpha-key-of-${i}`);
          if (i > 0) expect((await after.getSecrets(id, "beta")).get("region")).toBe("us");
        }
        // The old key alone no longer reads them.
        await decryptError(isolate(old).getSecrets(ids[0]!, "alpha"));
        // A second rotation has nothing to move and writes nothing.
        driver.reset();
        expect(await after.rotateSecrets()).toMatchObject({ tenants: 3, reencrypted: 0, unchanged: 8 });
        expect(driver.counts.writes).toBe(0);
        expect(logs.lines.some((l) => l.includes('"secrets rotated"'))).toBe(true);
      });

      it("secrets sealed under a removed key can be replaced whole, but not changed in part", async () => {
        const old = generateMasterKey("gone");
        const fresh = generateMasterKey("now");
        const { isolate } = await setup({ masterKeys: old });
        const id = uuid();
        await isolate(old).putTenant(id, { slug: "lost-key", plan: "pro" });
        await isolate(old).setSecrets(id, "beta", { api_key: "sealed-with-the-old-key", region: "eu" });
        const after = isolate(fresh); // the old key was removed before rotating
        await decryptError(after.setSecrets(id, "beta", { api_key: "a-new-key-only" }));
        expect(await after.setSecrets(id, "beta", { api_key: "a-new-key-value", region: null })).toEqual(["api_key"]);
        expect((await after.getSecrets(id, "beta")).require("api_key")).toBe("a-new-key-value");
      });

      it("reports what it cannot decrypt and leaves it in place", async () => {
        const old = generateMasterKey("old");
        const { isolate, driver } = await setup({ masterKeys: old });
        const k = isolate(old);
        const [good, bad] = [uuid(), uuid()];
        await k.putTenant(good, { slug: "good", plan: "free" });
        await k.putTenant(bad, { slug: "bad", plan: "free" });
        await k.setSecrets(bad, "alpha", { api_key: "will-be-tampered" });
        const raw = await rawTenant(driver, bad);
        // One character of the ciphertext changed for certain (inside it, where every bit counts): the old
        // "last two characters become AA" was no change at all when they were AA already.
        const sealed = raw.plugins.alpha!.secrets!;
        const at = sealed.length - 8;
        const tampered = sealed.slice(0, at) + (sealed[at] === "A" ? "B" : "A") + sealed.slice(at + 1);
        raw.plugins.alpha!.secrets = tampered;
        await driver.put(`tenant:${bad}`, JSON.stringify(raw));
        const report = await isolate(`${generateMasterKey("new")},${old}`).rotateSecrets();
        expect(report.reencrypted).toBe(2); // the two webhook secrets
        expect(report.failed).toEqual([{
          tenantId: bad,
          scope: "alpha",
          error: expect.stringMatching(/authentication/),
        }]);
        expect((await rawTenant(driver, bad)).plugins.alpha!.secrets).toBe(tampered);
      });
    });

    describe("DVP_MASTER_KEYS", () => {
      const key32 = generateMasterKey("a").slice(2);
      const cases: [string | undefined, RegExp][] = [
        [undefined, /is not set/],
        ["", /is not set/],
        ["   ", /is not set/],
        [key32, /no key id|key id must be/],
        ["k1:not base64!", /key "k1" is not valid base64/],
        ["k1:AAAA", /key "k1" is 3 bytes; it must be 32/],
        [`k1:${btoa("x".repeat(33))}`, /is 33 bytes/],
        [`k1:${key32},k1:${key32}`, /key id "k1" appears twice/],
        [`k1:${key32},`, /entry 2/],
        [`bad kid!:${key32}`, /key id must be/],
      ];
      for (const [value, problem] of cases) {
        it(`fails at start-up naming the variable: ${JSON.stringify(value)?.slice(0, 24) ?? "missing"}`, () => {
          let error: unknown;
          try {
            parseMasterKeys(value);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(ConfigurationError);
          expect((error as ConfigurationError).variable).toBe("DVP_MASTER_KEYS");
          expect((error as Error).message).toMatch(/^DVP_MASTER_KEYS: /);
          expect((error as Error).message).toMatch(problem);
          if (value) expect((error as Error).message).not.toContain(key32);
        });
      }

      it("a kernel on a persistent driver refuses to start without it, and with a malformed one", async () => {
        const backend = await target.driver();
        const persistent = { ...namespacedDriver(backend, "unused:"), name: backend.name };
        if (backend.name !== "memory") {
          expect(() => createKernel({ driver: persistent })).toThrow(/DVP_MASTER_KEYS: is required/);
        }
        expect(() => createKernel({ driver: persistent, masterKeys: "k:short" })).toThrow(/^DVP_MASTER_KEYS: /);
        expect(createKernel({ driver: persistent, masterKeys: generateMasterKey("ok") }).secretBox.primaryKeyId)
          .toBe("ok");
      });
    });
  });
}
