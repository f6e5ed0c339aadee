/**
 * Tenants and their per-plugin state, laid out so that everything a webhook needs for one
 * tenant is one KV value: the record, each plugin's enabled flag and validated config, and the
 * sealed secrets. Reads go through an isolate cache with a bounded TTL (KV is eventually
 * consistent anyway); this isolate's own writes update the cache at once.
 */
import { BoundedMap } from "../cache/bounded-map.ts";
import type { TenantPlan } from "../context.ts";
import { deepFreeze } from "../context.ts";
import { KernelError } from "../errors.ts";
import type { KVDriver } from "./driver.ts";
import { comparesAt, listAll } from "./driver.ts";
import { keys } from "./keys.ts";

export interface PluginState {
  enabled: boolean;
  /** Validated config with defaults applied; kept when the plugin is disabled. */
  config: Record<string, unknown> | null;
  /** Sealed JSON of the plugin's secrets (SecretBox envelope), or null. */
  secrets: string | null;
  /** Names of the secrets that are set, so masking needs no decryption. */
  secretNames: string[];
  updatedAt: string;
}

export interface TenantRecord {
  id: string;
  slug: string;
  plan: TenantPlan;
  /** Webhook signing secrets, each sealed; several while the CMS rotates. */
  webhookSecrets: string[];
  plugins: Record<string, PluginState>;
  createdAt: string;
  updatedAt: string;
}

export interface TenantStoreOptions {
  /** How long a cached tenant may be served (default 30 s; KV itself takes ~60 s to converge). */
  ttlMs?: number;
  /** How long an unknown tenant id is remembered as unknown (default 5 s). */
  negativeTtlMs?: number;
  /** Cached tenants per isolate (default 10,000). */
  maxEntries?: number;
  now?: () => number;
}

type Entry = { record: Readonly<TenantRecord> | null; expiresAt: number };

/** Reads and writes one tenant update tries before it reports a conflict (each lost race means another write landed). */
const MAX_UPDATE_ATTEMPTS = 8;

export class TenantStore {
  readonly #driver: KVDriver;
  readonly #cache: BoundedMap<string, Entry>;
  /** Cold reads in flight: concurrent requests for one tenant share a single KV read. */
  readonly #loading = new Map<string, Promise<Readonly<TenantRecord> | null>>();
  /** The tail of each tenant's chain of updates in this isolate. */
  readonly #updating = new Map<string, Promise<void>>();
  readonly #ttl: number;
  readonly #negativeTtl: number;
  readonly #now: () => number;
  #generation = 0;

