/**
 * The plugin guide cannot rot: every ```ts block of docs/plugin-guide.md is written out and
 * type-checked with the project's compiler settings, and every `runnable` block is executed
 * (test files as tests, scripts imported under a test) by a separate vitest run.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { type CodeBlock, extractBlocks } from "./extract.ts";

const run = promisify(execFile);
const HERE = import.meta.dirname;
const REPO = join(HERE, "..", "..");
const OUT = join(HERE, ".generated");
const GUIDE = join(REPO, "docs", "plugin-guide.md");
const README = join(REPO, "README.md");

let blocks: CodeBlock[] = [];
let readmeBlocks = 0;
const scripts: { wrapper: string; block: CodeBlock }[] = [];

beforeAll(() => {
  // The README's blocks are type-checked too (written under readme/), so its first screen cannot rot either.
  // Blocks that name a file (`file=src/…`) are files of a user's own project: the package test
  // (test/package/) compiles those in a scratch project that installed the packed package.
  const readme = extractBlocks(readFileSync(README, "utf8"))
    .filter((b) => b.shownPath === null)
    .map((b) => ({ ...b, path: `readme/${b.path}` }));
  readmeBlocks = readme.length;
  blocks = [...extractBlocks(readFileSync(GUIDE, "utf8")), ...readme];
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  symlinkSync(join(REPO, "src"), join(OUT, "src"));
  // Linked under a name no guide block writes to (blocks with file=plugins/… must stay in .generated).
  symlinkSync(join(REPO, "plugins"), join(OUT, "_plugins"));
  for (const block of blocks) {
    const path = join(OUT, block.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `// docs/plugin-guide.md line ${block.line}\n${block.code}`);
    if (block.runnable && !block.path.endsWith(".doc-test.ts")) {
      const wrapper = join(OUT, `run-line-${block.line}.doc-test.ts`);
      const target = `./${relative(OUT, path)}`;
      writeFileSync(
        wrapper,
        `import { it } from "vitest";\n\nit("docs/plugin-guide.md line ${block.line} runs", async () => {\n  await import(${
          JSON.stringify(target)
        });\n});\n`,
      );
      scripts.push({ wrapper, block });
    }
  }
});

/** Compiler output with generated paths turned back into guide lines. */
function explain(output: string): string {
  return output.replace(
    /(?:test\/docs\/)?\.generated\/([^\s(:]+)\((\d+),(\d+)\)/g,
    (match, path: string, line: string) => {
      const block = blocks.find((b) => b.path === path);
      return block ? `docs/plugin-guide.md:${block.line + Number(line) - 1} (${path})` : match;
    },
  );
}

describe("docs/plugin-guide.md", () => {
  it("has TypeScript blocks, some of them runnable", () => {
    expect(blocks.length).toBeGreaterThan(20);
    expect(blocks.filter((b) => b.runnable).length).toBeGreaterThanOrEqual(3);
    expect(readmeBlocks).toBeGreaterThanOrEqual(1); // the minimal plugin (the embedding examples: test/package/)
  });

  it("type-checks every ts block", async () => {
    try {
      await run(join(REPO, "node_modules", ".bin", "tsc"), ["-p", join(HERE, "tsconfig.json")], { cwd: REPO });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      expect.fail(explain(`${e.stdout ?? ""}${e.stderr ?? ""}`));
    }
  }, 120_000);

  it("runs every runnable block", async () => {
    const report = join(OUT, "results.json");
    let failure = "";
    try {
      await run(
        process.execPath,
        [
          join(REPO, "node_modules", "vitest", "vitest.mjs"),
          "run",
          "--config",
          join(HERE, "vitest.docs.config.ts"),
          "--reporter=json",
          `--outputFile=${report}`,
        ],
        { cwd: REPO, timeout: 120_000 },
      );
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      failure = `${e.stderr ?? ""}`;
    }
    const results = JSON.parse(readFileSync(report, "utf8")) as {
      numFailedTests: number;
      testResults: {
        name: string;
        status: string;
        assertionResults: { fullName: string; status: string; failureMessages: string[] }[];
      }[];
    };
    const failed = results.testResults.flatMap((file) =>
      file.assertionResults.filter((a) => a.status !== "passed").map((a) =>
        `${relative(OUT, file.name)} › ${a.fullName}: ${a.failureMessages.join("\n").slice(0, 800)}`
      )
    );
    expect(failed, failure).toEqual([]);
    expect(results.numFailedTests).toBe(0);
    const ran = new Set(results.testResults.filter((f) => f.status === "passed").map((f) => relative(OUT, f.name)));
    const expected = blocks.filter((b) => b.runnable).map((b) =>
      b.path.endsWith(".doc-test.ts") ? b.path : relative(OUT, scripts.find((s) => s.block === b)!.wrapper)
    );
    expect([...ran].sort()).toEqual(expected.sort());
  }, 180_000);
});
