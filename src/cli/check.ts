/**
 * `dvp check [name]`: the guide's Production Checklist, automated. Code checks come from
 * lintPlugin (metadata, schemas, secrets out of the public config, hook signatures, the
 * registry's checks, kernel range); this adds what needs the files: registration in
 * plugins/index.ts, the folder layout, tests, a README with config and secrets tables, and HTTP
 * clients whose retries fit within the hook's time limit.
 * One line per problem; the exit code is non-zero when there is any.
 */
import type { Plugin } from "../plugin.ts";
import { PLUGIN_NAME } from "../registry.ts";
import { lintClientBudget } from "../testing/lint-client-budget.ts";
import { lintPlugin, type LintProblem } from "../testing/lint-plugin.ts";
import { lintSchedules } from "../testing/lint-schedules.ts";
import { allowOnly, type ParsedArgs, stringFlag, UsageError } from "./args.ts";
import { type CliIo, join, projectRoot } from "./io.ts";
import { PLACEHOLDER_AUTHOR, PLACEHOLDER_DESCRIPTION } from "./names.ts";

export const CHECK_USAGE = "dvp check [name] [--root dir]";

type Problem = { area: LintProblem["area"] | "files" | "tests" | "docs"; message: string };

export async function check(args: ParsedArgs, io: CliIo): Promise<number> {
  allowOnly(args, ["root"]);
  if (args.positionals.length > 1) throw new UsageError(`one plugin name, or none for all: ${CHECK_USAGE}`);
  const root = await projectRoot(io, stringFlag(args, "root"));
  const pluginsDir = join(root, "plugins");
  if ((await io.kind(pluginsDir)) !== "dir") {
    throw new UsageError(`${root} has no plugins/ folder: run this in the dvp-kernel checkout (or pass --root)`);
  }
  // Folders that cannot be plugin names (plugins/_shared) hold shared code, not plugins.
  const folders = (await io.readDir(pluginsDir)).filter((e) => e.isDirectory && PLUGIN_NAME.test(e.name)).map((e) =>
    e.name
  );
  const wanted = args.positionals[0];
  if (wanted !== undefined && !folders.includes(wanted)) {
    throw new UsageError(`no plugin folder plugins/${wanted} (plugins: ${folders.join(", ") || "none"})`);
  }
  const names = wanted === undefined ? folders : [wanted];

  let bundled: Map<string, Plugin>;
  try {
    bundled = await loadBundled(io, join(pluginsDir, "index.ts"));
  } catch (error) {
    io.err(`plugins/index.ts: files: cannot be loaded: ${(error as Error).message}`);
    return 1;
  }

  let total = 0;
  for (const name of names) {
    const problems = await checkOne(io, root, name, bundled.get(name));
    total += problems.length;
    for (const p of problems) io.err(`${name}: ${p.area}: ${p.message}`);
    if (!problems.length) {
      const plugin = bundled.get(name)!;
      io.out(`ok ${name} ${plugin.version}`);
    }
  }
  if (!names.length) io.out("no plugins under plugins/");
  if (total) {
    io.err(
      `dvp check: ${total} problem${total === 1 ? "" : "s"} in ${names.length} plugin${names.length === 1 ? "" : "s"}`,
    );
    return 1;
  }
  return 0;
}

async function loadBundled(io: CliIo, indexPath: string): Promise<Map<string, Plugin>> {
  const mod = await io.importModule(indexPath);
  if (typeof mod.bundledPlugins !== "function") throw new Error("it does not export bundledPlugins()");
  const list = await (mod.bundledPlugins as (options: object) => unknown)({});
  if (!Array.isArray(list)) throw new Error("bundledPlugins() did not return a list");
  const map = new Map<string, Plugin>();
  for (const item of list) if (isPlugin(item)) map.set(item.name, item);
  return map;
}

/** Duck-typed: a plugin loaded from another copy of the kernel is still a plugin. */
function isPlugin(value: unknown): value is Plugin {
  const v = value as Partial<Plugin> | null;
  return typeof v === "object" && v !== null && typeof v.name === "string" && typeof v.attach === "function";
}

