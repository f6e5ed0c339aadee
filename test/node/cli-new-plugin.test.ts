/**
 * `dvp new-plugin` as a user runs it (node bin/dvp.mjs → Deno), always into a temporary root:
 * the generated plugin type-checks, its tests pass at once, `dvp check` passes it, and bad
 * input is refused before anything is written.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dvp, REPO, run, tempRoot } from "./cli-helpers.ts";

describe("dvp new-plugin", { timeout: 120_000 }, () => {
  let root: string;
  let created: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    root = tempRoot();
    created = await dvp([
      "new-plugin",
      "seo-audit",
      "--hooks",
      "content,filters,tasks,health",
      "--description",
      "Sends SEO audit events",
      "--author",
      "Ada Lovelace",
      "--root",
      root,
    ]);
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("writes the five plugin files and the test, and registers the plugin", () => {
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(
      "Created plugin seo-audit (SeoAuditPlugin) with hooks: content, filters, tasks, health",
    );
    for (const file of ["config.ts", "client.ts", "plugin.ts", "index.ts", "README.md"]) {
      expect(existsSync(join(root, "plugins", "seo-audit", file)), file).toBe(true);
    }
    expect(existsSync(join(root, "test", "plugins", "seo-audit.test.ts"))).toBe(true);
    const index = readFileSync(join(root, "plugins", "index.ts"), "utf8");
    expect(index).toContain('import { SeoAuditPlugin } from "./seo-audit/index.ts";');
    expect(index).toContain("return [new SeoAuditPlugin()];");
    const plugin = readFileSync(join(root, "plugins", "seo-audit", "plugin.ts"), "utf8");
    for (const method of ["contentPublished", "beforeContentCreate", "executeScheduledTask", "executeHealthCheck"]) {
      expect(plugin).toContain(`${method}(`);
    }
    expect(readFileSync(join(root, "plugins", "seo-audit", "README.md"), "utf8")).toMatch(/\| `api_token` \|/);
  });

  it("generates code that type-checks and is already formatted", async () => {
    writeFileSync(
      join(root, "tsconfig.json"),
      JSON.stringify({
        extends: join(REPO, "tsconfig.json"),
        compilerOptions: { types: ["node"], lib: ["ES2023", "DOM", "DOM.Iterable"] },
        include: ["plugins/**/*.ts", "test/plugins/*.ts"],
      }),
    );
    await expect(run(join(REPO, "node_modules", ".bin", "tsc"), ["-p", join(root, "tsconfig.json")])).resolves
      .toBeDefined();
    const files = [join(root, "plugins"), join(root, "test")];
    await expect(
      run(join(REPO, "node_modules", ".bin", "deno"), [
        "fmt",
        "--no-config",
        "--check",
        "--line-width",
        "120",
        ...files,
      ]),
    ).resolves.toBeDefined();
  });

  it("generates tests that pass at once", async () => {
    const { stdout } = await run(
      process.execPath,
      [join(REPO, "node_modules", "vitest", "vitest.mjs"), "run", "--root", root, "test/plugins/seo-audit.test.ts"],
      { cwd: root, timeout: 120_000 },
    );
    // deno-lint-ignore no-control-regex
    const plain = stdout.replace(/\x1b\[[0-9;]*m/g, "");
    expect(plain).toMatch(/Tests\s+15 passed \(15\)/);
  });

  it("passes dvp check as generated", async () => {
    const result = await dvp(["check", "seo-audit", "--root", root]);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("ok seo-audit 0.1.0");
    expect(result.code).toBe(0);
  });

  it("writes the given description and author", () => {
    const plugin = readFileSync(join(root, "plugins", "seo-audit", "plugin.ts"), "utf8");
    expect(plugin).toContain('override description = "Sends SEO audit events";');
    expect(plugin).toContain('override author = "Ada Lovelace";');
    expect(readFileSync(join(root, "plugins", "seo-audit", "README.md"), "utf8")).toContain("Sends SEO audit events");
  });

  it("refuses an existing folder without touching anything", async () => {
    const before = readFileSync(join(root, "plugins", "index.ts"), "utf8");
    const result = await dvp(["new-plugin", "seo-audit", "--root", root]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("plugins/seo-audit already exists");
    expect(readFileSync(join(root, "plugins", "index.ts"), "utf8")).toBe(before);
  });
});

describe("dvp new-plugin refusals", { timeout: 120_000 }, () => {
  let root: string;
  beforeAll(() => {
    root = tempRoot();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(["Bad_Name", "1st-plugin", "double--dash", "trailing-", "UPPER", "a".repeat(65)])(
    "refuses the name %s",
    async (name) => {
      const result = await dvp(["new-plugin", name, "--root", root]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`is not a valid plugin name: use a lowercase slug`);
      expect(existsSync(join(root, "plugins", name))).toBe(false);
    },
  );

  it("scaffolds with placeholders that dvp check flags until they are replaced", async () => {
    const made = await dvp(["new-plugin", "todo-plugin", "--root", root]);
    expect(made.code).toBe(0);
    expect(made.stdout).toContain("set description and author in plugins/todo-plugin/plugin.ts and README.md");
    const checked = await dvp(["check", "todo-plugin", "--root", root]);
    expect(checked.code).toBe(1);
    expect(checked.stderr.trim().split("\n")).toEqual([
      "todo-plugin: metadata: description is still the scaffold's placeholder: say what it does",
      'todo-plugin: metadata: author is still the placeholder "Your Name"',
      "dvp check: 2 problems in 1 plugin",
    ]);
  });

  it("refuses a missing name, an unknown hook group, an unknown option and a root without plugins/", async () => {
    expect((await dvp(["new-plugin", "--root", root])).stderr).toContain("a plugin name is required");
    const hooks = await dvp(["new-plugin", "x-plugin", "--hooks", "content,cron", "--root", root]);
    expect(hooks.code).toBe(2);
    expect(hooks.stderr).toContain(
      '--hooks takes a comma-separated list of content, filters, tasks, health; got "content,cron"',
    );
    const option = await dvp(["new-plugin", "x-plugin", "--hook", "content", "--root", root]);
    expect(option.stderr).toContain("unknown option --hook");
    const empty = mkdtempSync(join(tmpdir(), "dvp-cli-empty-"));
    const noPlugins = await dvp(["new-plugin", "x-plugin", "--root", empty]);
    rmSync(empty, { recursive: true, force: true });
    expect(noPlugins.code).toBe(2);
    expect(noPlugins.stderr).toContain("has no plugins/index.ts");
    expect(existsSync(join(root, "plugins", "x-plugin"))).toBe(false);
  });

  it("refuses an index it cannot edit, before writing any file", async () => {
    const odd = tempRoot("export function bundledPlugins() {\n  const list = [];\n  return list;\n}\n");
    const result = await dvp(["new-plugin", "x-plugin", "--root", odd]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("does not `return [ … ]`: add the plugin by hand");
    expect(existsSync(join(odd, "plugins", "x-plugin"))).toBe(false);
    rmSync(odd, { recursive: true, force: true });
  });

  it("prints usage for no command and refuses an unknown one", async () => {
    const none = await dvp([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain("dvp new-plugin <name>");
    const unknown = await dvp(["deploy"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "deploy"');
    expect((await dvp(["--help"])).code).toBe(0);
    for (const command of ["new-plugin", "check", "webhook"]) {
      const help = await dvp([command, "send", "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`dvp ${command}`);
    }
  });
});
