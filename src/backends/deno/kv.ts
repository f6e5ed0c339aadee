/**
 * The KVDriver over a `Deno.Kv` (Deno Deploy, or `Deno.openKv()` locally). The Kv comes in
 * through a structural type: the core is checked without Deno's types.
 *
 * Each string key is stored as the one-part Deno key `[key]`. Deno KV orders string parts by
 * their UTF-8 bytes, which is code point order, the order Cloudflare KV and the memory driver
 * use; so a string prefix is the range `[prefix] .. [prefix + U+10FFFF]`. Keys containing
 * U+10FFFF (a noncharacter) are refused, which keeps that range exact.
 *
 * Guarantees: strongly consistent; `putIfAbsent`, `putIfUnchanged` and `deleteIfUnchanged` are
 * atomic check-and-sets (atomic = true); `claimWith` is a claim with other writes and deletes in
 * one commit.
 * Deno KV may still return a key for a while after its `expireIn`, so values written with a TTL
 * carry their deadline and reads hide them once it has passed.
 */
import { KernelError } from "../../errors.ts";
import { type KVDriver, type ListOptions, type ListPage, type PutOptions, ttlMs } from "../../store/driver.ts";

/** `Deno.KvKey`: the driver only ever writes one string part. */
type DenoKey = readonly (string | number | bigint | boolean | symbol | Uint8Array)[];

/** The part of `Deno.Kv` this driver uses. */
export interface DenoKvLike {
  get(key: DenoKey): Promise<{ value: unknown; versionstamp: string | null }>;
  getMany(keys: DenoKey[]): Promise<{ value: unknown; versionstamp: string | null }[]>;
  set(key: DenoKey, value: unknown, options?: { expireIn?: number }): Promise<unknown>;
  delete(key: DenoKey): Promise<void>;
  list(
    selector: { start: DenoKey; end: DenoKey },
    options?: { limit?: number; cursor?: string },
  ): AsyncIterableIterator<{ key: DenoKey; value: unknown }> & { readonly cursor: string };
  atomic(): DenoAtomicLike;
}

export interface DenoAtomicLike {
  check(...checks: { key: DenoKey; versionstamp: string | null }[]): DenoAtomicLike;
  set(key: DenoKey, value: unknown, options?: { expireIn?: number }): DenoAtomicLike;
  delete(key: DenoKey): DenoAtomicLike;
  commit(): Promise<{ ok: boolean }>;
}

/** Keys per `getMany` that Deno KV accepts. */
export const DENO_GET_MANY_MAX = 10;
const LIST_MAX = 1000;
const END = "\u{10FFFF}";

/** A value written with a TTL: the string plus its deadline (ms since the epoch). */
type Expiring = { v: string; exp: number };

export interface DenoKVDriverOptions {
  /** The clock TTL deadlines follow (ms since the epoch). */
  now?: () => number;
}

/** Deno KV's own errors (e.g. "Value too large (max 65536 bytes)") do not say which key. */
function failed(key: string, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  throw new KernelError(
    isTooLarge(error) ? "ERR_TOO_LARGE" : "ERR_STORAGE",
    `deno-kv: cannot write ${JSON.stringify(key.slice(0, 200))}: ${message}`,
    { cause: error },
  );
}

/** Deno KV's refusal of a value over 64 KiB, or of a transaction over 800 KiB: no retry can help. */
export function isTooLarge(error: unknown): boolean {
  return /too large/i.test(error instanceof Error ? error.message : String(error));
}

