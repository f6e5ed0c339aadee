#!/usr/bin/env node
// `npx dvp …`. From an installed package the CLI is dist/src/cli/main.js (built by `npm run build`
// at pack time) and runs on Node. In the kernel's own checkout it runs from the sources, under
// Deno (the `deno` npm package's binary, or DVP_DENO, or a deno on PATH), so it never needs a
// build and never runs stale code. Exit code and signals pass through.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "src", "cli", "main.ts");

if (existsSync(source)) runUnderDeno();
else {
  const { run } = await import(pathToFileURL(join(root, "dist", "src", "cli", "main.js")).href);
  const { nodeIo } = await import("./node-io.mjs");
  process.exitCode = await run(process.argv.slice(2), nodeIo());
}

function runUnderDeno() {
  const local = join(root, "node_modules", ".bin", process.platform === "win32" ? "deno.cmd" : "deno");
  const denoBin = process.env.DVP_DENO || (existsSync(local) ? local : "deno");
  const child = spawn(
    denoBin,
    ["run", "-A", "--quiet", "--no-lock", "--config", join(root, "deno.json"), source, ...process.argv.slice(2)],
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
}
