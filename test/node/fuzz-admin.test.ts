/** Quick fuzz of the admin API (the long run is in the reliability suite). */
import { describe, expect, it } from "vitest";
import { createFuzzTarget, fuzzAdmin } from "../fuzz/http-fuzz.ts";

describe("fuzz: admin API", () => {
  it("random routes, ids, tokens, methods and bodies: never 5xx, never a hang, errors are problem+json", async () => {
    const seen = await fuzzAdmin(await createFuzzTarget(), 1500);
    for (const status of [200, 401, 403, 404, 405, 415, 422]) {
      expect(seen[status] ?? 0, `status ${status} in ${JSON.stringify(seen)}`).toBeGreaterThan(0);
    }
  }, 20_000);
});
