import { describe, expect, it } from "vitest";
import { PluginError } from "../../src/index.ts";
import { upstreamError } from "../../src/index.ts";

describe("upstreamError", () => {
  it("is final (PluginError) for a refusal a retry cannot change", () => {
    for (const status of [400, 401, 403, 404, 409, 422]) {
      const error = upstreamError(`HTTP ${status}`, { status });
      expect(error, String(status)).toBeInstanceOf(PluginError);
      expect(error.message).toBe(`HTTP ${status}`);
    }
  });

  it("asks for a retry (a plain Error) on time-outs, rate limits, 5xx, no answer and an unreadable body", () => {
    const cases = [{ status: 408 }, { status: 429 }, { status: 500 }, { status: 503 }, { status: 0 }, {
      status: 200,
      code: "invalid_body",
    }];
    for (const failure of cases) {
      const error = upstreamError("upstream failed", failure);
      expect(error, JSON.stringify(failure)).not.toBeInstanceOf(PluginError);
      expect(error).toBeInstanceOf(Error);
    }
  });

  it("takes a fetch Response as it is", () => {
    expect(upstreamError("gone", new Response(null, { status: 404 }))).toBeInstanceOf(PluginError);
    expect(upstreamError("busy", new Response(null, { status: 503 }))).not.toBeInstanceOf(PluginError);
  });
});
