/**
 * The settings `npm start` hands wrangler (`--env-file`) arrive unchanged, checked against
 * wrangler's own bundled dotenv + dotenv-expand; and `.dev.vars` is read by the dev scripts and
 * `dvp token` exactly as wrangler reads it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readDevVars } from "../../src/cli/token.ts";
import { wranglerDevVars, wranglerEnvFile } from "./wrangler-dotenv.ts";
// @ts-expect-error: a plain .mjs script without type declarations
import { parseVars, writeEnvFile } from "../../scripts/dev-kit.mjs";

const dir = mkdtempSync(join(tmpdir(), "dvp-env-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function roundTrip(settings: Record<string, string>): Record<string, string> {
  const path = join(dir, "wrangler-dev.env");
  writeEnvFile(path, settings);
  return wranglerEnvFile(readFileSync(path, "utf8"));
}

describe("npm start's env file for wrangler dev", () => {
  it("hands every value over unchanged: $, ${…}, quotes, backslashes, #, spaces", () => {
    const settings = {
      DVP_ADMIN_JWT_SECRET: 'abc$HOME_x-p${X:-y}w-a"quote"b-back\\slash-\\$HOME-end\\',
      DVP_MASTER_KEYS: "dev:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
      DVP_A: "$",
      DVP_B: "${DVP_A}",
      DVP_C: "  spaced # not a comment  ",
      DVP_D: 'it\'s ${DVP_A}-less "dq"',
      DVP_E: "it's",
      DVP_F: "\\\\$$\\",
      DVP_G: "",
    };
    expect(roundTrip(settings)).toEqual(settings);
  });

  it("refuses, naming the setting, a value wrangler's parser cannot carry", () => {
    for (const value of ["two\nlines", "cr\rhere", "both ' and `"]) {
      expect(() => writeEnvFile(join(dir, "refused.env"), { DVP_ADMIN_JWT_SECRET: value })).toThrow(
        /DVP_ADMIN_JWT_SECRET/,
      );
    }
  });
});

describe(".dev.vars", () => {
  const text = [
    "# c",
    'A="x y"',
    "B=plain  # note",
    "",
    '  C = "q" ',
    "export D='single'",
    "E=`back`",
    "F= spaced ",
    'G="a#b"',
    'H="new\\nline"',
    "I='no\\nexpansion $HOME'",
    'J="multi',
    'line"',
    "K=bare $HOME \\$x",
    "bad line",
    "lower=ok",
    "dotted.key=1",
    "",
  ].join("\r\n");

  it("is read by the dev scripts and dvp token as wrangler dev reads it (dotenv, no expansion)", () => {
    const wrangler = wranglerDevVars(text);
    expect(wrangler.H).toBe("new\nline"); // the corpus does reach dotenv's own rules
    expect(parseVars(text)).toEqual(wrangler);
    expect(readDevVars(text)).toEqual(wrangler);
  });
});
