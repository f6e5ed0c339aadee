/** `dvp check`: the production checklist over a temporary project with one good plugin and several broken ones. */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dvp, REPO, tempRoot } from "./cli-helpers.ts";

const GOOD = `import { type ContentLifecycleHooks, type HookContext, Plugin } from "../../src/index.ts";

export class GoodOne extends Plugin implements ContentLifecycleHooks {
  readonly name = "good-one";
  readonly version = "1.0.0";
  override description = "Good";
  override author = "Tests";
  override kernelVersion = "^1.0.0";
  override CONFIG_SCHEMA = {
    type: "object",
    properties: { site: { type: "string", title: "Site" } },
  } as const;
  override SECRETS_SCHEMA = {
    type: "object",
    properties: { api_token: { type: "string", title: "Token" } },
  } as const;
  contentPublished(_ctx: HookContext, _id: string): void {}
}
`;

const BAD = `import { Plugin } from "../../src/index.ts";

export class BadOne extends Plugin {
  readonly name = "bad-one";
  readonly version = "one";
  override CONFIG_SCHEMA = {
    type: "object",
    properties: { api_key: { type: "string", title: "API key" } },
  } as const;
  contentPublished(): void {}
}
`;

const INDEX = `import type { Plugin } from "../src/index.ts";
import { GoodOne } from "./good-one/index.ts";

export function bundledPlugins(_options = {}): Plugin[] {
  return [new GoodOne()];
}
`;

describe("dvp check", { timeout: 120_000 }, () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  beforeAll(() => {
    root = tempRoot(INDEX);
    write("plugins/good-one/plugin.ts", GOOD);
    write("plugins/good-one/index.ts", `export { GoodOne } from "./plugin.ts";\n`);
    write(
      "plugins/good-one/README.md",
      "# good-one\n\n| Name | Description |\n|---|---|\n| `site` | the site |\n\n| Secret | |\n|---|---|\n| `api_token` | token |\n",
    );
    write("test/plugins/good-one.test.ts", "// tests live here\n");
    write("plugins/bad-one/plugin.ts", BAD);
    write("plugins/bad-one/index.ts", `export { BadOne } from "./plugin.ts";\n`);
    write("plugins/broken-one/index.ts", "export const = ;\n");
    write("plugins/_shared/http.ts", "export const shared = 1;\n");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("passes a complete plugin", async () => {
    const result = await dvp(["check", "good-one", "--root", root]);
    expect(result).toEqual({ code: 0, stdout: "ok good-one 1.0.0\n", stderr: "" });
  });

  it("prints one line per problem and exits non-zero", async () => {
    const result = await dvp(["check", "bad-one", "--root", root]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      "bad-one: files: plugins/bad-one/README.md is missing",
      'bad-one: registry: not in bundledPlugins() of plugins/index.ts (or its name is not "bad-one")',
      'bad-one: metadata: version "one" is not a semantic version (e.g. 1.0.0)',
      "bad-one: metadata: description is empty: say what the plugin does in one sentence",
      "bad-one: metadata: author is empty",
      "bad-one: secrets: CONFIG_SCHEMA property /api_key looks like a credential: move it to SECRETS_SCHEMA (config is public)",
      'bad-one: compatibility: kernelVersion is not set: declare the kernel range you support, e.g. "^1.0.0"',
      "bad-one: tests: no tests: expected test/plugins/bad-one.test.ts (or test/plugins/bad-one*.test.ts)",
      "dvp check: 8 problems in 1 plugin",
    ]);
  });

  it("checks every plugin folder when no name is given, skipping shared code", async () => {
    const result = await dvp(["check", "--root", root]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("ok good-one 1.0.0\n");
    const lines = result.stderr.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("bad-one: "))).toHaveLength(8);
    expect(lines.filter((l) => l.startsWith("broken-one: ")).map((l) => l.replace(/loaded: .*/, "loaded: …"))).toEqual([
      "broken-one: files: plugins/broken-one/plugin.ts is missing",
      "broken-one: files: plugins/broken-one/README.md is missing",
      'broken-one: registry: not in bundledPlugins() of plugins/index.ts (or its name is not "broken-one")',
      "broken-one: files: plugins/broken-one/index.ts cannot be loaded: …",
      "broken-one: tests: no tests: expected test/plugins/broken-one.test.ts (or test/plugins/broken-one*.test.ts)",
    ]);
    expect(lines.some((l) => l.startsWith("_shared"))).toBe(false);
    expect(lines.at(-1)).toBe("dvp check: 13 problems in 3 plugins");
  });

  it("names the config and secret properties the README tables miss", async () => {
    write("plugins/good-one/README.md", "# good-one\n\nNo tables here: `site`, `api_token`.\n");
    const result = await dvp(["check", "good-one", "--root", root]);
    write(
      "plugins/good-one/README.md",
      "# good-one\n\n| Name | Description |\n|---|---|\n| `site` | the site |\n| `api_token` | token |\n",
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      'good-one: docs: plugins/good-one/README.md has no config table row for "site"',
      'good-one: docs: plugins/good-one/README.md has no secret table row for "api_token"',
      "dvp check: 2 problems in 1 plugin",
    ]);
  });

  it("asks a plugin for its schedules and reports what the scheduler would refuse", async () => {
    write(
      "plugins/tasky/index.ts",
      `import { type HookContext, Plugin, type ScheduledTaskDefinition, type TaskResult } from "../../src/index.ts";
export class Tasky extends Plugin {
  readonly name = "tasky";
  readonly version = "1.0.0";
  override description = "Tasks";
  override author = "Tests";
  override kernelVersion = "^1.0.0";
  registerScheduledTasks(_ctx: HookContext): ScheduledTaskDefinition[] {
    return [{ taskId: "sync", name: "Sync", schedule: { intervalSeconds: 5 } }];
  }
  executeScheduledTask(): Promise<TaskResult> {
    return Promise.resolve({ success: true });
  }
}
`,
    );
    write("plugins/tasky/plugin.ts", "export {};\n");
    write("plugins/tasky/README.md", "# tasky\n");
    write("test/plugins/tasky.test.ts", "// tests\n");
    const result = await dvp(["check", "tasky", "--root", root]);
    rmSync(join(root, "plugins", "tasky"), { recursive: true });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      'tasky: registry: not in bundledPlugins() of plugins/index.ts (or its name is not "tasky")',
      'tasky: hooks: registerScheduledTasks: plugin tasky: task sync: taskId must be namespaced "tasky.<task>" (letters, digits, - and _ after the dot)',
      "dvp check: 2 problems in 1 plugin",
    ]);
  });

  it("passes the repository's own bundled plugins (the reference plugins meet the checklist)", async () => {
    const result = await dvp(["check"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok vercel-deployer \d+\.\d+\.\d+$/m);
  });

  it("finds the project root from a subfolder", async () => {
    const result = await dvp(["check", "vercel-deployer"], join(REPO, "plugins", "vercel-deployer"));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok vercel-deployer /);
  });

  it("refuses an unknown plugin and a root without plugins/, and reports an index that does not load", async () => {
    const unknown = await dvp(["check", "nope", "--root", root]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no plugin folder plugins/nope (plugins: bad-one, broken-one, good-one)");
    const broken = tempRoot("export const bundledPlugins = 42;\n");
    const notLoadable = await dvp(["check", "--root", broken]);
    rmSync(broken, { recursive: true, force: true });
    expect(notLoadable.code).toBe(1);
    expect(notLoadable.stderr).toContain(
      "plugins/index.ts: files: cannot be loaded: it does not export bundledPlugins()",
    );
  });
});
