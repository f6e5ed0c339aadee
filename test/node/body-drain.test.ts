/**
 * Refused bodies are drained: read to their end chunk by chunk and dropped, so the sender's
 * keep-alive connection stays usable (test/e2e/oversize.test.ts shows it under wrangler dev),
 * and cancelled only past DRAIN_FACTOR times the limit.
 */
import { describe, expect, it } from "vitest";
import { BodyTooLargeError, discardBody, DRAIN_FACTOR, readBoundedBody } from "../../src/http/body.ts";

const CHUNK = 64 * 1024;

/** A request whose body is `chunks` chunks, recording what was pulled. */
function streamed(chunks: number, headers: Record<string, string> = {}) {
  const seen = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled >= chunks) return controller.close();
      seen.pulled++;
      controller.enqueue(new Uint8Array(CHUNK));
    },
    cancel() {
      seen.cancelled = true;
    },
  }, { highWaterMark: 0 });
  const request = new Request("http://kernel.test/x", { method: "POST", body, headers, duplex: "half" } as RequestInit);
  return { request, seen };
}

describe("draining refused bodies", () => {
  it("an over-limit body without a length is read to its end, not cancelled", async () => {
    const { request, seen } = streamed(32); // 2 MiB
    await expect(readBoundedBody(request, 1024 * 1024)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(seen).toEqual({ pulled: 32, cancelled: false });
  });

  it("a declared length over the limit is refused and the body drained", async () => {
    const { request, seen } = streamed(32, { "content-length": String(32 * CHUNK) });
    await expect(readBoundedBody(request, 1024 * 1024)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(seen).toEqual({ pulled: 32, cancelled: false });
  });

  it("a body past DRAIN_FACTOR times the limit is cancelled once that much has been dropped", async () => {
    const limit = 16 * CHUNK;
    const { request, seen } = streamed(DRAIN_FACTOR * 16 + 16);
    await expect(readBoundedBody(request, limit)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(seen).toEqual({ pulled: DRAIN_FACTOR * 16 + 1, cancelled: true });
  });

  it("a declared length past DRAIN_FACTOR times the limit is not read at all", async () => {
    const { request, seen } = streamed(64, { "content-length": String(64 * CHUNK) });
    await discardBody(request, 8 * CHUNK);
    expect(seen).toEqual({ pulled: 0, cancelled: true });
  });
});
