import fc from "fast-check";
import { expect, it } from "vitest";
import { codePointCompare } from "../../src/store/sorted-keys.ts";
import { SortedKeys } from "../../src/store/sorted-keys.ts";

it("SortedKeys agrees with a sorted array under random inserts, removes and range reads", () => {
  const key = fc.stringMatching(/^[a-c]{0,4}$/);
  const op = fc.oneof(
    fc.record({ kind: fc.constant("insert" as const), key }),
    fc.record({ kind: fc.constant("remove" as const), key }),
    fc.record({ kind: fc.constant("from" as const), key }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
      const keys = new SortedKeys(codePointCompare);
      const model: string[] = [];
      for (const { kind, key } of ops) {
        if (kind === "insert") {
          const fresh = !model.includes(key);
          expect(keys.insert(key)).toBe(fresh);
          if (fresh) model.push(key), model.sort(codePointCompare);
        } else if (kind === "remove") {
          const present = model.includes(key);
          expect(keys.remove(key)).toBe(present);
          if (present) model.splice(model.indexOf(key), 1);
        } else {
          expect([...keys.from(key)]).toEqual(model.filter((k) => codePointCompare(k, key) >= 0));
        }
        expect(keys.size).toBe(model.length);
      }
    }),
    { numRuns: 50 },
  );
});

it("SortedKeys stays ordered across many chunk splits", () => {
  const keys = new SortedKeys(codePointCompare);
  const all = Array.from({ length: 20_000 }, (_, i) => `k:${String((i * 7919) % 20_000).padStart(5, "0")}`);
  for (const k of all) keys.insert(k);
  for (const k of all.filter((_, i) => i % 3 === 0)) keys.remove(k);
  const expected = all.filter((_, i) => i % 3 !== 0).sort();
  expect([...keys.from("")]).toEqual(expected);
  expect([...keys.from("k:10000")][0]).toBe(expected.find((k) => k >= "k:10000"));
});
