/** The dev servers' demo upstream keeps its port across restarts, so plugin configs pointed at it stay right. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, without types
import { startDemoUpstream } from "../../scripts/dev-kit.mjs";

interface Upstream {
  url: string;
  port: number;
  close(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), "dvp-dev-kit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("demo upstream", () => {
  it("comes back on the port it had, and moves (remembering the new one) when that port is taken", async () => {
    const statePath = join(dir, "dev.json");
    const quiet = () => {};
    const first: Upstream = await startDemoUpstream({ log: quiet, statePath });
    expect(JSON.parse(readFileSync(statePath, "utf8"))).toEqual({ upstreamPort: first.port });
    await first.close();
    const again: Upstream = await startDemoUpstream({ log: quiet, statePath });
    expect(again.port).toBe(first.port);
    const moved: Upstream = await startDemoUpstream({ log: quiet, statePath }); // `again` holds the port
    expect(moved.port).not.toBe(first.port);
    expect(JSON.parse(readFileSync(statePath, "utf8")).upstreamPort).toBe(moved.port);
    expect((await fetch(`${moved.url}/vercel/deploy-hook`, { method: "POST", body: "{}" })).status).toBe(201);
    await Promise.all([again.close(), moved.close()]);
  });
});
