/**
 * The part of semver the kernel needs: parse a version, and test it against a range such as
 * `^1.0.0`, `~1.2`, `>=1.0.0 <2.0.0`, `1.x` or `^1.0.0 || ^2.0.0`. Pre-releases only match a
 * comparator on the same major.minor.patch, as npm does. The Python SDK's form is read too: a
 * comma means "and" (`>=1.0.0,<2.0.0`, as in PEP 440) and `==` means `=`.
 */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
}

const VERSION =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

export function parseVersion(text: string): SemVer | null {
  const m = VERSION.exec(text.trim());
  if (!m) return null;
  return { major: +m[1]!, minor: +m[2]!, patch: +m[3]!, prerelease: m[4] ? m[4].split(".") : [] };
}

export function compareVersions(a: SemVer, b: SemVer): number {
  const d = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (d) return Math.sign(d);
  if (!a.prerelease.length || !b.prerelease.length) return b.prerelease.length - a.prerelease.length;
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i], y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x), ny = /^\d+$/.test(y);
    if (nx && ny) return Math.sign(+x - +y);
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

type Comparator = { op: "<" | "<=" | ">" | ">=" | "="; v: SemVer };

const PARTIAL = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?$/;

function partial(text: string): { parts: (number | null)[]; pre: string[] } | null {
  const m = PARTIAL.exec(text);
  if (!m) return null;
  const num = (s: string | undefined) => (s === undefined || /^[xX*]$/.test(s) ? null : +s);
  const parts = [num(m[1]), num(m[2]), num(m[3])];
  // A wildcard makes every later part a wildcard too (1.x.3 means 1.x).
  const first = parts.indexOf(null);
  if (first >= 0) parts.fill(null, first);
  return { parts, pre: m[4] ? m[4].split(".") : [] };
}

const v = (major: number, minor: number, patch: number, prerelease: string[] = []): SemVer => ({
  major,
  minor,
  patch,
  prerelease,
});

function comparators(token: string): Comparator[] | null {
  const m = /^(\^|~|>=|<=|==|>|<|=)?(.*)$/.exec(token)!;
  const op = m[1] === "==" ? "=" : m[1] ?? "";
  const p = partial(m[2]!);
  if (!p) return null;
  const [ma, mi, pa] = p.parts as [number | null, number | null, number | null];
  if (ma === null) return op === "<" || op === ">" ? [{ op: "<", v: v(0, 0, 0, ["0"]) }] : [];
  const lo = v(ma, mi ?? 0, pa ?? 0, p.pre);
  switch (op) {
    case "^": {
      const hi = ma > 0 || mi === null ? v(ma + 1, 0, 0) : mi > 0 || pa === null ? v(0, mi + 1, 0) : v(0, 0, pa + 1);
      return [{ op: ">=", v: lo }, { op: "<", v: { ...hi, prerelease: ["0"] } }];
    }
    case "~": {
      const hi = mi === null ? v(ma + 1, 0, 0) : v(ma, mi + 1, 0);
      return [{ op: ">=", v: lo }, { op: "<", v: { ...hi, prerelease: ["0"] } }];
    }
    case "":
    case "=": {
      if (pa !== null && mi !== null) return [{ op: "=", v: lo }];
      const hi = mi === null ? v(ma + 1, 0, 0) : v(ma, mi + 1, 0);
      return [{ op: ">=", v: lo }, { op: "<", v: { ...hi, prerelease: ["0"] } }];
    }
    case ">":
      if (pa !== null && mi !== null) return [{ op: ">", v: lo }];
      return [{ op: ">=", v: mi === null ? v(ma + 1, 0, 0) : v(ma, mi + 1, 0) }];
    case "<=":
      if (pa !== null && mi !== null) return [{ op: "<=", v: lo }];
      return [{ op: "<", v: { ...(mi === null ? v(ma + 1, 0, 0) : v(ma, mi + 1, 0)), prerelease: ["0"] } }];
    default:
      return [{ op: op as Comparator["op"], v: lo }];
  }
}

function test(c: Comparator, version: SemVer): boolean {
  const d = compareVersions(version, c.v);
  switch (c.op) {
    case "<":
      return d < 0;
    case "<=":
      return d <= 0;
    case ">":
      return d > 0;
    case ">=":
      return d >= 0;
    default:
      return d === 0;
  }
}

/** Whether `range` is a range this module understands. */
export function validRange(range: string): boolean {
  return parseRange(range) !== null;
}

function parseRange(range: string): Comparator[][] | null {
  const sets: Comparator[][] = [];
  for (const alternative of range.split("||")) {
    const parts = alternative.split(",");
    if (parts.length > 1 && parts.some((part) => !part.trim())) return null;
    const tokens = parts.join(" ").trim().replace(/(\^|~|>=|<=|==|>|<|=)\s+/g, "$1").split(/\s+/).filter(Boolean);
    const set: Comparator[] = [];
    for (const token of tokens.length ? tokens : ["*"]) {
      const cs = comparators(token);
      if (!cs) return null;
      set.push(...cs);
    }
    sets.push(set);
  }
  return sets;
}

export function satisfies(version: string, range: string): boolean {
  const ver = parseVersion(version);
  const sets = parseRange(range);
  if (!ver || !sets) return false;
  return sets.some((set) =>
    set.every((c) => test(c, ver)) &&
    // A pre-release only satisfies a set that names a pre-release of the same version.
    (!ver.prerelease.length ||
      set.some((c) =>
        c.v.prerelease.length && c.v.prerelease[0] !== "0" &&
        c.v.major === ver.major && c.v.minor === ver.minor && c.v.patch === ver.patch
      ))
  );
}
