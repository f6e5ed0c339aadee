/**
 * What the console sink writes: an object on Cloudflare Workers (Workers Logs and `wrangler tail`
 * index its fields), one JSON line elsewhere; the same fields either way, secrets scrubbed in both.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { consoleSinkFor, defaultLogFormat, getLogger, LogConfig } from "../../src/logger.ts";

const SECRET = "sk_live_0123456789abcdefghij";

function capture() {
  const out: { method: string; value: unknown }[] = [];
  for (const method of ["log", "warn", "error"] as const) {
    vi.spyOn(console, method).mockImplementation((value: unknown) => void out.push({ method, value }));
  }
  return out;
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe("log format", () => {
  it("an object on Workers, with exactly the fields of the line and no secret anywhere", () => {
    const lines: string[] = [];
    const sink = consoleSinkFor("object");
    const config = new LogConfig({ sink: (record, line) => (lines.push(line), sink(record, line)) });
    config.addSecretValue(SECRET);
    const out = capture();
    const log = getLogger("kernel.test", config).child({ tenant_id: "t-1", plugin: "vercel-deployer" });
    log.info(`calling with ${SECRET}`, {
      correlation_id: "c-1",
      api_key: "plain-key-value",
      nested: { deep: [`x ${SECRET} y`], when: new Date(0), big: Number.NaN },
    });
    log.warn("slow");
    log.exception("failed", new Error(`upstream said ${SECRET}`));
    expect(out.map((o) => o.method)).toEqual(["log", "warn", "error"]);
    for (const [i, { value }] of out.entries()) {
      expect(typeof value).toBe("object");
      expect(value).toEqual(JSON.parse(lines[i]!));
      expect(JSON.stringify(value)).not.toContain(SECRET);
    }
    expect(out[0]!.value).toMatchObject({
      level: "info",
      logger: "kernel.test",
      tenant_id: "t-1",
      plugin: "vercel-deployer",
      correlation_id: "c-1",
      api_key: "[redacted]",
      msg: "calling with [redacted]",
      nested: { deep: ["x [redacted] y"], when: "1970-01-01T00:00:00.000Z", big: null },
    });
  });

  it("one line of JSON text elsewhere, the same fields", () => {
    const out = capture();
    const config = new LogConfig({ sink: consoleSinkFor("line") });
    getLogger("kernel.test", config).error("broken", { tenant_id: "t-2" });
    expect(out).toHaveLength(1);
    expect(out[0]!.method).toBe("error");
    const line = out[0]!.value as string;
    expect(typeof line).toBe("string");
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toMatchObject({ level: "error", msg: "broken", logger: "kernel.test", tenant_id: "t-2" });
  });

  it("a secret too long for one pattern is scrubbed from the object as from the line", () => {
    const huge = "k".repeat(20_000) + "-tail";
    const out = capture();
    const config = new LogConfig({ sink: consoleSinkFor("object") });
    config.addSecretValue(huge);
    getLogger("kernel.test", config).info("x", { detail: { text: `<${huge}>` } });
    expect(out[0]!.value).toMatchObject({ detail: { text: "<[redacted]>" } });
  });

  it("the format follows the runtime: object in workerd, line on Node", () => {
    expect(defaultLogFormat()).toBe("line");
    vi.stubGlobal("navigator", { userAgent: "Cloudflare-Workers" });
    expect(defaultLogFormat()).toBe("object");
  });
});
