/**
 * IP literal parsing and classification for the URL guard. IPv4 is parsed the way the WHATWG
 * URL parser (and therefore every fetch) reads a host: 1 to 4 parts, each decimal, octal (leading
 * 0) or hex (0x), the last part filling the remaining bytes — so `127.1`, `0177.0.0.1`,
 * `0x7f000001` and `2130706433` all mean 127.0.0.1 and are judged as such.
 */

/** The address as 4 bytes, or null when `host` is not an IPv4 literal in any spelling. */
export function parseIpv4(host: string): Uint8Array | null {
  const parts = host.replace(/\.$/, "").split(".");
  if (parts.length === 0 || parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = parseInt(part.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(part)) value = Number(part);
    else return null;
    if (!Number.isSafeInteger(value)) return null;
    values.push(value);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255) || last >= 256 ** (4 - values.length)) return null;
  const out = new Uint8Array(4);
  values.forEach((v, i) => (out[i] = v));
  for (let i = 3, rest = last; i >= values.length; i--, rest = Math.floor(rest / 256)) out[i] = rest % 256;
  return out;
}

/** The address as 16 bytes, or null. Accepts brackets, `::` compression, an IPv4 tail and a zone (`%eth0`). */
export function parseIpv6(host: string): Uint8Array | null {
  let text = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  text = text.replace(/%.*$/, "");
  if (!text.includes(":")) return null;
  const groups: number[] = [];
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parseHalf = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const pieces = half.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(piece) ? piece.split(".").map(Number) : null;
        if (!v4 || v4.some((b) => b > 255)) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) out.push(parseInt(piece, 16));
      else return null;
    }
    return out;
  };
  const head = parseHalf(halves[0]!);
  const tail = halves.length === 2 ? parseHalf(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups.push(...head, ...new Array<number>(missing).fill(0), ...tail);
  } else {
    if (head.length !== 8) return null;
    groups.push(...head);
  }
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

/** [first address, prefix length, why it is not public]. */
type Range = [string, number, string];

const IPV4_BLOCKED: Range[] = [
  ["0.0.0.0", 8, "unspecified/this-network"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local (incl. cloud metadata 169.254.169.254)"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.0.2.0", 24, "documentation"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved/broadcast"],
];

const IPV6_BLOCKED: Range[] = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["100::", 64, "discard-only"],
  ["2001:db8::", 32, "documentation"],
  ["2001::", 32, "Teredo tunnel"],
  ["64:ff9b:1::", 48, "local-use NAT64"], // RFC 8215: translates to whatever the operator's network holds
  ["fc00::", 7, "unique-local"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "site-local (deprecated)"],
  ["ff00::", 8, "multicast"],
];

function inRange(address: Uint8Array, network: Uint8Array, prefix: number): boolean {
  for (let bit = 0; bit < prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((address[bit >> 3]! & mask) !== (network[bit >> 3]! & mask)) return false;
  }
  return true;
}

const V4_TABLE = IPV4_BLOCKED.map(([a, p, why]) => [parseIpv4(a)!, p, why] as const);
const V6_TABLE = IPV6_BLOCKED.map(([a, p, why]) => [parseIpv6(a)!, p, why] as const);

/** Why an IPv4 address is not a public unicast address, or null when it is. */
export function classifyIpv4(address: Uint8Array): string | null {
  for (const [network, prefix, why] of V4_TABLE) if (inRange(address, network, prefix)) return why;
  return null;
}

/**
 * Why an IPv6 address is not public, or null. Addresses that embed an IPv4 address (mapped
 * `::ffff:a.b.c.d`, translated `::ffff:0:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`,
 * 6to4 `2002::/16`) are judged by it; local-use NAT64 and Teredo are refused outright.
 */
export function classifyIpv6(address: Uint8Array): string | null {
  for (const [network, prefix, why] of V6_TABLE) if (inRange(address, network, prefix)) return why;
  const zeros = (from: number, to: number) => address.slice(from, to).every((b) => b === 0);
  let embedded: Uint8Array | null = null;
  if (zeros(0, 10) && address[10] === 0xff && address[11] === 0xff) embedded = address.slice(12);
  // IPv4-translated ::ffff:0:a.b.c.d (RFC 2765).
  else if (zeros(0, 8) && address[8] === 0xff && address[9] === 0xff && zeros(10, 12)) embedded = address.slice(12);
  else if (zeros(0, 12)) embedded = address.slice(12);
  else if (address[0] === 0x00 && address[1] === 0x64 && address[2] === 0xff && address[3] === 0x9b && zeros(4, 12)) {
    embedded = address.slice(12);
  } else if (address[0] === 0x20 && address[1] === 0x02) embedded = address.slice(2, 6);
  if (embedded) {
    const why = classifyIpv4(embedded);
    return why ? `IPv4-embedding address of a ${why} address` : null;
  }
  return null;
}
