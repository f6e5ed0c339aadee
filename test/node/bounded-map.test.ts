import { describe, expect, it } from "vitest";
import { BoundedMap } from "../../src/cache/bounded-map.ts";

describe("BoundedMap", () => {
  it("drops the oldest entry when a new key comes past the bound", () => {
    const dropped: string[] = [];
    const map = new BoundedMap<string, number>(2, (key) => dropped.push(key));
    map.set("a", 1).set("b", 2).set("c", 3);
    expect([...map.keys()]).toEqual(["b", "c"]);
    expect(dropped).toEqual(["a"]);
  });

  it("setting a key again makes it the newest and drops nothing", () => {
    const dropped: string[] = [];
    const map = new BoundedMap<string, number>(2, (key) => dropped.push(key));
    map.set("a", 1).set("b", 2).set("a", 3).set("c", 4);
    expect([...map]).toEqual([["a", 3], ["c", 4]]);
    expect(dropped).toEqual(["b"]);
  });

  it("touch makes an entry the newest, so the least recently used goes first", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1).set("b", 2);
    expect(map.touch("a")).toBe(1);
    expect(map.touch("missing")).toBeUndefined();
    map.set("c", 3);
    expect([...map.keys()]).toEqual(["a", "c"]);
  });

  it("delete and clear are not evictions", () => {
    const dropped: string[] = [];
    const map = new BoundedMap<string, number>(3, (key) => dropped.push(key));
    map.set("a", 1).set("b", 2);
    map.delete("a");
    map.clear();
    expect(dropped).toEqual([]);
    expect(map.size).toBe(0);
  });

  it("refuses a bound that could hold nothing", () => {
    expect(() => new BoundedMap(0)).toThrow(RangeError);
    expect(() => new BoundedMap(1.5)).toThrow(RangeError);
  });
});
