/**
 * @dvp/kernel/drivers: the storage drivers (memory, Cloudflare KV, Deno KV) and the KVDriver
 * interface a driver of your own implements. Re-exports only.
 */
export { createMemoryDriver } from "../backends/memory.ts";
export type { MemoryDriver } from "../backends/memory.ts";
export { listAll } from "../store/driver.ts";
export type { HistoryFilter, HistoryRow, KVDriver, ListOptions, ListPage, PutOptions } from "../store/driver.ts";
export { createCloudflareKVDriver } from "../backends/cloudflare/kv.ts";
export type { KVNamespaceLike } from "../backends/cloudflare/kv.ts";
export { createDenoKVDriver } from "../backends/deno/kv.ts";
export type { DenoKVDriverOptions, DenoKvLike } from "../backends/deno/kv.ts";
