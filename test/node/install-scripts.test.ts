/**
 * `npm install` stays free of npm 11's "install scripts not yet covered by allowScripts" notice:
 * every installed dependency with an install script is approved or denied in package.json, and
 * CI runs exactly the README's test command.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

describe("install and CI set-up", () => {
  it("every dependency's install script is reviewed in allowScripts", async () => {
    const { stdout } = await promisify(execFile)("npm", ["install-scripts", "ls", "--json"], { cwd: ROOT });
    expect(JSON.parse(stdout)).toEqual({ allowScripts: [] });
  });

  it(".ci/run runs the README's test command and installs nothing of its own", () => {
    const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8");
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(readme).toContain("npm install && npm test ");
    const commands = ci.split("\n").filter((line) => line.trim() && !line.startsWith("#") && !line.startsWith("set "));
    expect(commands).toEqual(['cd "$(dirname "$0")/.."', "npm ci", "npm test"]);
  });
});
