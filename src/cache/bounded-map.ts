/**
 * A Map that holds at most `max` entries, for the isolate-level caches (keys, tokens, tenants,
 * compiled patterns): memory stays bounded however many tenants or values an isolate meets.
 * `set` makes its key the newest; a new key past the bound drops the oldest first, so the
 * entries kept are the most recently set (and, with `touch` on reads, the most recently used).
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly #max: number;
  readonly #onEvict: ((key: K, value: V) => void) | undefined;

  /** `onEvict` hears of each entry dropped for room (not of `delete` or `clear`). */
  constructor(max: number, onEvict?: (key: K, value: V) => void) {
    super();
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`BoundedMap: max must be a positive integer, not ${max}`);
    }
    this.#max = max;
    this.#onEvict = onEvict;
  }

  get max(): number {
    return this.#max;
  }

  override set(key: K, value: V): this {
    if (!super.delete(key) && this.size >= this.#max) {
      const oldest = super.entries().next();
      if (!oldest.done) {
        const [k, v] = oldest.value;
        super.delete(k);
        this.#onEvict?.(k, v);
      }
    }
    return super.set(key, value);
  }

  /** The value, made the newest entry (least recently used goes first). */
  touch(key: K): V | undefined {
    if (!super.has(key)) return undefined;
    const value = super.get(key)!;
    super.delete(key);
    super.set(key, value);
    return value;
  }
}
