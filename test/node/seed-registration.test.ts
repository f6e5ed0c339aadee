/**
 * Code written from the seed guide's own examples: its manual registration
 * (`registry = PluginRegistry(); registry.register(plugin); registry.enable(plugin.name)`) and its
 * version range in the comma form (`dvp-cms>=1.0.0,<2.0.0`).
 */
import { describe, expect, it } from "vitest";
import { KernelError, Plugin } from "../../src/index.ts";
import { PluginRegistry } from "../../src/registry.ts";
import { satisfies, validRange } from "../../src/semver.ts";

class SeedPlugin extends Plugin {
  readonly name = "seed-plugin";
  readonly version = "1.0.0";
  override kernelVersion = ">=1.0.0,<2.0.0";
}

describe("the seed's version range, comma form", () => {
  it("reads a comma as 'and', as PEP 440 does", () => {
    expect(validRange(">=1.0.0,<2.0.0")).toBe(true);
    expect(validRange(">=1.0.0, <2.0.0")).toBe(true);
    expect(satisfies("1.0.0", ">=1.0.0,<2.0.0")).toBe(true);
    expect(satisfies("1.9.3", ">=1.0.0,<2.0.0")).toBe(true);
    expect(satisfies("2.0.0", ">=1.0.0,<2.0.0")).toBe(false);
    expect(satisfies("0.9.0", ">=1.0.0,<2.0.0")).toBe(false);
    expect(satisfies("3.1.0", ">=1.0.0,<2.0.0 || >=3.0.0,<4.0.0")).toBe(true);
    expect(satisfies("1.2.0", "==1.2.0")).toBe(true);
  });

  it("still refuses what is not a range", () => {
    expect(validRange(">=1.0.0,,<2.0.0")).toBe(false);
    expect(validRange(",")).toBe(false);
    expect(validRange(">=one")).toBe(false);
  });
});

describe("the seed's manual registration", () => {
  it("new PluginRegistry() and register(plugin) work as written", () => {
    const registry = new PluginRegistry();
    const plugin = new SeedPlugin();
    registry.register(plugin);
    expect(registry.has(plugin.name)).toBe(true);
  });

  it("registry.enable(name) says what to write instead: enablement is per tenant", () => {
    const registry = new PluginRegistry();
    const plugin = new SeedPlugin();
    registry.register(plugin);
    let error: unknown;
    try {
      registry.enable(plugin.name);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KernelError);
    expect((error as KernelError).code).toBe("ERR_VALIDATION");
    expect((error as KernelError).message).toBe(
      'plugin seed-plugin: plugins are enabled per tenant, not in the registry: write `await kernel.enable(tenantId, "seed-plugin")` on a kernel made with `createKernel({ plugins: [plugin] })` (or `kernel.register(plugin)`)',
    );
  });
});
