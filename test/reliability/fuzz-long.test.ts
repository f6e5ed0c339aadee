/**
 * The long fuzz runs (test/fuzz/http-fuzz.ts): 20,000 random requests per family, against a
 * fresh target each, with the run's seed printed so a failure can be replayed
 * (`FUZZ_SEED=<seed>`). `FUZZ_RUNS` changes the count.
 */
import { describe, expect, it } from "vitest";
import { createFuzzTarget, fuzzAdmin, fuzzWebhooks } from "../fuzz/http-fuzz.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 20_000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;

describe(`long fuzz (${RUNS} runs per family, seed ${SEED})`, () => {
  it("webhooks and filters", async () => {
    const started = performance.now();
    const seen = await fuzzWebhooks(await createFuzzTarget(), RUNS, SEED);
    console.log(
      `fuzz webhooks: ${RUNS} requests in ${Math.round(performance.now() - started)} ms, statuses ${
        JSON.stringify(seen)
      }`,
    );
    expect(Object.keys(seen).every((s) => Number(s) < 500)).toBe(true);
  }, 300_000);

  it("admin API", async () => {
    const started = performance.now();
    const seen = await fuzzAdmin(await createFuzzTarget(), RUNS, SEED);
    console.log(
      `fuzz admin: ${RUNS} requests in ${Math.round(performance.now() - started)} ms, statuses ${JSON.stringify(seen)}`,
    );
    expect(Object.keys(seen).every((s) => Number(s) < 500)).toBe(true);
  }, 300_000);
});
