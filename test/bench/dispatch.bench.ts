/**
 * Dispatch of contentPublished to 1 and 10 no-op plugins, against the hand-written loop it
 * replaces: the same methods awaited inside try/catch. Target: ≤ 2× the loop.
 *
 * A second reference, the isolation floor, is the least a dispatcher does that survives a hook
 * that never settles: observe each hook's promise from a promise of its own, and look once, a
 * microtask later, whether one is still running (to arm a time limit). No outcomes, no clock.
 * The kernel's ratio to it is the cost of what the kernel adds: per-plugin outcomes, durations.
 * With one plugin, the group also times two clock reads alone: what timing the hooks costs.
 */
import { bench, describe } from "vitest";
import { createHookContext, deepFreeze } from "../../src/context.ts";
import { createKernel } from "../../src/entries/runtime.ts";
import { type HookContext, Plugin } from "../../src/index.ts";
import type { RegisteredPlugin } from "../../src/registry.ts";

class NoOp extends Plugin {
  readonly version = "1.0.0";
  constructor(readonly name: string) {
    super();
  }
  async contentPublished(_ctx: HookContext, _id: string, _content: Record<string, unknown>): Promise<void> {}
}

const ctx = createHookContext({
  tenantId: "11111111-1111-4111-8111-111111111111",
  tenantSlug: "bench",
  tenantPlan: "pro",
});
const content = { content_id: "c1", domain: "example.com" };
const settled = Promise.resolve();
let clockSink = 0; // keeps the clock reads from being optimised away

function isolationFloor(plugins: readonly NoOp[]): Promise<void> {
  return new Promise<void>((resolve) => {
    let pending = plugins.length;
    const done = () => void (--pending === 0 && resolve());
    for (const plugin of plugins) {
      try {
        plugin.contentPublished(ctx, "c1", content).then(done, done);
      } catch {
        done();
      }
    }
    settled.then(() => {
      if (pending > 0) setTimeout(resolve, 10_000);
    });
  });
}

for (const count of [1, 10]) {
  const plugins = Array.from({ length: count }, (_, i) => new NoOp(`noop-${i}`));
  const kernel = createKernel({ plugins, log: { level: "error" } });
  const entries: readonly RegisteredPlugin[] = kernel.registry.implementing("contentPublished");

  describe(`contentPublished to ${count} no-op plugin${count > 1 ? "s" : ""}`, () => {
    bench("hand-written loop (reference)", async () => {
      for (const plugin of plugins) {
        try {
          await plugin.contentPublished(ctx, "c1", content);
        } catch {
          // ignored, as an action hook's error must be
        }
      }
    });
    bench("isolation floor: a promise per hook + one hang check", () => isolationFloor(plugins));
    bench("kernel.runAction", async () => {
      await kernel.runAction(entries, "contentPublished", ctx, ["c1", content]);
    });
    if (count === 1) {
      bench("two clock reads alone (what timing the hooks costs)", () => {
        clockSink += performance.now() - performance.now();
      });
    }
  });
}

// Input isolation (every plugin of a dispatch must get input no other plugin can change): deep-
// freezing the shared objects once per dispatch, against a copy per plugin. The event processor
// parses each event from its stored JSON, so every variant starts from a fresh parse of a page.
const pageJson = JSON.stringify({
  content_id: "c1",
  domain: "example.com",
  path: "/blog/a-post",
  title: "A post",
  rendered_html: `<article>${"<p>Lorem ipsum dolor sit amet.</p>".repeat(900)}</article>`,
  tags: ["news", "product", "launch"],
  author: { name: "A. Writer", email: "writer@example.com" },
  seo: { description: "A post", noindex: false },
  blocks: Array.from({ length: 40 }, (_, i) => ({ type: "paragraph", text: `block ${i}`, attrs: { id: i } })),
});
for (const count of [1, 10]) {
  describe(`input isolation: a ${Math.round(pageJson.length / 1024)} KB page to ${count} plugin${count > 1 ? "s" : ""}`, () => {
    bench("parse the page alone (reference)", () => {
      JSON.parse(pageJson);
    });
    bench("deep-freeze once per dispatch (what the kernel does)", () => {
      deepFreeze(JSON.parse(pageJson));
    });
    bench("structuredClone per plugin", () => {
      const page = JSON.parse(pageJson);
      for (let i = 0; i < count; i++) structuredClone(page);
    });
  });
}
