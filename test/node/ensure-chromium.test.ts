/**
 * The browser suite's set-up decides from the facts alone: installs Debian's chromium only as root
 * with apt-get, and otherwise stops with the one command that fixes it.
 */
import { describe, expect, it } from "vitest";
import { chromiumPlan, DEFAULT_CHROMIUM } from "../../scripts/ensure-chromium.mjs";

const missing = { path: DEFAULT_CHROMIUM, custom: false, exists: false, root: false, aptGet: true, sudo: true };

describe("chromiumPlan", () => {
  it("does nothing when Chromium is there", () => {
    expect(chromiumPlan({ ...missing, exists: true })).toEqual({ action: "ready" });
    expect(chromiumPlan({ ...missing, exists: true, custom: true, path: "/opt/c" })).toEqual({ action: "ready" });
  });

  it("installs Debian's chromium as root with apt-get", () => {
    expect(chromiumPlan({ ...missing, root: true })).toEqual({
      action: "install",
      commands: [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]],
    });
  });

  it("stops with the sudo command when not root", () => {
    const plan = chromiumPlan(missing);
    expect(plan.action).toBe("stop");
    expect(plan).toHaveProperty(
      "message",
      expect.stringContaining("sudo apt-get update && sudo apt-get install -y chromium"),
    );
  });

  it("stops with the plain command when there is no sudo", () => {
    const plan = chromiumPlan({ ...missing, sudo: false });
    expect(plan).toHaveProperty("message", expect.stringContaining("  apt-get update && apt-get install -y chromium"));
  });

  it("asks for CHROMIUM_PATH where there is no apt-get, and never installs", () => {
    expect(chromiumPlan({ ...missing, aptGet: false, root: true })).toHaveProperty(
      "message",
      expect.stringContaining("CHROMIUM_PATH=/path/to/chromium npm run test:browser"),
    );
  });

  it("never installs over a CHROMIUM_PATH that is missing", () => {
    expect(chromiumPlan({ ...missing, custom: true, path: "/opt/nope", root: true })).toEqual({
      action: "stop",
      message: "CHROMIUM_PATH=/opt/nope does not exist: point it at a Chromium executable.",
    });
  });
});
