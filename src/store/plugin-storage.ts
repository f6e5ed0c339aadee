/**
 * Storage a plugin gets for one tenant: JSON values under a prefix only that plugin and tenant
 * reach, so one tenant's data cannot be read through another's plugin instance.
 */
import { type KVDriver, listAll, type PutOptions } from "./driver.ts";
import { keys } from "./keys.ts";

export interface PluginStorage {
  get<T = unknown>(key: string): Promise<T | null>;
  put(key: string, value: unknown, options?: PutOptions): Promise<void>;
  /** Write only if absent; true when this call wrote it. */
  putIfAbsent(key: string, value: unknown, options?: PutOptions): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Keys (without the private prefix) under `prefix`, in order, up to `limit`. */
  list(prefix?: string, limit?: number): Promise<string[]>;
}

export function createPluginStorage(driver: KVDriver, tenantId: string, plugin: string): PluginStorage {
  const base = keys.pluginData(tenantId, plugin);
  return {
    async get<T>(key: string) {
      const raw = await driver.get(base + key);
      return raw === null ? null : (JSON.parse(raw) as T);
    },
    put: (key, value, options) => driver.put(base + key, JSON.stringify(value), options),
    putIfAbsent: (key, value, options) => driver.putIfAbsent(base + key, JSON.stringify(value), options),
    delete: (key) => driver.delete(base + key),
    async list(prefix = "", limit = 1000) {
      const out: string[] = [];
      for await (const key of listAll(driver, base + prefix)) {
        out.push(key.slice(base.length));
        if (out.length >= limit) break;
      }
      return out;
    },
  };
}
