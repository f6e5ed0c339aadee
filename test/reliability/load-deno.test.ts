/**
 * The Deno load test (test/deno/load.test.ts) at full size, as part of the reliability run:
 * 2,000 signed webhooks, 32 at a time, 10 tenants × 3 plugins, through Deno.serve on loopback,
 * Deno KV and its queue. Deno runs it in its own process; this reads the figures it prints and
 * passes them on (LOAD_* variables override the size).
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

const SIZE = {
  LOAD_WEBHOOKS: process.env.LOAD_WEBHOOKS ?? "2000",
  LOAD_CONCURRENCY: process.env.LOAD_CONCURRENCY ?? "32",
  LOAD_TENANTS: process.env.LOAD_TENANTS ?? "10",
  LOAD_PLUGINS: process.env.LOAD_PLUGINS ?? "3",
};

function runDeno(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "npx",
      ["deno", "test", "-A", "--unstable-kv", "--unstable-cron", "test/deno/load.test.ts"],
      { env: { ...process.env, ...SIZE, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("load on Deno", () => {
  it(`${SIZE.LOAD_WEBHOOKS} webhooks × ${SIZE.LOAD_PLUGINS} plugins: final records = accepted × plugins`, async () => {
    const { code, output } = await runDeno();
    const line = output.split("\n").find((l) => l.startsWith("LOAD_RESULT "));
    expect(line, output.slice(-3000)).toBeDefined();
    const result = JSON.parse(line!.slice("LOAD_RESULT ".length)) as Record<string, number>;
    console.log(`deno load: ${JSON.stringify(result)}`);
    expect(code, output.slice(-3000)).toBe(0);
    expect(result.accepted).toBe(Number(SIZE.LOAD_WEBHOOKS));
    expect(result.finalRecords).toBe(result.accepted! * Number(SIZE.LOAD_PLUGINS));
  }, 240_000);
});
