/**
 * Each plugin of an action hook has its own time limit (its hookTimeoutMs, or the kernel's): one
 * that hangs times out at its own limit, not a neighbour's, and one that settles in time is ok.
 */
import { describe, expect, it } from "vitest";
import { createHookContext } from "../../src/context.ts";
import { runActionHook } from "../../src/dispatch.ts";
import { getLogger, LogConfig } from "../../src/logger.ts";
import { Plugin } from "../../src/plugin.ts";
import type { RegisteredPlugin } from "../../src/registry.ts";

class Hook extends Plugin {
  readonly version = "1.0.0";
  constructor(readonly name: string, readonly run: () => Promise<void>, limit?: number) {
    super();
    if (limit !== undefined) this.hookTimeoutMs = limit;
  }
  contentPublished(): Promise<void> {
    return this.run();
  }
}

const never = () => new Promise<void>(() => {});
const after = (ms: number) => () => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("action hook time limits", () => {
  it("time each running plugin out at its own limit, in any order, while others settle in between", async () => {
    const plugins = [
      new Hook("long", never, 90),
      new Hook("short", never, 20),
      new Hook("in-time", after(40), 200),
      new Hook("default", never),
      new Hook("same-short", never, 20),
    ];
    const entries = plugins.map((plugin) => ({ name: plugin.name, plugin })) as unknown as RegisteredPlugin[];
    const logged: string[] = [];
    const logger = getLogger("test", new LogConfig({ level: "error", sink: (r) => logged.push(r.msg) }));
    const ctx = createHookContext({
      tenantId: "11111111-1111-4111-8111-111111111111",
      tenantSlug: "acme",
      tenantPlan: "pro",
    });
    const outcomes = await runActionHook(entries, "contentPublished", ctx, ["c1", {}] as never, {
      timeoutMs: 60,
      logger,
    });
    expect(outcomes.map((o) => [o.plugin, o.status, o.error])).toEqual([
      ["long", "timed_out", "timed out after 90 ms"],
      ["short", "timed_out", "timed out after 20 ms"],
      ["in-time", "ok", undefined],
      ["default", "timed_out", "timed out after 60 ms"],
      ["same-short", "timed_out", "timed out after 20 ms"],
    ]);
    expect(logged.sort()).toEqual([
      "contentPublished timed out in plugin default",
      "contentPublished timed out in plugin long",
      "contentPublished timed out in plugin same-short",
      "contentPublished timed out in plugin short",
    ]);
  });
});
