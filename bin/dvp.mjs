#!/usr/bin/env node
// `npx dvp …`: Node 20 cannot import TypeScript, so the CLI (src/cli/main.ts) runs under Deno,
// from the `deno` npm package's binary (or DVP_DENO, or a deno on PATH). Exit code and signals
// pass through.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const local = join(root, "node_modules", ".bin", process.platform === "win32" ? "deno.cmd" : "deno");
const denoBin = process.env.DVP_DENO || (existsSync(local) ? local : "deno");

const child = spawn(
  denoBin,
  [
    "run",
    "-A",
    "--quiet",
    "--no-lock",
    "--config",
    join(root, "deno.json"),
    join(root, "src", "cli", "main.ts"),
    ...process.argv.slice(2),
  ],
  { stdio: "inherit" },
);
child.on("error", (error) => {
  console.error(`dvp: cannot start Deno (${denoBin}): ${error.message}. Run npm install, or set DVP_DENO.`);
  process.exit(127);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
