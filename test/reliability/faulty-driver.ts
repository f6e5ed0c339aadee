/**
 * A KVDriver wrapper that injects faults into a real driver (the memory driver here): an
 * operation on matching keys rejects, or is delayed, a given number of times or with a seeded
 * probability. Faults are data, so a test states exactly which write fails and how often.
 */
import type { KVDriver, ListOptions, ListPage, PutOptions } from "../../src/store/driver.ts";

export type KVOp = "get" | "getMany" | "put" | "putIfAbsent" | "putIfUnchanged" | "delete" | "list";

export interface Fault {
  ops: KVOp[];
  /** Keys (or the list prefix) the fault applies to; every key when absent. */
  key?: RegExp;
  /** Reject with this message (a storage outage); absent: no rejection. */
  error?: string;
  /** Wait this long before the operation (a slow replica). */
  delayMs?: number;
  /** How many matching calls it hits before it lifts itself (default: until removed). */
  times?: number;
  /** Chance per matching call, from the driver's seeded random (default 1). */
  probability?: number;
  /**
   * Fail after the operation took effect (an ambiguous write: the backend committed it but the
   * answer was lost). Default: fail before, nothing written.
   */
  after?: boolean;
}

export interface FaultyDriver extends KVDriver {
  readonly inner: KVDriver;
  /** Calls per operation, and how many of them were failed on purpose. */
  readonly stats: Record<KVOp, number> & { injected: number };
  inject(fault: Fault): Fault;
  remove(fault: Fault): void;
  clear(): void;
}

/** mulberry32: a tiny seeded PRNG, so a probabilistic fault run is reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class InjectedFault extends Error {
  constructor(op: KVOp, key: string, message: string) {
    super(`${message} (${op} ${key})`);
    this.name = "InjectedFault";
  }
}

export function createFaultyDriver(inner: KVDriver, options: { seed?: number } = {}): FaultyDriver {
  const faults: Fault[] = [];
  const random = seededRandom(options.seed ?? 1);
  const stats = { get: 0, getMany: 0, put: 0, putIfAbsent: 0, putIfUnchanged: 0, delete: 0, list: 0, injected: 0 };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Runs `run` under the faults matching (op, keys): waits, then throws before or after it. */
  async function gate<T>(op: KVOp, keys: readonly string[], run: () => Promise<T>): Promise<T> {
    stats[op]++;
    let delay = 0;
    let error: string | undefined;
    let after = false;
    for (const fault of [...faults]) {
      if (!fault.ops.includes(op)) continue;
      if (fault.key && !keys.some((k) => fault.key!.test(k))) continue;
      if (fault.probability !== undefined && random() >= fault.probability) continue;
      if (fault.times !== undefined) {
        if (fault.times <= 0) continue;
        if (--fault.times === 0) faults.splice(faults.indexOf(fault), 1);
      }
      delay = Math.max(delay, fault.delayMs ?? 0);
      if (error === undefined && fault.error !== undefined) {
        error = fault.error;
        after = fault.after === true;
      }
    }
    if (delay) await sleep(delay);
    if (error === undefined) return run();
    stats.injected++;
    if (after) await run();
    throw new InjectedFault(op, keys.join(","), error);
  }

  return {
    name: inner.name,
    atomic: inner.atomic,
    inner,
    stats,
    inject(fault) {
      faults.push(fault);
      return fault;
    },
    remove(fault) {
      const i = faults.indexOf(fault);
      if (i >= 0) faults.splice(i, 1);
    },
    clear() {
      faults.length = 0;
    },
    async get(key: string) {
      return gate("get", [key], () => inner.get(key));
    },
    async getMany(keys: readonly string[]) {
      return gate("getMany", keys, () => inner.getMany(keys));
    },
    async put(key: string, value: string, opts?: PutOptions) {
      return gate("put", [key], () => inner.put(key, value, opts));
    },
    async putIfAbsent(key: string, value: string, opts?: PutOptions) {
      return gate("putIfAbsent", [key], () => inner.putIfAbsent(key, value, opts));
    },
    ...(inner.canCompare ? { canCompare: (key: string) => inner.canCompare!(key) } : {}),
    ...(inner.putIfUnchanged
      ? {
        async putIfUnchanged(key: string, expected: string | null, value: string, opts?: PutOptions) {
          return gate("putIfUnchanged", [key], () => inner.putIfUnchanged!(key, expected, value, opts));
        },
      }
      : {}),
    ...(inner.deleteIfUnchanged
      ? {
        // A fault on "delete" applies to a compare-and-delete as well.
        async deleteIfUnchanged(key: string, expected: string) {
          return gate("delete", [key], () => inner.deleteIfUnchanged!(key, expected));
        },
      }
      : {}),
    async delete(key: string) {
      return gate("delete", [key], () => inner.delete(key));
    },
    async list(opts: ListOptions): Promise<ListPage> {
      return gate("list", [opts.prefix], () => inner.list(opts));
    },
  };
}
