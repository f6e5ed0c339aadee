/**
 * A plugin's storage on a real backend (memory on Node, Cloudflare KV in workerd, Deno KV under
 * Deno): `list` returns every key it says it does (no stop at a backend page), `listPage` walks a
 * prefix with a cursor, `getMany` reads a batch, and one plugin's keys never show in another's.
 * Each test uses a tenant of its own, so tests sharing one KV namespace never see each other's keys.
 */
import type { KVDriver } from "../../src/entries/drivers.ts";
import { createPluginStorage } from "../../src/store/plugin-storage.ts";
import type { Harness } from "./harness.ts";

export interface PluginStorageTarget {
  driver(): KVDriver | Promise<KVDriver>;
}

const pad = (i: number) => String(i).padStart(5, "0");

export function pluginStorageSuite(t: Harness, target: PluginStorageTarget): void {
  const { describe, it, expect } = t;
  const open = async (plugin = "store-probe") => {
    const driver = await target.driver();
    const tenantId = crypto.randomUUID();
    return { driver, tenantId, storage: createPluginStorage(driver, tenantId, plugin) };
  };

  describe(`plugin storage on ${t.runtime}`, () => {
    it("list(prefix) returns every key past the backend's 1,000-key page, in order; limit caps it", async () => {
      const { storage } = await open();
      const all = Array.from({ length: 1205 }, (_, i) => `item:${pad(i)}`);
      for (let i = 0; i < all.length; i += 100) {
        await Promise.all(all.slice(i, i + 100).map((key) => storage.put(key, 1)));
      }
      await storage.put("other", 1);
      expect(await storage.list("item:")).toEqual(all);
      expect(await storage.list("item:", 3)).toEqual(all.slice(0, 3));
      expect((await storage.list()).length).toBe(1206);

      // listPage: the same keys, page by page, with a cursor to pass back.
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { keys: string[]; cursor: string | null } = await storage.listPage({
          prefix: "item:",
          cursor,
          limit: 500,
        });
        expect(page.keys.length).toBeLessThanOrEqual(500);
        seen.push(...page.keys);
        cursor = page.cursor;
        pages++;
      } while (cursor);
      expect(seen).toEqual(all);
      expect(pages).toBeGreaterThanOrEqual(3);
    });

    it("listPage: a short prefix in one page with no cursor; a page never holds more than 1,000 keys", async () => {
      const { storage } = await open();
      await storage.put("a:1", 1);
      await storage.put("a:2", 2);
      await storage.put("b:1", 3);
      expect(await storage.listPage({ prefix: "a:" })).toEqual({ keys: ["a:1", "a:2"], cursor: null });
      expect(await storage.listPage()).toEqual({ keys: ["a:1", "a:2", "b:1"], cursor: null });
      await expect(storage.listPage({ limit: 0 })).rejects.toThrow(/limit must be an integer from 1 to 1000/);
      await expect(storage.listPage({ limit: 1001 })).rejects.toThrow(/limit must be an integer from 1 to 1000/);
    });

    it("getMany reads a batch: values in the order asked, null for a missing key, repeats answered", async () => {
      const { storage } = await open();
      await storage.put("a", { n: 1 });
      await storage.put("b", [2]);
      const keys = Array.from({ length: 250 }, (_, i) => `k${pad(i)}`);
      await Promise.all(keys.map((key, i) => storage.put(key, i)));
      expect(await storage.getMany(["a", "missing", "b", "a"])).toEqual([{ n: 1 }, null, [2], { n: 1 }]);
      expect(await storage.getMany(keys)).toEqual(keys.map((_, i) => i));
      expect(await storage.getMany([])).toEqual([]);
    });

    it("one plugin's list, listPage and getMany never reach another plugin's keys", async () => {
      const { driver, tenantId, storage } = await open("store-probe");
      const other = createPluginStorage(driver, tenantId, "store-probe-2");
      await storage.put("x", "mine");
      await other.put("x", "theirs");
      await other.put("y", "theirs");
      expect(await storage.list()).toEqual(["x"]);
      expect(await storage.listPage()).toEqual({ keys: ["x"], cursor: null });
      expect(await storage.getMany(["x", "y"])).toEqual(["mine", null]);
    });
  });
}
