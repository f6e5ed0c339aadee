/**
 * Each plugin of a dispatch gets input no other plugin can change (issue: plugin A deleting
 * `rendered_html` changed what plugin B saw, and `ctx.timestamp` was one shared, mutable Date).
 */
import { describe, expect, it } from "vitest";
import { type ContentEvent, createEventProcessor } from "../../src/events/index.ts";
import { type Content, type ContentLifecycleHooks, type HookContext, type Metadata, Plugin } from "../../src/index.ts";
import { createKernel } from "../../src/entries/runtime.ts";
import { createMemoryDriver } from "../../src/entries/drivers.ts";

const TENANT = "0b7c9a52-3d5e-4f61-8a2b-c0ffee000010";
const NOW = Date.UTC(2026, 10, 24, 12);

/** Tries every way to change its input: in the synchronous part of the hook and after an await. */
class Vandal extends Plugin implements ContentLifecycleHooks {
  readonly name = "vandal";
  readonly version = "1.0.0";
  readonly attempts: string[] = [];
  timestampAfter = "";
  async contentPublished(ctx: HookContext, _id: string, content: Content, metadata?: Metadata): Promise<void> {
    const tries: [string, () => void][] = [
      ["delete rendered_html", () => delete content.rendered_html],
      ["set title", () => (content.title = "defaced")],
      ["nested object", () => ((content.seo as Record<string, unknown>).noindex = true)],
      ["nested array", () => (content.tags as string[]).push("spam")],
      ["metadata", () => ((metadata as Record<string, unknown>).source = "vandal")],
    ];
    for (const [what, change] of tries.slice(0, 3)) this.#try(what, change);
    await Promise.resolve();
    for (const [what, change] of tries.slice(3)) this.#try(what, change);
    // Freezing cannot stop a Date's setTime: the one this plugin holds may change, no one else's.
    ctx.timestamp.setTime(0);
    this.timestampAfter = ctx.timestamp.toISOString();
  }
  #try(what: string, change: () => void): void {
    try {
      change();
      this.attempts.push(`${what}: changed`);
    } catch {
      this.attempts.push(`${what}: refused`);
    }
  }
}

/** Looks at its input after the vandal had its go (it runs after the vandal, and later still after an await). */
class Reader extends Plugin implements ContentLifecycleHooks {
  readonly name = "reader";
  readonly version = "1.0.0";
  readonly seen: unknown[] = [];
  async contentPublished(ctx: HookContext, _id: string, content: Content, metadata?: Metadata): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.seen.push(structuredClone({ content, metadata, timestamp: ctx.timestamp.toISOString() }));
  }
}

const original = () => ({
  title: "Hello",
  rendered_html: "<p>Hello</p>",
  seo: { noindex: false },
  tags: ["news"],
});

async function setup() {
  const vandal = new Vandal();
  const reader = new Reader();
  const kernel = createKernel({
    driver: createMemoryDriver({ now: () => NOW }),
    plugins: [vandal, reader],
    now: () => NOW,
    log: { level: "error", sink: () => {} },
  });
  await kernel.putTenant(TENANT, { slug: "acme", plan: "free" });
  await kernel.enable(TENANT, "vandal");
  await kernel.enable(TENANT, "reader");
  return { kernel, vandal, reader };
}

const expected = {
  content: original(),
  metadata: { source: "cms" },
  timestamp: new Date(NOW).toISOString(),
};

describe("a plugin's input", () => {
  it("cannot be changed by another plugin of the same dispatch: content, nested values, metadata, ctx.timestamp", async () => {
    const { kernel, vandal, reader } = await setup();
    await kernel.dispatch(TENANT, "contentPublished", ["c1", original(), { source: "cms" }]);
    expect(reader.seen).toEqual([expected]);
    expect(vandal.attempts.filter((a) => a.endsWith("changed"))).toEqual([]);
    expect(vandal.timestampAfter).toBe(expected.timestamp);
  });

  it("cannot be changed through the event pipeline either", async () => {
    const { kernel, vandal, reader } = await setup();
    const events = createEventProcessor(kernel);
    const event: ContentEvent = {
      id: "msg_input",
      tenantId: TENANT,
      type: "content.published",
      timestamp: "2026-11-24T12:00:00Z",
      contentId: "c1",
      content: original(),
      metadata: { source: "cms" },
      receivedAt: "2026-11-24T12:00:00Z",
    };
    await events.accept(event);
    await events.idle();
    expect(reader.seen).toEqual([expected]);
    expect(vandal.attempts.filter((a) => a.endsWith("changed"))).toEqual([]);
    expect(vandal.timestampAfter).toBe(expected.timestamp);
  });
});
