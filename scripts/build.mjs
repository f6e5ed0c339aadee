#!/usr/bin/env node
/**
 * `npm run build` (and `prepack`): dist/ for npm, JavaScript and .d.ts per module.
 *
 * tsc compiles src/ and plugins/ with hono's JSX runtime and rewrites relative `.ts` imports to
 * `.js`, so an installed package needs no TypeScript-aware loader and no tsconfig of its own (a
 * bundler ignores tsconfig files inside node_modules). The Deno adapter is compiled apart, with
 * the declarations `deno types` prints. tsc keeps `.ts` in the .d.ts import paths, which a
 * consumer's tsc would look for next to them: they are rewritten to `.js` here. JSR publishes
 * the TypeScript sources instead (deno.json), so none of this concerns it.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const run = (file, args, options = {}) => execFileSync(file, args, { cwd: root, stdio: "inherit", ...options });

rmSync(join(root, "dist"), { recursive: true, force: true });
run(bin("tsc"), ["-p", "tsconfig.build.json"]);
mkdirSync(join(root, ".dvp"), { recursive: true });
const denoTypes = execFileSync(bin("deno"), ["types"], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
writeFileSync(join(root, ".dvp", "deno-types.d.ts"), denoTypes);
run(bin("tsc"), ["-p", "tsconfig.build-deno.json"]);

/** `from "./x.ts"`, `import("../y.tsx")`: relative specifiers only; packages keep their names. */
const TS_SPECIFIER = /((?:from\s+|import\s*\(\s*)["'])(\.{1,2}\/[^"']+?)\.tsx?(["'])/g;
let declarations = 0;
for (const path of walk(join(root, "dist"))) {
  if (!path.endsWith(".d.ts")) continue;
  const text = readFileSync(path, "utf8");
  const rewritten = text.replace(TS_SPECIFIER, "$1$2.js$3");
  if (rewritten !== text) writeFileSync(path, rewritten);
  declarations++;
}
console.log(`dist/: ${declarations} modules`);

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}
