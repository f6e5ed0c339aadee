/**
 * deepFreeze is the kernel's one deep-freeze: tenant records, config checks, a hook context's
 * metadata and every action hook's arguments. It walks parts someone froze only at the top,
 * leaves typed arrays (which cannot be frozen) alone, and ends on cycles.
 */
import { describe, expect, it } from "vitest";
import { createHookContext, deepFreeze } from "../../src/context.ts";
import { runActionHook } from "../../src/dispatch.ts";
import { getLogger, LogConfig } from "../../src/logger.ts";
import { Plugin } from "../../src/plugin.ts";
import type { RegisteredPlugin } from "../../src/registry.ts";

const TENANT = "11111111-1111-4111-8111-111111111111";

describe("deepFreeze", () => {
  it("walks into objects frozen only at the top", () => {
    const inner = { n: 1 };
    const value = deepFreeze({ outer: Object.freeze({ inner }) });
    expect(Object.isFrozen(value.outer.inner)).toBe(true);
  });

  it("leaves typed arrays as they are and freezes what is beside them", () => {
    const bytes = new Uint8Array([1, 2]);
    const value = deepFreeze({ bytes, meta: { a: 1 } });
    expect(value.bytes).toBe(bytes);
    expect(Object.isFrozen(value.meta)).toBe(true);
  });

  it("ends on cycles", () => {
    const a: Record<string, unknown> = { b: { list: [] as unknown[] } };
    (a.b as { list: unknown[] }).list.push(a);
    deepFreeze(a);
    expect(Object.isFrozen((a.b as { list: unknown[] }).list)).toBe(true);
  });
});

describe("action hook arguments", () => {
  it("are deep-frozen before any plugin runs, typed arrays included beside them", async () => {
    const seen: unknown[] = [];
    class Mutator extends Plugin {
      readonly name = "mutator";
      readonly version = "1.0.0";
      contentPublished(_ctx: unknown, _id: string, content: { seo: { title: string } }): void {
        content.seo.title = "changed"; // throws in strict mode: the content is frozen
      }
    }
    class Reader extends Plugin {
      readonly name = "reader";
      readonly version = "1.0.0";
      contentPublished(_ctx: unknown, _id: string, content: { seo: { title: string } }): void {
        seen.push(content.seo.title);
      }
    }
    const entries = [new Mutator(), new Reader()].map((plugin) => ({
      name: plugin.name,
      plugin,
    })) as unknown as RegisteredPlugin[];
    const errors: string[] = [];
    const logger = getLogger("test", new LogConfig({ level: "error", sink: (r) => errors.push(r.msg) }));
    const content = { seo: Object.freeze({ title: "t", tags: ["a"] }), body: new Uint8Array([1]) };
    const outcomes = await runActionHook(
      entries,
      "contentPublished",
      createHookContext({ tenantId: TENANT, tenantSlug: "acme", tenantPlan: "pro" }),
      [
        "c1",
        content,
      ] as never,
      { timeoutMs: 1000, logger },
    );
    expect(outcomes.map((o) => o.status)).toEqual(["failed", "ok"]);
    expect(seen).toEqual(["t"]);
    expect(Object.isFrozen(content.seo.tags)).toBe(true);
    expect(errors).toEqual(["contentPublished failed in plugin mutator"]);
  });
});
