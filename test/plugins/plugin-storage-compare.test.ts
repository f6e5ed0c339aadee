import { describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../src/backends/memory.ts";
import { createPluginStorage } from "../../src/store/plugin-storage.ts";
import { createSplitDriver } from "../../src/store/split.ts";

describe("plugin storage's deleteIfUnchanged", () => {
  it("deletes only while the key holds the expected value, where the backend compares atomically", async () => {
    const storage = createPluginStorage(createMemoryDriver(), "t1", "p");
    await storage.put("k", { token: "a" });
    expect(await storage.deleteIfUnchanged!("k", { token: "b" })).toBe(false);
    expect(await storage.get("k")).toEqual({ token: "a" });
    expect(await storage.deleteIfUnchanged!("k", { token: "a" })).toBe(true);
    expect(await storage.get("k")).toBeNull();
    expect(await storage.deleteIfUnchanged!("k", { token: "a" })).toBe(false);
  });

  it("is absent where plugin data is on a store that cannot compare (Cloudflare KV under the split driver)", () => {
    const memory = createMemoryDriver();
    // The shared store as Cloudflare KV presents it: not atomic, no compare-and-delete of its own.
    const { deleteIfUnchanged: _none, ...kv } = { ...memory, atomic: false, name: "cloudflare-kv" };
    const split = createSplitDriver({ shared: kv, authority: () => memory });
    expect(split.canCompare?.("data:t1:p:k")).toBe(false); // plugin data is on the shared KV, which cannot compare
    expect(createPluginStorage(split, "t1", "p").deleteIfUnchanged).toBeUndefined();
    expect(createPluginStorage(createSplitDriver({ shared: memory, authority: () => memory }), "t1", "p"))
      .toHaveProperty("deleteIfUnchanged");
  });
});
