/**
 * The deployable Worker, with all six plugins and the dashboard, stays under 150 KiB gzip:
 * growth is a decision, not an accident. Built exactly as `wrangler deploy` would build it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { expect, it } from "vitest";

const LIMIT_KIB = 150;

it(`the Worker bundle is at most ${LIMIT_KIB} KiB gzip`, () => {
  const dir = mkdtempSync(join(tmpdir(), "dvp-bundle-"));
  try {
    execFileSync("node_modules/.bin/wrangler", ["deploy", "--dry-run", "--outdir", dir], { stdio: "pipe" });
    const bundle = readFileSync(join(dir, "worker.js"));
    const kib = gzipSync(bundle, { level: 9 }).length / 1024;
    const text = bundle.toString("utf8");
    for (const plugin of ["s3-static-deployer", "domain-health-monitor"]) {
      expect(text.includes(plugin), `${plugin} is in the bundle`).toBe(true);
    }
    expect(kib).toBeLessThanOrEqual(LIMIT_KIB);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
