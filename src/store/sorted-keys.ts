/**
 * A sorted set of strings in chunks of at most 512: insert and remove cost a binary search plus
 * a splice inside one chunk, whatever the total, where one flat sorted array moves every later
 * key (at 700,000 keys, ~1 ms per write). Used by the memory driver, so that benchmarks over
 * 100,000 tenants measure the kernel rather than the array.
 */
const CHUNK = 512;

export class SortedKeys {
  readonly #compare: (a: string, b: string) => number;
  #chunks: string[][] = [];
  #size = 0;

  constructor(compare: (a: string, b: string) => number) {
    this.#compare = compare;
  }

  get size(): number {
    return this.#size;
  }

  clear(): void {
    this.#chunks = [];
    this.#size = 0;
  }

  /** Adds `key`; false when it was there already. */
  insert(key: string): boolean {
    if (!this.#chunks.length) {
      this.#chunks.push([key]);
      this.#size = 1;
      return true;
    }
    const c = this.#chunkFor(key);
    const chunk = this.#chunks[c]!;
    const i = this.#lowerBound(chunk, key);
    if (i < chunk.length && chunk[i] === key) return false;
    chunk.splice(i, 0, key);
    this.#size++;
    if (chunk.length > CHUNK) this.#chunks.splice(c + 1, 0, chunk.splice(CHUNK / 2));
    return true;
  }

  /** Removes `key`; false when it was not there. */
  remove(key: string): boolean {
    if (!this.#chunks.length) return false;
    const c = this.#chunkFor(key);
    const chunk = this.#chunks[c]!;
    const i = this.#lowerBound(chunk, key);
    if (i >= chunk.length || chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.#size--;
    if (!chunk.length) this.#chunks.splice(c, 1);
    return true;
  }

  /** The keys at or after `from`, in order. Do not insert or remove while iterating. */
  *from(from: string): Generator<string> {
    if (!this.#chunks.length) return;
    let c = this.#chunkFor(from);
    let i = this.#lowerBound(this.#chunks[c]!, from);
    for (; c < this.#chunks.length; c++, i = 0) {
      const chunk = this.#chunks[c]!;
      for (; i < chunk.length; i++) yield chunk[i]!;
    }
  }

  /** The last chunk whose first key is at or before `key` (the first chunk when none is). */
  #chunkFor(key: string): number {
    let lo = 0, hi = this.#chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.#compare(this.#chunks[mid]![0]!, key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  #lowerBound(chunk: string[], key: string): number {
    let lo = 0, hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#compare(chunk[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Code point order without decoding: JS `<` compares UTF-16 code units, which puts astral
 * characters (surrogate pairs) before U+E000..U+FFFF. Shifting the two ranges at the first
 * differing unit restores code point order, which is UTF-8 byte order.
 */
export function codePointCompare(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x !== y) return fix(x) - fix(y);
  }
  return a.length - b.length;
}

const fix = (unit: number) => (unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit);
