/**
 * One KVDriver over two kinds of store (DESIGN §5): each tenant's coordination keys go to that
 * tenant's authority (strongly consistent, atomic: a Durable Object on Cloudflare), everything
 * else to the shared read-mostly store (KV). The rules above (dedupe, ledger, claims, locks) are
 * the ones every backend runs; only where a key lives differs.
 */
import { KernelError } from "../errors.ts";
import { coordinationTenant } from "./coordination-keys.ts";
import { comparesAt, type KeyWrite, type KVDriver } from "./driver.ts";

export interface SplitDriverOptions {
  /** Read-mostly state: tenant documents, plugin config, sealed secrets, plugin data. */
  shared: KVDriver;
  /** The authority of one tenant (lower-case id), for its coordination keys. */
  authority(tenantId: string): KVDriver;
  name?: string;
}

export function createSplitDriver(options: SplitDriverOptions): KVDriver {
  const { shared } = options;
  const route = (key: string): KVDriver => {
    const tenant = coordinationTenant(key);
    return tenant === null ? shared : options.authority(tenant);
  };
  return {
    name: options.name ?? `split(${shared.name})`,
    // The shared store decides: a tenant's coordination keys are atomic, its documents are only
    // as consistent as KV.
    atomic: shared.atomic,
    get: (key) => route(key).get(key),
    async getMany(keys) {
      // One request per store: a tenant's progress reads (done-keys, attempts) are one round trip.
      const groups = new Map<KVDriver | string, number[]>();
      keys.forEach((key, i) => {
        const group = coordinationTenant(key) ?? shared;
        const at = groups.get(group);
        if (at) at.push(i);
        else groups.set(group, [i]);
      });
      const out = new Array<string | null>(keys.length).fill(null);
      await Promise.all([...groups].map(async ([group, at]) => {
        const driver = typeof group === "string" ? options.authority(group) : group;
        const values = await driver.getMany(at.map((i) => keys[i]!));
        at.forEach((i, j) => (out[i] = values[j] ?? null));
      }));
      return out;
    },
    put: (key, value, opts) => route(key).put(key, value, opts),
    putIfAbsent: (key, value, opts) => route(key).putIfAbsent(key, value, opts),
    // Only where the key's store has them (its tenant's authority): over read-mostly KV a read,
    // compare and write guarantees nothing, so callers ask `comparesAt` and take their
    // last-writer-wins path there.
    canCompare: (key) => comparesAt(route(key), key),
    async putIfUnchanged(key, expected, value, opts) {
      const driver = route(key);
      if (!driver.putIfUnchanged) throw cannotCompare(driver, key);
      return driver.putIfUnchanged(key, expected, value, opts);
    },
    async deleteIfUnchanged(key, expected) {
      const driver = route(key);
      if (!driver.deleteIfUnchanged) throw cannotCompare(driver, key);
      return driver.deleteIfUnchanged(key, expected);
    },
    async claimWith(claim: KeyWrite, writes: readonly KeyWrite[], deletes: readonly string[] = []) {
      const driver = route(claim.key);
      const owner = coordinationTenant(claim.key);
      const together = writes.every((w) => coordinationTenant(w.key) === owner) &&
        deletes.every((key) => coordinationTenant(key) === owner);
      if (together && driver.claimWith) return driver.claimWith(claim, writes, deletes);
      // Across stores: the other writes first, so a claim never stands without them; the deletes
      // once the claim is made.
      for (const w of writes) await route(w.key).put(w.key, w.value, ttlOf(w));
      if (!(await route(claim.key).putIfAbsent(claim.key, claim.value, ttlOf(claim)))) return false;
      for (const key of deletes) await route(key).delete(key);
      return true;
    },
    delete: (key) => route(key).delete(key),
    list: (opts) => route(opts.prefix).list(opts),
    // One request to the tenant's authority when it keeps history as a table; else the caller scans.
    async queryHistory(prefix, filter) {
      const driver = route(prefix);
      return driver.queryHistory ? driver.queryHistory(prefix, filter) : null;
    },
  };
}

const ttlOf = (w: KeyWrite) => (w.ttlSeconds === undefined ? undefined : { ttlSeconds: w.ttlSeconds });

const cannotCompare = (driver: KVDriver, key: string) =>
  new KernelError("ERR_STORAGE", `${driver.name} cannot compare and set ${key} (ask comparesAt first)`);
