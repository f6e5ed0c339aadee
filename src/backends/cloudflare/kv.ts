/**
 * The KVDriver over a Cloudflare Workers KV namespace binding. The binding comes in through a
 * structural type (no @cloudflare/workers-types in the core, no global look-ups), so a real
 * `env.DVP_KV` fits, and so does any fake with the same surface.
 *
 * Guarantees (see docs/storage.md): eventually consistent (~60 s across locations),
 * last-writer-wins, about one write per second per key, TTL at least 60 s. `putIfAbsent` is a
 * read followed by a write, NOT atomic: two isolates can both "win" a claim. Callers that need
 * a real compare-and-set check `driver.atomic` and key state so each key has one writer.
 */
import { type KVDriver, type ListOptions, type ListPage, type PutOptions, ttlMs } from "../../store/driver.ts";

/** The part of a `KVNamespace` binding this driver uses. */
export interface KVNamespaceLike {
  get(key: string, type: "text"): Promise<string | null>;
  /** Bulk read (up to 100 keys); older runtimes lack it, so the driver checks the result. */
  get(keys: string[], type: "text"): Promise<Map<string, string | null>>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: { prefix?: string | null; cursor?: string | null; limit?: number }): Promise<
    { keys: { name: string }[]; list_complete: boolean; cursor?: string }
  >;
}

/** Cloudflare KV refuses an `expirationTtl` below 60 seconds. */
export const CLOUDFLARE_MIN_TTL_SECONDS = 60;
/** Keys per bulk `get` that Cloudflare KV accepts. */
export const CLOUDFLARE_BULK_GET_MAX = 100;
const LIST_MAX = 1000;

/** Whole seconds, at least 60: what Cloudflare KV accepts for a requested TTL. */
export function cloudflareTtl(ttlSeconds: number): number {
  ttlMs(ttlSeconds); // refuses what every driver refuses
  return Math.max(CLOUDFLARE_MIN_TTL_SECONDS, Math.ceil(ttlSeconds));
}

export function createCloudflareKVDriver(binding: KVNamespaceLike): KVDriver {
  if (!binding || typeof binding.get !== "function" || typeof binding.list !== "function") {
    throw new TypeError("createCloudflareKVDriver needs a KV namespace binding (e.g. env.DVP_KV)");
  }
  // Unknown until the first bulk read; false once a runtime answers an array key without a Map.
  let bulk: boolean | undefined;

  const single = (keys: readonly string[]) => Promise.all(keys.map((key) => binding.get(key, "text")));

  const chunk = async (keys: string[]): Promise<(string | null)[]> => {
    if (bulk === false) return single(keys);
    const result: unknown = await binding.get(keys, "text");
    if (result instanceof Map) {
      bulk = true;
      return keys.map((key) => (result as Map<string, string | null>).get(key) ?? null);
    }
    bulk = false;
    return single(keys);
  };

  const options = (opts?: PutOptions) =>
    opts?.ttlSeconds === undefined ? undefined : { expirationTtl: cloudflareTtl(opts.ttlSeconds) };

  return {
    name: "cloudflare-kv",
    atomic: false,
    get(key) {
      return binding.get(key, "text");
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      if (keys.length === 1) return [await binding.get(keys[0]!, "text")];
      // Bulk reads take unique keys; answer every position of the request from one result.
      const unique = [...new Set(keys)];
      const parts: Promise<(string | null)[]>[] = [];
      for (let i = 0; i < unique.length; i += CLOUDFLARE_BULK_GET_MAX) {
        parts.push(chunk(unique.slice(i, i + CLOUDFLARE_BULK_GET_MAX)));
      }
      const values = (await Promise.all(parts)).flat();
      const byKey = new Map(unique.map((key, i) => [key, values[i] ?? null]));
      return keys.map((key) => byKey.get(key) ?? null);
    },
    async put(key, value, opts) {
      await binding.put(key, value, options(opts));
    },
    async putIfAbsent(key, value, opts) {
      // Read-then-write: not atomic on Cloudflare KV (atomic = false says so).
      if ((await binding.get(key, "text")) !== null) return false;
      await binding.put(key, value, options(opts));
      return true;
    },
    delete(key) {
      return binding.delete(key);
    },
    async list({ prefix, cursor, limit = LIST_MAX }: ListOptions): Promise<ListPage> {
      const page = await binding.list({
        prefix,
        cursor: cursor || undefined,
        limit: Math.min(Math.max(Math.floor(limit), 1), LIST_MAX),
      });
      return {
        keys: page.keys.map((k) => k.name),
        cursor: page.list_complete || !page.cursor ? null : page.cursor,
      };
    },
  };
}
