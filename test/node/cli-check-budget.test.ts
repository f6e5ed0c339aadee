/**
 * The guide's timeout rule, checked: a plugin with content or filter hooks must fit a shared HTTP
 * client's attempts and backoff within its hook limit (hookTimeoutMs, 10 s by default). The unit
 * (findClientBudgets, lintClientBudget) and `dvp check` over a temporary project.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HookContext, Plugin } from "../../src/index.ts";
import { clientBudgetMs, findClientBudgets, lintClientBudget } from "../../src/testing/lint-client-budget.ts";
import { dvp, tempRoot } from "./cli-helpers.ts";

class Hooked extends Plugin {
  readonly name = "hooked";
  readonly version = "1.0.0";
  override CONFIG_SCHEMA = {
    type: "object",
    properties: { timeout_seconds: { type: "integer", default: 30 } },
  } as const;
  contentPublished(_ctx: HookContext): void {}
}

class TasksOnly extends Plugin {
  readonly name = "tasks-only";
  readonly version = "1.0.0";
  registerScheduledTasks() {
    return [];
  }
  executeScheduledTask() {
    return Promise.resolve({ success: true });
  }
}

const OVER = `const http = createHttpClient({
  fetch: options.fetch,
  timeoutMs: 30_000,
  retries: 3,
});`;

describe("client budget", () => {
  it("adds every attempt's timeout and the backoff's longest waits", () => {
    expect(clientBudgetMs({})).toBe(4 * 30_000 + 500 + 1_000 + 2_000);
    expect(clientBudgetMs({ timeoutMs: 2_500, retries: 2 })).toBe(9_000);
    expect(clientBudgetMs({ timeoutMs: 1_000, retries: 2, baseDelayMs: 4_000, maxDelayMs: 5_000 })).toBe(12_000);
  });

  it("reads createHttpClient calls with numbers, or a config property × 1000 at its default", () => {
    expect(findClientBudgets(OVER, {})).toEqual([{ line: 1, timeoutMs: 30_000, retries: 3, budgetMs: 123_500 }]);
    const fromConfig = "createHttpClient({ fetch, timeoutMs: config.timeout_seconds * 1000, retries: 2 })";
    expect(findClientBudgets(fromConfig, new Hooked().CONFIG_SCHEMA)).toEqual([
      { line: 1, timeoutMs: 30_000, retries: 2, budgetMs: 91_500, from: "config timeout_seconds (default 30)" },
    ]);
    // What it cannot evaluate, it leaves alone.
    expect(findClientBudgets("createHttpClient({ fetch, timeoutMs: options.timeoutMs })", {})).toEqual([]);
    expect(findClientBudgets("createHttpClient({ ...defaults, fetch })", {})).toEqual([]);
  });

  it("flags a hook plugin's client over hookTimeoutMs, with the file and line", () => {
    const files = [{ path: "plugins/hooked/client.ts", text: `// a client\n${OVER}` }];
    expect(lintClientBudget(new Hooked(), files)).toEqual([{
      area: "timeouts",
      message:
        "plugins/hooked/client.ts:2: createHttpClient can take 123.5 s (4 attempts of 30 s, retries: 3, and their backoff), over the 10 s a hook gets (hookTimeoutMs): lower timeoutMs or retries, e.g. timeoutMs: 2_500, retries: 2 (9 s)",
    }]);
    const quick = new Hooked();
    quick.hookTimeoutMs = 200_000;
    expect(lintClientBudget(quick, files)).toEqual([]);
  });

  it("reads a hook's options chosen per use and one request's overrides", () => {
    const perUse = `const calls = use === "hook"
  ? { timeoutMs: 30_000, retries: 3 }
  : { timeoutMs: 60_000, retries: 9 };
const http = createHttpClient({ fetch, ...calls });`;
    expect(findClientBudgets(perUse, {})).toEqual([
      { line: 2, timeoutMs: 30_000, retries: 3, budgetMs: 123_500, call: "hook" },
    ]);
    expect(findClientBudgets(`"hook" == use ? { timeoutMs: 2_500, retries: 2 } : other`, {})).toEqual([
      { line: 1, timeoutMs: 2_500, retries: 2, budgetMs: 9_000, call: "hook" },
    ]);
    const request = `const http = createHttpClient({ fetch, timeoutMs: 2_000, retries: 1 });
await http.request<Job>({
  url,
  timeoutMs: config.timeout_seconds * 1000,
  retries: 2,
});
await http.request({ url, timeoutMs: 12_000 });
await http.request({ url, retries: 5 });`;
    expect(findClientBudgets(request, new Hooked().CONFIG_SCHEMA)).toEqual([
      { line: 1, timeoutMs: 2_000, retries: 1, budgetMs: 4_500 },
      {
        line: 2,
        timeoutMs: 30_000,
        retries: 2,
        budgetMs: 91_500,
        from: "config timeout_seconds (default 30)",
        call: "request",
      },
      // timeoutMs alone: one attempt at least; retries alone: nothing certain.
      { line: 7, timeoutMs: 12_000, retries: 0, budgetMs: 12_000, call: "request" },
    ]);
    const files = [{ path: "plugins/hooked/client.ts", text: request }];
    expect(lintClientBudget(new Hooked(), files).map((p) => p.message.split(" over ")[0])).toEqual([
      "plugins/hooked/client.ts:2: request({ timeoutMs, retries }) can take 91.5 s (3 attempts of 30 s, retries: 2, and their backoff, timeoutMs from config timeout_seconds (default 30)),",
      "plugins/hooked/client.ts:7: request({ timeoutMs, retries }) can take 12 s (1 attempt of 12 s, retries: 0, and their backoff),",
    ]);
  });

  it("leaves task-only plugins and marked clients alone", () => {
    const files = [{ path: "plugins/x/client.ts", text: OVER }];
    expect(lintClientBudget(new TasksOnly(), files)).toEqual([]);
    const marked = [{ path: "plugins/x/client.ts", text: `// dvp-check-ignore: client-budget (tasks only)\n${OVER}` }];
    expect(lintClientBudget(new Hooked(), marked)).toEqual([]);
  });
});

describe("dvp check: client budget", { timeout: 120_000 }, () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  beforeAll(() => {
    root = tempRoot();
    write(
      "plugins/slow-hook/plugin.ts",
      `import { createHttpClient } from "../../src/entries/client.ts";
import { type HookContext, Plugin } from "../../src/index.ts";

export class SlowHook extends Plugin {
  readonly name = "slow-hook";
  readonly version = "1.0.0";
  override description = "Slow";
  override author = "Tests";
  override kernelVersion = "^1.0.0";
  async contentPublished(ctx: HookContext): Promise<void> {
    const http = createHttpClient({ fetch: this.fetch, timeoutMs: 30_000, retries: 2 });
    await http.request({ url: "https://api.example.com/x", signal: ctx.signal });
  }
}
`,
    );
    write("plugins/slow-hook/index.ts", `export { SlowHook } from "./plugin.ts";\n`);
    write("plugins/slow-hook/README.md", "# slow-hook\n");
    write("test/plugins/slow-hook.test.ts", "// tests live here\n");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("names the client over the hook's limit", async () => {
    const result = await dvp(["check", "slow-hook", "--root", root]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      'slow-hook: registry: not in bundledPlugins() of plugins/index.ts (or its name is not "slow-hook")',
      "slow-hook: timeouts: plugins/slow-hook/plugin.ts:11: createHttpClient can take 91.5 s (3 attempts of 30 s, retries: 2, and their backoff), over the 10 s a hook gets (hookTimeoutMs): lower timeoutMs or retries, e.g. timeoutMs: 2_500, retries: 2 (9 s)",
      "dvp check: 2 problems in 1 plugin",
    ]);
  });
});

describe("dvp check: client budget of the scaffold", { timeout: 120_000 }, () => {
  let root: string;
  beforeAll(async () => {
    root = tempRoot();
    expect((await dvp(["new-plugin", "budget-probe", "--root", root])).code).toBe(0);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const timeouts = async () =>
    (await dvp(["check", "budget-probe", "--root", root])).stderr.split("\n").filter((l) => l.includes("timeouts:"));

  it("passes the scaffold's own hook options (9 s), and names them once they exceed the hook's limit", async () => {
    expect(await timeouts()).toEqual([]);
    const path = join(root, "plugins", "budget-probe", "plugin.ts");
    const text = readFileSync(path, "utf8");
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.includes("{ timeoutMs: 2_500, retries: 2 }"));
    expect(at).toBeGreaterThan(0);
    writeFileSync(path, text.replace("{ timeoutMs: 2_500, retries: 2 }", "{ timeoutMs: 30_000, retries: 3 }"));
    expect(await timeouts()).toEqual([
      `budget-probe: timeouts: plugins/budget-probe/plugin.ts:${
        at + 1
      }: the client options for hooks can take 123.5 s (4 attempts of 30 s, retries: 3, and their backoff), over the 10 s a hook gets (hookTimeoutMs): lower timeoutMs or retries, e.g. timeoutMs: 2_500, retries: 2 (9 s)`,
    ]);
  });
});