async function checkOne(io: CliIo, root: string, name: string, registered: Plugin | undefined): Promise<Problem[]> {
  const problems: Problem[] = [];
  const dir = join(root, "plugins", name);
  for (const file of ["index.ts", "plugin.ts", "README.md"]) {
    if ((await io.kind(join(dir, file))) !== "file") {
      problems.push({ area: "files", message: `plugins/${name}/${file} is missing` });
    }
  }

  let plugin = registered;
  if (!plugin) {
    problems.push({
      area: "registry",
      message: `not in bundledPlugins() of plugins/index.ts (or its name is not "${name}")`,
    });
    plugin = await instantiateFromFolder(io, dir, name, problems);
  }
  if (plugin) {
    const lint = lintPlugin(plugin);
    problems.push(...lint);
    if (!lint.length) problems.push(...await lintSchedules(plugin));
    if (plugin.description === PLACEHOLDER_DESCRIPTION) {
      problems.push({ area: "metadata", message: "description is still the scaffold's placeholder: say what it does" });
    }
    if (plugin.author === PLACEHOLDER_AUTHOR) {
      problems.push({ area: "metadata", message: `author is still the placeholder "${PLACEHOLDER_AUTHOR}"` });
    }
    if (plugin.name !== name) {
      problems.push({ area: "metadata", message: `name "${plugin.name}" differs from its folder plugins/${name}` });
    }
    problems.push(...lintClientBudget(plugin, await sourceFiles(io, dir, `plugins/${name}`)));
  }

  if (!(await hasTests(io, root, name))) {
    problems.push({
      area: "tests",
      message: `no tests: expected test/plugins/${name}.test.ts (or test/plugins/${name}*.test.ts)`,
    });
  }
  if (plugin && (await io.kind(join(dir, "README.md"))) === "file") {
    problems.push(...readmeProblems(await io.readText(join(dir, "README.md")), plugin, name));
  }
  return problems;
}

async function instantiateFromFolder(
  io: CliIo,
  dir: string,
  name: string,
  problems: Problem[],
): Promise<Plugin | undefined> {
  if ((await io.kind(join(dir, "index.ts"))) !== "file") return undefined;
  let mod: Record<string, unknown>;
  try {
    mod = await io.importModule(join(dir, "index.ts"));
  } catch (error) {
    problems.push({ area: "files", message: `plugins/${name}/index.ts cannot be loaded: ${(error as Error).message}` });
    return undefined;
  }
  for (const value of Object.values(mod)) {
    if (typeof value !== "function" || value.length > 0) continue;
    try {
      const instance = new (value as new () => unknown)();
      if (isPlugin(instance)) return instance;
    } catch {
      // Not a zero-argument class: not the plugin we are looking for.
    }
  }
  problems.push({ area: "files", message: `plugins/${name}/index.ts exports no plugin class that takes no arguments` });
  return undefined;
}

/** The plugin's TypeScript sources (tests left out), for the checks that read code. */
async function sourceFiles(
  io: CliIo,
  dir: string,
  shown: string,
  depth = 0,
): Promise<{ path: string; text: string }[]> {
  const files: { path: string; text: string }[] = [];
  if (depth > 3 || (await io.kind(dir)) !== "dir") return files;
  for (const entry of await io.readDir(dir)) {
    if (entry.isDirectory && entry.name !== "node_modules" && !entry.name.startsWith(".")) {
      files.push(...await sourceFiles(io, join(dir, entry.name), `${shown}/${entry.name}`, depth + 1));
    } else if (entry.isFile && /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) {
      files.push({ path: `${shown}/${entry.name}`, text: await io.readText(join(dir, entry.name)) });
    }
  }
  return files;
}

async function hasTests(io: CliIo, root: string, name: string): Promise<boolean> {
  const dir = join(root, "test", "plugins");
  if ((await io.kind(dir)) !== "dir") return false;
  for (const entry of await io.readDir(dir)) {
    if (entry.isFile && entry.name.startsWith(name) && entry.name.endsWith(".test.ts")) {
      const rest = entry.name.slice(name.length);
      if (rest === ".test.ts" || /^[-.]/.test(rest)) return true;
    }
    if (entry.isDirectory && entry.name === name) {
      if ((await io.readDir(join(dir, name))).some((e) => e.isFile && e.name.endsWith(".test.ts"))) return true;
    }
  }
  return false;
}

/** Every config and secret property must appear in a table row of the README. */
function readmeProblems(readme: string, plugin: Plugin, name: string): Problem[] {
  const rows = readme.split("\n").filter((line) => line.trimStart().startsWith("|"));
  const problems: Problem[] = [];
  for (const [label, schema] of [["config", plugin.CONFIG_SCHEMA], ["secret", plugin.SECRETS_SCHEMA]] as const) {
    const props = Object.keys((schema?.properties ?? {}) as Record<string, unknown>);
    const missing = props.filter((prop) =>
      !rows.some((row) => new RegExp(`[\\s\`|]${escape(prop)}[\\s\`|]`).test(row))
    );
    if (missing.length) {
      problems.push({
        area: "docs",
        message: `plugins/${name}/README.md has no ${label} table row for ${missing.map((m) => `"${m}"`).join(", ")}`,
      });
    }
  }
  return problems;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
