/**
 * @dvp/kernel/drivers: the storage drivers (memory, Cloudflare KV, Deno KV) and the KVDriver
 * interface a driver of your own implements. Re-exports only.
 */
export { createMemoryDriver } from "../store/memory.ts";
export type { MemoryDriver } from "../store/memory.ts";
export { listAll } from "../store/driver.ts";
export type { HistoryFilter, HistoryRow, KVDriver, ListOptions, ListPage, PutOptions } from "../store/driver.ts";
export { createCloudflareKVDriver } from "../store/cloudflare-kv.ts";
export type { KVNamespaceLike } from "../store/cloudflare-kv.ts";
export { createDenoKVDriver } from "../store/deno-kv.ts";
export type { DenoKVDriverOptions, DenoKvLike } from "../store/deno-kv.ts";