  constructor(driver: KVDriver, options: TenantStoreOptions = {}) {
    this.#driver = driver;
    this.#ttl = options.ttlMs ?? 30_000;
    this.#negativeTtl = options.negativeTtlMs ?? 5_000;
    this.#cache = new BoundedMap(options.maxEntries ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  /** The tenant, frozen: at most one KV read when cold, none when warm. */
  async get(tenantId: string): Promise<Readonly<TenantRecord> | null> {
    const hit = this.#cache.get(tenantId);
    if (hit && hit.expiresAt > this.#now()) return hit.record;
    let loading = this.#loading.get(tenantId);
    if (!loading) {
      loading = this.#load(tenantId).finally(() => this.#loading.delete(tenantId));
      this.#loading.set(tenantId, loading);
    }
    return loading;
  }

  async #load(tenantId: string): Promise<Readonly<TenantRecord> | null> {
    const generation = this.#generation;
    const raw = await this.#driver.get(keys.tenant(tenantId));
    const record = raw === null ? null : deepFreeze(parseRecord(tenantId, raw));
    // A write by this isolate while the read was in flight wins over what the read saw.
    if (generation === this.#generation) this.#remember(tenantId, record);
    return record;
  }

  /**
   * Read the current record from KV (not the cache), change a copy, write it back.
   * `change` returns the new record, or null to leave it as it was; it may run more than once.
   * Updates of one tenant in this isolate run one after another: interleaved, a secret rotation
   * and an admin write each read the same record and the later write silently undid the earlier
   * one (test/reliability/key-rotation.test.ts). Across isolates, a driver that compares and sets
   * at the tenant's key (`comparesAt`: memory, Deno KV) writes only over the record that was read,
   * and a lost race reads again and re-applies the change; Cloudflare KV has no compare-and-set,
   * so there the last writer wins (one read, one write).
   */
  update(
    tenantId: string,
    change: (current: TenantRecord | null) => TenantRecord | null | Promise<TenantRecord | null>,
  ): Promise<Readonly<TenantRecord> | null> {
    const run = (this.#updating.get(tenantId) ?? Promise.resolve()).then(() => this.#update(tenantId, change));
    const settled = run.then(() => {}, () => {});
    this.#updating.set(tenantId, settled);
    void settled.then(() => {
      if (this.#updating.get(tenantId) === settled) this.#updating.delete(tenantId);
    });
    return run;
  }

  async #update(
    tenantId: string,
    change: (current: TenantRecord | null) => TenantRecord | null | Promise<TenantRecord | null>,
  ): Promise<Readonly<TenantRecord> | null> {
    const key = keys.tenant(tenantId);
    let next: TenantRecord;
    for (let attempt = 1;; attempt++) {
      const raw = await this.#driver.get(key);
      const current = raw === null ? null : parseRecord(tenantId, raw);
      const changed = await change(current);
      if (!changed) return current && deepFreeze(current);
      next = changed;
      const json = JSON.stringify(next);
      if (!this.#driver.putIfUnchanged || !comparesAt(this.#driver, key)) {
        await this.#driver.put(key, json);
        break;
      }
      if (await this.#driver.putIfUnchanged(key, raw, json)) break;
      if (attempt === MAX_UPDATE_ATTEMPTS) {
        this.#cache.delete(tenantId); // others wrote it: what this isolate holds is stale
        throw new KernelError(
          "ERR_CONFLICT",
          `tenant ${tenantId} kept changing while it was being updated (${attempt} attempts); try again`,
        );
      }
    }
    this.#generation++;
    const frozen = deepFreeze(structuredClone(next));
    this.#remember(tenantId, frozen);
    return frozen;
  }

  async delete(tenantId: string): Promise<void> {
    await this.#driver.delete(keys.tenant(tenantId));
    this.#generation++;
    this.#remember(tenantId, null);
  }

  /** Tenant ids, in order. */
  async *ids(): AsyncGenerator<string> {
    for await (const key of listAll(this.#driver, keys.tenantPrefix)) yield key.slice(keys.tenantPrefix.length);
  }

  /** One page of tenant ids, in order, and the cursor of the next page (null on the last). */
  async page(cursor: string | null, limit: number): Promise<{ ids: string[]; cursor: string | null }> {
    const page = await this.#driver.list({ prefix: keys.tenantPrefix, cursor, limit });
    return { ids: page.keys.map((key) => key.slice(keys.tenantPrefix.length)), cursor: page.cursor };
  }

  /** Forget cached entries (all, or one tenant's). */
  invalidate(tenantId?: string): void {
    if (tenantId === undefined) this.#cache.clear();
    else this.#cache.delete(tenantId);
  }

  #remember(tenantId: string, record: Readonly<TenantRecord> | null): void {
    this.#cache.set(tenantId, { record, expiresAt: this.#now() + (record ? this.#ttl : this.#negativeTtl) });
  }
}

/** A stored tenant document; damage is reported as such, not as a bare SyntaxError. */
function parseRecord(tenantId: string, raw: string): TenantRecord {
  try {
    const record = JSON.parse(raw) as TenantRecord;
    if (record && typeof record === "object" && typeof record.plugins === "object") return record;
  } catch {
    // reported below
  }
  throw new KernelError("ERR_STORAGE", `the stored record of tenant ${tenantId} is damaged (not a tenant document)`);
}
