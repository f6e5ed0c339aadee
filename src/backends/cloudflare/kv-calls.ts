/**
 * The tenant object's key-value operations as plain data: what crosses the RPC boundary from a
 * Worker to the object, and what the object applies to its SQL store. The same client serves a
 * remote stub and the object's own runtime (which calls its store directly, no round trip).
 */
import {
  type HistoryFilter,
  type HistoryRow,
  type KeyWrite,
  type KVDriver,
  type ListPage,
  ttlProblem,
} from "../../store/driver.ts";
import type { SqlKeyValue } from "./sql-kv.ts";

export type KvCall =
  | { op: "get"; key: string }
  | { op: "getMany"; keys: string[] }
  | { op: "put"; key: string; value: string; ttlSeconds?: number }
  | { op: "putIfAbsent"; key: string; value: string; ttlSeconds?: number }
  | { op: "putIfUnchanged"; key: string; expected: string | null; value: string; ttlSeconds?: number }
  | { op: "deleteIfUnchanged"; key: string; expected: string }
  | { op: "delete"; key: string }
  | { op: "list"; prefix: string; cursor?: string | null; limit?: number }
  | { op: "claimWith"; claim: KeyWrite; writes: KeyWrite[]; deletes?: string[] }
  | { op: "queryHistory"; prefix: string; filter: HistoryFilter };

export type KvResult = string | null | (string | null)[] | boolean | ListPage | HistoryRow[] | undefined;

/** Applies one call to the store; synchronous, so the object commits it before anything else runs. */
export function applyKvCall(store: SqlKeyValue, call: KvCall): KvResult {
  const ttl = "ttlSeconds" in call && call.ttlSeconds !== undefined ? { ttlSeconds: call.ttlSeconds } : undefined;
  switch (call.op) {
    case "get":
      return store.get(call.key);
    case "getMany":
      return store.getMany(call.keys);
    case "put":
      store.put(call.key, call.value, ttl);
      return undefined;
    case "putIfAbsent":
      return store.putIfAbsent(call.key, call.value, ttl);
    case "putIfUnchanged":
      return store.putIfUnchanged(call.key, call.expected, call.value, ttl);
    case "deleteIfUnchanged":
      return store.deleteIfUnchanged(call.key, call.expected);
    case "delete":
      store.delete(call.key);
      return undefined;
    case "list":
      return store.list({
        prefix: call.prefix,
        cursor: call.cursor ?? null,
        ...(call.limit ? { limit: call.limit } : {}),
      });
    case "claimWith":
      return store.claimWith(call.claim, call.writes, call.deletes ?? []);
    case "queryHistory":
      return store.queryHistory(call.prefix, call.filter);
  }
}

/** The keys and values a call writes (the object brings its alarm forward for a marker or job state). */
export function writtenValues(call: KvCall): [string, string][] {
  switch (call.op) {
    case "put":
    case "putIfAbsent":
    case "putIfUnchanged":
      return [[call.key, call.value]];
    case "claimWith":
      return [call.claim, ...call.writes].map((w) => [w.key, w.value]);
    default:
      return [];
  }
}

/** A KVDriver whose every operation is one call (one round trip to the object, when remote). */
export function kvCallDriver(name: string, send: (call: KvCall) => Promise<KvResult>): KVDriver {
  // A TTL the object would refuse is refused here, before the round trip: the same RangeError,
  // without the object reporting an exception of its own for the caller's mistake.
  const ttl = (opts?: { ttlSeconds?: number }) => {
    const bad = ttlProblem(opts);
    if (bad) throw bad;
    return opts?.ttlSeconds === undefined ? {} : { ttlSeconds: opts.ttlSeconds };
  };
  return {
    name,
    atomic: true,
    get: async (key) => (await send({ op: "get", key })) as string | null,
    getMany: async (keys) => (keys.length ? (await send({ op: "getMany", keys: [...keys] })) as (string | null)[] : []),
    put: async (key, value, opts) => void (await send({ op: "put", key, value, ...ttl(opts) })),
    putIfAbsent: async (key, value, opts) => (await send({ op: "putIfAbsent", key, value, ...ttl(opts) })) as boolean,
    putIfUnchanged: async (key, expected, value, opts) =>
      (await send({ op: "putIfUnchanged", key, expected, value, ...ttl(opts) })) as boolean,
    deleteIfUnchanged: async (key, expected) => (await send({ op: "deleteIfUnchanged", key, expected })) as boolean,
    claimWith: async (claim, writes, deletes) => {
      const bad = ttlProblem(claim, ...writes);
      if (bad) throw bad;
      return (await send({
        op: "claimWith",
        claim,
        writes: [...writes],
        ...(deletes?.length ? { deletes: [...deletes] } : {}),
      })) as boolean;
    },
    delete: async (key) => void (await send({ op: "delete", key })),
    list: async (opts) =>
      (await send({
        op: "list",
        prefix: opts.prefix,
        cursor: opts.cursor ?? null,
        ...(opts.limit ? { limit: opts.limit } : {}),
      })) as ListPage,
    queryHistory: async (prefix, filter) => (await send({ op: "queryHistory", prefix, filter })) as HistoryRow[],
  };
}
