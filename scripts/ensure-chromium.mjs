#!/usr/bin/env node
/**
 * The browser suite's set-up, run by `npm run test:browser` before it: the suite drives Debian's
 * Chromium (never a downloaded browser). When it is missing and this process may install it (root,
 * with apt-get), it installs Debian's `chromium`, as CI does; otherwise it stops with the one
 * command that fixes it. CHROMIUM_PATH points the suite at another Chromium (nothing is installed).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/**
 * What to do, from the facts alone: "ready" (it is there), "install" (root with apt-get: these
 * commands) or "stop" (the message says what the user runs).
 * @param {{ path: string, custom: boolean, exists: boolean, root: boolean, aptGet: boolean, sudo: boolean }} facts
 * @returns {{ action: "ready" } | { action: "install", commands: string[][] } | { action: "stop", message: string }}
 */
export function chromiumPlan({ path, custom, exists, root, aptGet, sudo }) {
  if (exists) return { action: "ready" };
  if (custom) {
    return { action: "stop", message: `CHROMIUM_PATH=${path} does not exist: point it at a Chromium executable.` };
  }
  if (aptGet && root) {
    return {
      action: "install",
      commands: [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]],
    };
  }
  const fix = aptGet
    ? `${sudo ? "sudo " : ""}apt-get update && ${sudo ? "sudo " : ""}apt-get install -y chromium`
    : `CHROMIUM_PATH=/path/to/chromium npm run test:browser`;
  return {
    action: "stop",
    message: `The browser tests need Chromium at ${path}, which is missing. Run:\n  ${fix}\nthen run the tests again.`,
  };
}

function onPath(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function main() {
  const custom = Boolean(process.env.CHROMIUM_PATH);
  const path = process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
  const plan = chromiumPlan({
    path,
    custom,
    exists: existsSync(path),
    root: process.getuid?.() === 0,
    aptGet: onPath("apt-get"),
    sudo: onPath("sudo"),
  });
  if (plan.action === "ready") return 0;
  if (plan.action === "stop") {
    console.error(plan.message);
    return 1;
  }
  console.log(`installing Debian's chromium for the browser tests (${path} is missing)`);
  for (const [command, ...args] of plan.commands) {
    const run = spawnSync(command, args, {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (run.status !== 0) {
      console.error(`${command} ${args.join(" ")} failed (${run.status ?? run.signal})`);
      return 1;
    }
  }
  if (!existsSync(path)) {
    console.error(`apt-get installed chromium, but ${path} is still missing.`);
    return 1;
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main();
