/**
 * CliIo on Deno. The core's type-check has no Deno types, so the few Deno calls are reached
 * through a structural type of exactly what is used.
 */
import type { CliIo, DirEntry } from "./io.ts";

interface DenoLike {
  args: string[];
  cwd(): string;
  readTextFile(path: string): Promise<string>;
  writeTextFile(path: string, data: string): Promise<void>;
  mkdir(path: string, options: { recursive: boolean }): Promise<void>;
  stat(path: string): Promise<{ isFile: boolean; isDirectory: boolean }>;
  readDir(path: string): AsyncIterable<DirEntry>;
  exit(code: number): never;
  execPath(): string;
  Command: new (command: string, options: { args: string[]; stdout: "null"; stderr: "null" }) => {
    output(): Promise<{ success: boolean }>;
  };
  errors: { NotFound: new (...args: unknown[]) => Error };
  env: { toObject(): Record<string, string> };
}

export function deno(): DenoLike {
  const value = (globalThis as unknown as { Deno?: DenoLike }).Deno;
  if (!value) throw new Error("the dvp CLI runs under Deno: use `npx dvp …` (bin/dvp.mjs starts it)");
  return value;
}

export function denoIo(): CliIo {
  const d = deno();
  return {
    cwd: () => d.cwd(),
    readText: (path) => d.readTextFile(path),
    writeText: (path, text) => d.writeTextFile(path, text),
    mkdirp: (path) => d.mkdir(path, { recursive: true }),
    async kind(path) {
      try {
        const info = await d.stat(path);
        return info.isDirectory ? "dir" : info.isFile ? "file" : null;
      } catch (error) {
        if (error instanceof d.errors.NotFound) return null;
        throw error;
      }
    },
    async readDir(path) {
      const entries: DirEntry[] = [];
      for await (const e of d.readDir(path)) {
        entries.push({ name: e.name, isFile: e.isFile, isDirectory: e.isDirectory });
      }
      return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    importModule: (path) => import(new URL(`file://${path}`).href),
    fetch: (input, init) => fetch(input, init),
    env: () => d.env.toObject(),
    async format(paths) {
      // The same formatter and width as `npm run format`, so generated files pass `deno fmt --check`.
      const args = ["fmt", "--no-config", "--quiet", "--line-width", "120", ...paths];
      await new d.Command(d.execPath(), { args, stdout: "null", stderr: "null" }).output();
    },
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  };
}
