/**
 * `lintSchedules` asks a plugin for its schedules with a config made up from its schema; the save
 * checks for tenant URLs must not refuse that made-up config (a bare "example" host), or `dvp check`
 * stops at the first plugin that monitors a domain.
 */
import { describe, expect, it } from "vitest";
import { lintSchedules } from "../../src/testing/index.ts";
import { bundledPlugins } from "../../plugins/index.ts";

describe("lintSchedules over the bundled plugins", () => {
  it("judges every one of them without a save refusal", async () => {
    for (const plugin of bundledPlugins({})) {
      expect({ plugin: plugin.name, problems: await lintSchedules(plugin) }).toEqual({
        plugin: plugin.name,
        problems: [],
      });
    }
  });
});
