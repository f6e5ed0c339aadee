/** Running the dvp CLI as a user does (node bin/dvp.mjs → Deno), in throwaway project roots. */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export const run = promisify(execFile);
export const REPO = join(import.meta.dirname, "..", "..");
const DVP = join(REPO, "bin", "dvp.mjs");

/** The shape plugins/index.ts has in the repo: an options interface and `return [ … ]`. */
export const INDEX = `/** The bundled plugins. */
import type { Plugin } from "../src/index.ts";
import type { TcpConnect } from "../src/net/tcp.ts";

export interface BundledPluginOptions {
  connect?: TcpConnect;
}

export function bundledPlugins(_options: BundledPluginOptions = {}): Plugin[] {
  return [];
}
`;

export async function dvp(
  args: string[],
  cwd = REPO,
  env: Record<string, string | undefined> = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [DVP, ...args], { cwd, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** A throwaway project root: plugins/index.ts of its own, src and node_modules linked from the repo. */
export function tempRoot(index = INDEX): string {
  const root = mkdtempSync(join(tmpdir(), "dvp-cli-"));
  mkdirSync(join(root, "plugins"));
  writeFileSync(join(root, "plugins", "index.ts"), index);
  symlinkSync(join(REPO, "src"), join(root, "src"));
  symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"));
  return root;
}
