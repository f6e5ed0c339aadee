/**
 * CliIo (src/cli/io.ts) on Node, for the CLI compiled into dist/. Plugins are TypeScript: Node
 * imports them itself when it strips types (22.18 and later); on an older Node they are bundled
 * with esbuild first (wrangler brings it), next to the source so their packages resolve as they
 * would for the app.
 */
import { createRequire } from "node:module";
import { mkdir, readdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

export function nodeIo() {
  return {
    cwd: () => process.cwd(),
    env: () => ({ ...process.env }),
    readText: (path) => readFile(path, "utf8"),
    writeText: (path, text) => writeFile(path, text),
    mkdirp: async (path) => void (await mkdir(path, { recursive: true })),
    async kind(path) {
      try {
        const info = await stat(path);
        return info.isDirectory() ? "dir" : info.isFile() ? "file" : null;
      } catch (error) {
        if (error.code === "ENOENT" || error.code === "ENOTDIR") return null;
        throw error;
      }
    },
    async readDir(path) {
      const entries = await readdir(path, { withFileTypes: true });
      return entries
        .map((e) => ({ name: e.name, isFile: e.isFile(), isDirectory: e.isDirectory() }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    importModule,
    fetch: (input, init) => fetch(input, init),
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  };
}

async function importModule(path) {
  try {
    return await import(pathToFileURL(path).href);
  } catch (error) {
    if (error?.code !== "ERR_UNKNOWN_FILE_EXTENSION") throw error;
  }
  const esbuild = await loadEsbuild(dirname(path));
  const out = join(dirname(path), `.${basename(path)}.dvp-${process.pid}.mjs`);
  await esbuild.build({
    entryPoints: [path],
    outfile: out,
    bundle: true,
    format: "esm",
    platform: "node",
    packages: "external",
    external: ["cloudflare:*"],
    jsx: "automatic",
    jsxImportSource: "hono/jsx",
    logLevel: "silent",
  });
  try {
    return await import(pathToFileURL(out).href);
  } finally {
    await unlink(out).catch(() => {});
  }
}

async function loadEsbuild(from) {
  for (const base of [join(from, "noop.js"), import.meta.filename ?? new URL(import.meta.url).pathname]) {
    try {
      return await import(pathToFileURL(createRequire(base).resolve("esbuild")).href);
    } catch {
      // try the next place
    }
  }
  throw new Error(
    `Node ${process.versions.node} cannot import TypeScript: use Node 22.18 or later, or install esbuild (wrangler brings it)`,
  );
}
