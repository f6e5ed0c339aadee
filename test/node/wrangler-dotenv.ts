/**
 * wrangler's own dotenv and dotenv-expand, as bundled in node_modules/wrangler/wrangler-dist/cli.js
 * (wrangler does not export them), so tests check files against the exact code `wrangler dev`
 * reads them with rather than against a guess of its rules.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const CLI = join(import.meta.dirname, "..", "..", "node_modules", "wrangler", "wrangler-dist", "cli.js");

interface Dotenv {
  parse(text: string): Record<string, string>;
}
interface DotenvExpand {
  expand(options: { processEnv: Record<string, string>; parsed: Record<string, string> }): unknown;
}

/** The body of one bundled CommonJS module (`"…/<name>@x.y.z/…/lib/main.js"(exports, module2) {…}`). */
function bundledModule(source: string, name: string): unknown {
  const head = new RegExp(`"[^"\\n]*/${name}@[\\d.]+/node_modules/${name}/lib/main\\.js"\\(exports, module2\\) \\{`)
    .exec(source);
  if (!head) throw new Error(`${name} is not bundled in ${CLI} as expected`);
  const start = head.index + head[0].length;
  const end = source.indexOf("\n  }\n});", start);
  const module = { exports: {} as Record<string, unknown> };
  const run = new Function(
    "exports",
    "module2",
    "__require",
    "__name",
    "init_import_meta_url",
    "require_package",
    source.slice(start, end),
  );
  run(module.exports, module, createRequire(CLI), (f: unknown) => f, () => {}, () => ({ version: "bundled" }));
  return module.exports;
}

const source = readFileSync(CLI, "utf8");
const dotenv = bundledModule(source, "dotenv") as Dotenv;
const dotenvExpand = bundledModule(source, "dotenv-expand") as DotenvExpand;

/** `.dev.vars` as `wrangler dev` reads it when no --env-file is given: dotenv's parse alone. */
export function wranglerDevVars(text: string): Record<string, string> {
  return dotenv.parse(text);
}

/**
 * An `--env-file` as `wrangler dev` reads it (loadDotEnv in cli.js): dotenv, then dotenv-expand
 * over an empty process environment (CLOUDFLARE_INCLUDE_PROCESS_ENV unset).
 */
export function wranglerEnvFile(text: string): Record<string, string> {
  const parsed = dotenv.parse(text);
  const processEnv: Record<string, string> = {};
  dotenvExpand.expand({ processEnv, parsed });
  return processEnv;
}
