/** Inside real workerd the default console sink logs objects, whose fields Workers Logs indexes. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultLogFormat, getLogger } from "../../src/logger.ts";

afterEach(() => vi.restoreAllMocks());

describe("logs on Workers", () => {
  it("the default sink writes each record as an object", () => {
    const out: unknown[] = [];
    vi.spyOn(console, "log").mockImplementation((value: unknown) => void out.push(value));
    expect(defaultLogFormat()).toBe("object");
    getLogger("kernel.workers-test").info("accepted", { tenant_id: "t-1", correlation_id: "c-1" });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ level: "info", msg: "accepted", tenant_id: "t-1", correlation_id: "c-1" });
    expect(typeof (out[0] as { time: unknown }).time).toBe("string");
  });
});
