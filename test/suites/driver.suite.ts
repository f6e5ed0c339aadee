/**
 * The KVDriver conformance suite: one set of expectations, run against memory on Node,
 * Cloudflare KV inside workerd (real local KV binding) and Deno KV under `deno test`.
 * Every test works under its own random prefix, so a shared namespace never leaks between tests.
 */
import type { KVDriver } from "../../src/entries/drivers.ts";
import { listAll } from "../../src/entries/drivers.ts";
import type { Harness } from "./harness.ts";

export interface DriverUnderTest {
  /** A driver; may be the same backend every time (tests use unique prefixes). */
  create(): KVDriver | Promise<KVDriver>;
  /** Expected `driver.name` and `driver.atomic`. */
  name: string;
  atomic: boolean;
  /**
   * A fake clock the driver's expiry follows, when it has one (memory, Deno KV): the suite then
   * checks that keys vanish at their TTL. Cloudflare KV has no such clock and a 60 s minimum.
   */
  clock?: { advance(ms: number): void };
  /** Where the suite's keys live (default `conf:`): the tenant object keeps `hist:` keys in their own table. */
  keyPrefix?: string;
}

/** Code point order: what Cloudflare KV (UTF-8 bytes) and Deno KV use, unlike JS `<` on UTF-16. */
export function codePointCompare(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

export function driverSuite(h: Harness, target: DriverUnderTest): void {
  const { describe, it, expect } = h;
  const ns = () => `${target.keyPrefix ?? "conf:"}${crypto.randomUUID().slice(0, 8)}:`;
  const putAll = async (driver: KVDriver, keys: string[], value = (k: string) => `v(${k})`) => {
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((k) => driver.put(k, value(k))));
    }
  };
  const collect = async (driver: KVDriver, prefix: string, pageSize?: number) => {
    const out: string[] = [];
    for await (const key of listAll(driver, prefix, pageSize)) out.push(key);
    return out;
  };

  describe(`KVDriver conformance: ${target.name}${target.keyPrefix ? ` (${target.keyPrefix} keys)` : ""} on ${h.runtime}`, () => {
    it("names itself and states whether putIfAbsent is atomic", async () => {
      const driver = await target.create();
      expect(driver.name).toBe(target.name);
      expect(driver.atomic).toBe(target.atomic);
    });

    describe("get / put / delete", () => {
      it("returns null for an absent key, the value after put, the new value after overwrite", async () => {
        const driver = await target.create();
        const k = `${ns()}key`;
        expect(await driver.get(k)).toBeNull();
        await driver.put(k, "one");
        expect(await driver.get(k)).toBe("one");
        await driver.put(k, "two");
        expect(await driver.get(k)).toBe("two");
      });

      it("keeps the empty string apart from absence, and values byte for byte", async () => {
        const driver = await target.create();
        const p = ns();
        const json = JSON.stringify({ a: "é日本😀", b: [1, null, true], c: '\u0000\n\t"' });
        await driver.put(`${p}empty`, "");
        await driver.put(`${p}json`, json);
        expect(await driver.get(`${p}empty`)).toBe("");
        expect(await driver.get(`${p}json`)).toBe(json);
      });

      it("stores a 48 KiB value (under every backend's limit)", async () => {
        const driver = await target.create();
        const k = `${ns()}big`;
        const big = "x".repeat(48 * 1024);
        await driver.put(k, big);
        expect(await driver.get(k)).toBe(big);
      });

      it("deletes, and deleting an absent key is not an error", async () => {
        const driver = await target.create();
        const k = `${ns()}gone`;
        await driver.put(k, "v");
        await driver.delete(k);
        expect(await driver.get(k)).toBeNull();
        await driver.delete(k);
        await driver.delete(`${ns()}never-written`);
      });
    });

    describe("getMany", () => {
      it("answers in request order, null for the absent, duplicates included", async () => {
        const driver = await target.create();
        const p = ns();
        await putAll(driver, [`${p}a`, `${p}c`]);
        expect(await driver.getMany([])).toEqual([]);
        expect(await driver.getMany([`${p}c`, `${p}b`, `${p}a`, `${p}c`])).toEqual([
          `v(${p}c)`,
          null,
          `v(${p}a)`,
          `v(${p}c)`,
        ]);
      });

      it("reads more keys than one backend call takes (Deno KV 10, Cloudflare KV 100)", async () => {
        const driver = await target.create();
        const p = ns();
        const keys = Array.from({ length: 230 }, (_, i) => `${p}${String(i).padStart(3, "0")}`);
        await putAll(driver, keys.filter((_, i) => i % 7 !== 3));
        const values = await driver.getMany(keys);
        expect(values).toHaveLength(230);
        keys.forEach((k, i) => expect(values[i]).toBe(i % 7 === 3 ? null : `v(${k})`));
      });
    });

    describe("putIfAbsent", () => {
      it("claims an absent key once; later claims fail and leave the value; after delete it is free again", async () => {
        const driver = await target.create();
        const k = `${ns()}claim`;
        expect(await driver.putIfAbsent(k, "first")).toBe(true);
        expect(await driver.putIfAbsent(k, "second")).toBe(false);
        expect(await driver.get(k)).toBe("first");
        await driver.delete(k);
        expect(await driver.putIfAbsent(k, "third")).toBe(true);
        expect(await driver.get(k)).toBe("third");
      });

      it(
        target.atomic ? "lets exactly one of many concurrent claims win" : "is documented as not atomic",
        async () => {
          const driver = await target.create();
          const k = `${ns()}race`;
          const wins = await Promise.all(Array.from({ length: 12 }, (_, i) => driver.putIfAbsent(k, `w${i}`)));
          const winners = wins.filter(Boolean).length;
          if (target.atomic) {
            expect(winners).toBe(1);
            expect(await driver.get(k)).toBe(`w${wins.indexOf(true)}`);
          } else {
            // Read-then-write: at least one wins, and the key ends up holding one of the values.
            expect(winners).toBeGreaterThanOrEqual(1);
            expect(await driver.get(k)).toMatch(/^w\d+$/);
          }
        },
      );
    });

    describe("putIfUnchanged", () => {
      it(`is ${target.atomic ? "offered" : "absent"} (a compare-and-set needs an atomic backend)`, async () => {
        const driver = await target.create();
        expect(typeof driver.putIfUnchanged).toBe(target.atomic ? "function" : "undefined");
      });

      if (target.atomic) {
        it("writes only over the expected value (null: absent), and says whether it wrote", async () => {
          const driver = await target.create();
          const k = `${ns()}doc`;
          expect(await driver.putIfUnchanged!(k, "v0", "v1")).toBe(false);
          expect(await driver.get(k)).toBeNull();
          expect(await driver.putIfUnchanged!(k, null, "v1")).toBe(true);
          expect(await driver.putIfUnchanged!(k, null, "again")).toBe(false);
          expect(await driver.putIfUnchanged!(k, "v0", "v2")).toBe(false);
          expect(await driver.get(k)).toBe("v1");
          expect(await driver.putIfUnchanged!(k, "v1", "v2", { ttlSeconds: 3600 })).toBe(true);
          expect(await driver.get(k)).toBe("v2");
        });

        it("lets exactly one of many concurrent writers over the same value win", async () => {
          const driver = await target.create();
          const k = `${ns()}race`;
          await driver.put(k, "base");
          const wins = await Promise.all(
            Array.from({ length: 12 }, (_, i) => driver.putIfUnchanged!(k, "base", `w${i}`)),
          );
          expect(wins.filter(Boolean)).toHaveLength(1);
          expect(await driver.get(k)).toBe(`w${wins.indexOf(true)}`);
        });
      }
    });

    describe("deleteIfUnchanged", () => {
      it(`is ${target.atomic ? "offered" : "absent"} (a compare-and-delete needs an atomic backend)`, async () => {
        const driver = await target.create();
        expect(typeof driver.deleteIfUnchanged).toBe(target.atomic ? "function" : "undefined");
      });

      if (target.atomic) {
        it("deletes only the expected value, and says whether it deleted", async () => {
          const driver = await target.create();
          const k = `${ns()}lock`;
          expect(await driver.deleteIfUnchanged!(k, "a")).toBe(false);
          await driver.put(k, "b", { ttlSeconds: 3600 });
          expect(await driver.deleteIfUnchanged!(k, "a")).toBe(false);
          expect(await driver.get(k)).toBe("b");
          expect(await driver.deleteIfUnchanged!(k, "b")).toBe(true);
          expect(await driver.get(k)).toBeNull();
        });

        it("of a delete racing a takeover, the holder's value decides", async () => {
          const driver = await target.create();
          const k = `${ns()}race`;
          await driver.put(k, "a");
          const [deleted, took] = await Promise.all([
            driver.deleteIfUnchanged!(k, "a"),
            driver.putIfUnchanged!(k, "a", "b"),
          ]);
          // Either the delete came first (then the takeover found nothing to replace), or the
          // takeover did (then the delete found another holder): never both.
          expect(deleted !== took).toBe(true);
          expect(await driver.get(k)).toBe(took ? "b" : null);
        });
      }
    });

    describe("claimWith", () => {
      it("claims and writes the others in one commit, or writes nothing when the claim is taken", async () => {
        const driver = await target.create();
        if (!driver.claimWith) return; // offered where one commit can hold them (memory, the tenant object)
        const p = ns();
        const claim = { key: `${p}evt`, value: "event", ttlSeconds: 3600 };
        expect(await driver.claimWith(claim, [{ key: `${p}inbox`, value: "due-1" }])).toBe(true);
        expect(await driver.getMany([`${p}evt`, `${p}inbox`])).toEqual(["event", "due-1"]);
        await driver.delete(`${p}inbox`);
        expect(await driver.claimWith({ ...claim, value: "again" }, [{ key: `${p}inbox`, value: "due-2" }])).toBe(
          false,
        );
        expect(await driver.getMany([`${p}evt`, `${p}inbox`])).toEqual(["event", null]);
      });

      it("removes its deletes in the same commit, and none when the claim is taken", async () => {
        const driver = await target.create();
        if (!driver.claimWith) return;
        const p = ns();
        await driver.put(`${p}inbox`, "due");
        await driver.put(`${p}other`, "kept");
        expect(
          await driver.claimWith({ key: `${p}done`, value: "ok" }, [{ key: `${p}rec`, value: "r" }], [`${p}inbox`]),
        )
          .toBe(true);
        expect(await driver.getMany([`${p}done`, `${p}rec`, `${p}inbox`])).toEqual(["ok", "r", null]);
        expect(await driver.claimWith({ key: `${p}done`, value: "again" }, [], [`${p}other`])).toBe(false);
        expect(await driver.get(`${p}other`)).toBe("kept");
      });

      it("of many concurrent claims of one key, exactly one commits", async () => {
        const driver = await target.create();
        if (!driver.claimWith) return;
        const p = ns();
        const wins = await Promise.all(
          Array.from(
            { length: 20 },
            (_, i) => driver.claimWith!({ key: `${p}evt`, value: `e${i}` }, [{ key: `${p}m${i}`, value: "x" }]),
          ),
        );
        expect(wins.filter(Boolean)).toHaveLength(1);
        const winner = wins.indexOf(true);
        expect(await driver.get(`${p}evt`)).toBe(`e${winner}`);
        expect((await driver.list({ prefix: `${p}m` })).keys).toEqual([`${p}m${winner}`]);
      });
    });

    describe("TTL", () => {
      it("keeps a key with a TTL readable and listable until it expires", async () => {
        const driver = await target.create();
        const p = ns();
        // 1 s: Cloudflare KV would refuse it, so its driver must round up to 60 s.
        await driver.put(`${p}short`, "v", { ttlSeconds: 1 });
        await driver.put(`${p}long`, "v", { ttlSeconds: 3600 });
        expect(await driver.get(`${p}short`)).toBe("v");
        expect(await driver.getMany([`${p}short`, `${p}long`])).toEqual(["v", "v"]);
        expect(await collect(driver, p)).toEqual([`${p}long`, `${p}short`]);
        expect(await driver.putIfAbsent(`${p}short`, "w", { ttlSeconds: 1 })).toBe(false);
      });

      it("refuses a TTL that is not a positive number", async () => {
        const driver = await target.create();
        for (const ttlSeconds of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(driver.put(`${ns()}bad`, "v", { ttlSeconds })).rejects.toThrow(/ttlSeconds/);
        }
      });

      if (target.clock) {
        const clock = target.clock;
        it("hides an expired key from get, getMany and list, and lets putIfAbsent claim it again", async () => {
          const driver = await target.create();
          const p = ns();
          await driver.put(`${p}a`, "a", { ttlSeconds: 60 });
          await driver.put(`${p}b`, "b", { ttlSeconds: 120 });
          await driver.put(`${p}c`, "c");
          clock.advance(60_001);
          expect(await driver.get(`${p}a`)).toBeNull();
          expect(await driver.getMany([`${p}a`, `${p}b`, `${p}c`])).toEqual([null, "b", "c"]);
          expect(await collect(driver, p)).toEqual([`${p}b`, `${p}c`]);
          expect(await driver.putIfAbsent(`${p}a`, "again", { ttlSeconds: 60 })).toBe(true);
          expect(await driver.get(`${p}a`)).toBe("again");
          clock.advance(60_000);
          expect(await driver.get(`${p}b`)).toBeNull();
          expect(await driver.get(`${p}c`)).toBe("c");
          // An overwrite without a TTL makes the key permanent.
          await driver.put(`${p}a`, "forever");
          clock.advance(3_600_000);
          expect(await driver.get(`${p}a`)).toBe("forever");
        });
      }
    });

    describe("list", () => {
      it("lists only keys that start with the prefix, in order, with no cursor on the last page", async () => {
        const driver = await target.create();
        const p = ns();
        await putAll(driver, [`${p}b`, `${p}a:2`, `${p}a:10`, `${p}a:1`, `${p}a`, `${p}ab`, `${p}A`]);
        const page = await driver.list({ prefix: `${p}a` });
        expect(page.keys).toEqual([`${p}a`, `${p}a:1`, `${p}a:10`, `${p}a:2`, `${p}ab`]);
        expect(page.cursor).toBeNull();
        expect((await driver.list({ prefix: `${p}a:` })).keys).toEqual([`${p}a:1`, `${p}a:10`, `${p}a:2`]);
        expect(await driver.list({ prefix: `${p}zzz` })).toEqual({ keys: [], cursor: null });
      });

      it("keeps prefixes that are prefixes of other prefixes apart", async () => {
        const driver = await target.create();
        const p = ns();
        const tenants = ["t1", "t1:x", "t10", "t1x", "t2"];
        for (const t of tenants) await putAll(driver, [`${p}${t}:k1`, `${p}${t}:k2`]);
        expect(await collect(driver, `${p}t1:`)).toEqual([`${p}t1:k1`, `${p}t1:k2`, `${p}t1:x:k1`, `${p}t1:x:k2`]);
        expect(await collect(driver, `${p}t1:x:`)).toEqual([`${p}t1:x:k1`, `${p}t1:x:k2`]);
        expect(await collect(driver, `${p}t10:`)).toEqual([`${p}t10:k1`, `${p}t10:k2`]);
        expect((await collect(driver, `${p}t1`)).length).toBe(8);
      });

      it("pages with a small limit: every key exactly once, in order", async () => {
        const driver = await target.create();
        const p = ns();
        const keys = Array.from({ length: 23 }, (_, i) => `${p}k${String(i).padStart(2, "0")}`);
        await putAll(driver, [...keys].reverse());
        await driver.put(`${p.slice(0, -1)};after`, "not under the prefix");
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: { keys: string[]; cursor: string | null } = await driver.list({ prefix: p, cursor, limit: 5 });
          expect(page.keys.length).toBeLessThanOrEqual(5);
          seen.push(...page.keys);
          cursor = page.cursor;
          pages++;
        } while (cursor);
        expect(seen).toEqual(keys);
        expect(pages).toBeGreaterThanOrEqual(5);
        expect(pages).toBeLessThanOrEqual(6);
      });

      it("pages past 1000 keys with the default limit", async () => {
        const driver = await target.create();
        const p = ns();
        const keys = Array.from({ length: 1234 }, (_, i) => `${p}${String(i).padStart(4, "0")}`);
        await putAll(driver, keys, () => "1");
        const first = await driver.list({ prefix: p });
        expect(first.keys).toEqual(keys.slice(0, 1000));
        expect(first.cursor).not.toBeNull();
        const second = await driver.list({ prefix: p, cursor: first.cursor });
        expect(second.keys).toEqual(keys.slice(1000));
        expect(second.cursor).toBeNull();
        // A limit above the maximum is clamped to 1000.
        expect((await driver.list({ prefix: p, limit: 5000 })).keys).toHaveLength(1000);
      });

      it("reflects deletes", async () => {
        const driver = await target.create();
        const p = ns();
        await putAll(driver, [`${p}1`, `${p}2`, `${p}3`]);
        await driver.delete(`${p}2`);
        expect(await collect(driver, p)).toEqual([`${p}1`, `${p}3`]);
      });
    });

    describe("unicode keys", () => {
      const names = ["z", "é", "日本", "😀", "\uE000", "\uFFFD", "a b", "ß", "Z", "e\u0301", "💡x"];

      it("round-trips unicode keys through get, getMany and list, in code point order", async () => {
        const driver = await target.create();
        const p = ns();
        const keys = names.map((n) => `${p}${n}`);
        await putAll(driver, keys);
        for (const k of keys) expect(await driver.get(k)).toBe(`v(${k})`);
        expect(await driver.getMany(keys)).toEqual(keys.map((k) => `v(${k})`));
        const expected = [...keys].sort(codePointCompare);
        expect(await collect(driver, p)).toEqual(expected);
        expect(await collect(driver, p, 3)).toEqual(expected);
      });

      it("lists under a unicode prefix", async () => {
        const driver = await target.create();
        const p = `${ns()}日本:`;
        await putAll(driver, [`${p}東京`, `${p}大阪`, `${p.slice(0, -1)}語`]);
        expect(await collect(driver, p)).toEqual([`${p}大阪`, `${p}東京`].sort(codePointCompare));
      });
    });
  });
}
