/** Quick fuzz of the webhook and filter endpoints (the long run is in the reliability suite). */
import { describe, expect, it } from "vitest";
import { createFuzzTarget, fuzzWebhooks } from "../fuzz/http-fuzz.ts";

describe("fuzz: webhooks and filters", () => {
  it("random bodies, headers, signatures and paths: never 5xx, never a hang, errors are problem+json", async () => {
    const seen = await fuzzWebhooks(await createFuzzTarget(), 1500);
    // The inputs reach past the signature check into every refusal and into acceptance.
    for (const status of [200, 202, 400, 401, 404, 413, 415, 422]) {
      expect(seen[status] ?? 0, `status ${status} in ${JSON.stringify(seen)}`).toBeGreaterThan(0);
    }
  }, 20_000);
});
