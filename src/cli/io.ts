/**
 * What the CLI needs from its runtime, as an interface: the commands stay plain TypeScript over
 * web APIs (so the core's type-check covers them) and tests can hand them a fake. `deno-io.ts`
 * is the one file that talks to Deno.
 */
export interface DirEntry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
}

export interface CliIo {
  cwd(): string;
  readText(path: string): Promise<string>;
  writeText(path: string, text: string): Promise<void>;
  mkdirp(path: string): Promise<void>;
  /** "file", "dir", or null when nothing is there. */
  kind(path: string): Promise<"file" | "dir" | null>;
  readDir(path: string): Promise<DirEntry[]>;
  /** Import a module by absolute path (the plugins, for `dvp check`). */
  importModule(path: string): Promise<Record<string, unknown>>;
  fetch: typeof fetch;
  /** The process environment (`dvp token` reads DVP_ settings from it); none when absent. */
  env?(): Record<string, string | undefined>;
  /** Format generated files in the project's style (deno fmt, line width 120); best effort. */
  format?(paths: string[]): Promise<void>;
  out(line: string): void;
  err(line: string): void;
}

/** Joins POSIX path parts, collapsing duplicate slashes and resolving `.`/`..`. */
export function join(...parts: string[]): string {
  const absolute = parts[0]?.startsWith("/") ?? false;
  const out: string[] = [];
  for (const segment of parts.join("/").split("/")) {
    if (!segment || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return (absolute ? "/" : "") + out.join("/");
}

/** `path` made absolute against `base` (the working directory). */
export function resolvePath(base: string, path: string): string {
  return path.startsWith("/") ? join(path) : join(base, path);
}

/**
 * The project root for a command: `--root` when given, else the nearest directory at or above
 * the working directory that has plugins/index.ts (so `npx dvp` works from any subfolder).
 */
export async function projectRoot(io: CliIo, given: string | undefined): Promise<string> {
  if (given !== undefined) return resolvePath(io.cwd(), given);
  const start = join(io.cwd());
  for (let dir = start;; dir = join(dir, "..")) {
    if ((await io.kind(join(dir, "plugins", "index.ts"))) === "file") return dir;
    if (dir === "/" || dir === "") return start;
  }
}