export function createDenoKVDriver(kv: DenoKvLike, options: DenoKVDriverOptions = {}): KVDriver {
  if (!kv || typeof kv.get !== "function" || typeof kv.atomic !== "function") {
    throw new TypeError("createDenoKVDriver needs a Deno.Kv (from Deno.openKv())");
  }
  const now = options.now ?? Date.now;

  const key = (k: string): DenoKey => {
    if (k.includes(END)) throw new RangeError("KV keys must not contain U+10FFFF");
    return [k];
  };
  const decode = (raw: unknown, t = now()): string | null => {
    if (raw === null || raw === undefined) return null;
    if (typeof raw === "string") return raw;
    const entry = raw as Expiring;
    return entry.exp > t ? entry.v : null;
  };
  const encode = (value: string, opts?: PutOptions): [unknown, { expireIn: number } | undefined] => {
    if (opts?.ttlSeconds === undefined) return [value, undefined];
    const ms = ttlMs(opts.ttlSeconds);
    return [{ v: value, exp: now() + ms } satisfies Expiring, { expireIn: ms }];
  };

  return {
    name: "deno-kv",
    atomic: true,
    async get(k) {
      return decode((await kv.get(key(k))).value);
    },
    async getMany(keys) {
      const parts: Promise<{ value: unknown }[]>[] = [];
      for (let i = 0; i < keys.length; i += DENO_GET_MANY_MAX) {
        parts.push(kv.getMany(keys.slice(i, i + DENO_GET_MANY_MAX).map(key)));
      }
      const t = now();
      return (await Promise.all(parts)).flat().map((entry) => decode(entry.value, t));
    },
    async put(k, value, opts) {
      const [stored, setOptions] = encode(value, opts);
      await kv.set(key(k), stored, setOptions).catch((error) => failed(k, error));
    },
    async putIfAbsent(k, value, opts) {
      const dk = key(k);
      const [stored, setOptions] = encode(value, opts);
      const current = await kv.get(dk);
      if (current.versionstamp !== null && decode(current.value) !== null) return false;
      // Compare-and-set against exactly what was read: absent (null) or an expired leftover.
      const result = await kv.atomic().check({ key: dk, versionstamp: current.versionstamp })
        .set(dk, stored, setOptions).commit().catch((error) => failed(k, error));
      return result.ok;
    },
    async putIfUnchanged(k, expected, value, opts) {
      const dk = key(k);
      const [stored, setOptions] = encode(value, opts);
      const current = await kv.get(dk);
      if (decode(current.value) !== expected) return false;
      // Compare-and-set against exactly the entry that was read (its versionstamp).
      const result = await kv.atomic().check({ key: dk, versionstamp: current.versionstamp })
        .set(dk, stored, setOptions).commit().catch((error) => failed(k, error));
      return result.ok;
    },
    async deleteIfUnchanged(k, expected) {
      const dk = key(k);
      const current = await kv.get(dk);
      if (decode(current.value) !== expected) return false;
      // Against exactly the entry that was read: a lock taken over since is not deleted.
      const result = await kv.atomic().check({ key: dk, versionstamp: current.versionstamp }).delete(dk).commit();
      return result.ok;
    },
    async claimWith(claim, writes, deletes = []) {
      const dk = key(claim.key);
      const sets = [claim, ...writes].map((w) => [key(w.key), ...encode(w.value, w)] as const);
      const current = await kv.get(dk);
      if (current.versionstamp !== null && decode(current.value) !== null) return false;
      // One commit, checked against exactly what was read (absent, or an expired leftover).
      let op = kv.atomic().check({ key: dk, versionstamp: current.versionstamp });
      for (const [k, stored, setOptions] of sets) op = op.set(k, stored, setOptions);
      for (const k of deletes) op = op.delete(key(k));
      const result = await op.commit().catch((error) => failed(claim.key, error));
      return result.ok;
    },
    async delete(k) {
      await kv.delete(key(k));
    },
    async list({ prefix, cursor, limit = LIST_MAX }: ListOptions): Promise<ListPage> {
      const size = Math.min(Math.max(Math.floor(limit), 1), LIST_MAX);
      const selector = { start: key(prefix), end: [prefix + END] };
      // One more than a page, to know whether another page follows without an empty last page.
      const iter = kv.list(selector, { limit: size + 1, ...(cursor ? { cursor } : {}) });
      const keys: string[] = [];
      let seen = 0;
      let next: string | null = null;
      let pageCursor = "";
      const t = now();
      for await (const entry of iter) {
        if (seen === size) {
          next = pageCursor;
          break;
        }
        seen++;
        pageCursor = iter.cursor;
        if (decode(entry.value, t) !== null) keys.push(entry.key[0] as string);
      }
      return { keys, cursor: next };
    },
  };
}
