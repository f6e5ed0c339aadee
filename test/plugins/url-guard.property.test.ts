/** Property tests: the guard reads every IPv4 spelling as the URL parser does, and judges by the address. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyIpv4, parseIpv4 } from "../../src/net/ip.ts";
import { checkUrl, hostProblem } from "../../src/net/url-guard.ts";

type Radix = "dec" | "oct" | "hex";
const radix = fc.constantFrom<Radix>("dec", "oct", "hex");
const write = (
  n: number,
  r: Radix,
) => (r === "dec" ? String(n) : r === "oct" ? `0${n.toString(8)}` : `0x${n.toString(16)}`);

/** One of the 1-4 part forms of an address, each part in its own radix. */
const spelling = (bytes: number[]) =>
  fc.tuple(fc.integer({ min: 1, max: 4 }), radix, radix, radix, radix).map(([parts, r0, r1, r2, r3]) => {
    const [a, b, c, d] = bytes as [number, number, number, number];
    const radixes = [r0, r1, r2, r3];
    if (parts === 1) return write(((a << 24) >>> 0) + (b << 16) + (c << 8) + d, r0);
    if (parts === 2) return [write(a, r0), write((b << 16) + (c << 8) + d, r1)].join(".");
    if (parts === 3) return [write(a, r0), write(b, r1), write((c << 8) + d, r2)].join(".");
    return bytes.map((x, i) => write(x, radixes[i]!)).join(".");
  });

const address = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });

describe("URL guard properties", () => {
  it("parses every IPv4 spelling to the same address as the WHATWG URL parser", () => {
    fc.assert(
      fc.property(address.chain((bytes) => fc.tuple(fc.constant(bytes), spelling(bytes))), ([bytes, text]) => {
        expect(new URL(`https://${text}/`).hostname).toBe(bytes.join("."));
        expect([...parseIpv4(text)!]).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses a URL exactly when its address is non-public, whatever the spelling", () => {
    fc.assert(
      fc.property(address.chain((bytes) => fc.tuple(fc.constant(bytes), spelling(bytes))), ([bytes, text]) => {
        const nonPublic = classifyIpv4(Uint8Array.from(bytes)) !== null;
        expect(checkUrl(`https://${text}/x`).ok).toBe(!nonPublic);
        expect(hostProblem(text) !== null).toBe(nonPublic);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses every loopback, private and link-local address in IPv4-mapped IPv6 form", () => {
    const privateV4 = fc.oneof(
      fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
    );
    fc.assert(
      fc.property(privateV4, fc.boolean(), (bytes, dotted) => {
        const tail = dotted
          ? bytes.join(".")
          : `${((bytes[0] << 8) | bytes[1]).toString(16)}:${((bytes[2] << 8) | bytes[3]).toString(16)}`;
        expect(checkUrl(`https://[::ffff:${tail}]/`).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
