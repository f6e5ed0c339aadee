/**
 * The work queue over Deno KV's `enqueue`/`listenQueue`, with group commit for accepted
 * webhooks: while one commit is in flight, the claims that arrive wait and then go together in
 * the next commit (the checks and sets of up to maxGroup events and ONE queue message carrying
 * all of their work messages, in one transaction). An idle server commits each claim at once; a
 * busy one pays one KV transaction and one queue delivery per group instead of one per webhook.
 * The consumer unpacks a delivery with `queuedMessages`; a delivery is retried as a whole, which
 * is safe because processing is idempotent per (event, plugin). The Kv comes in through a
 * structural type, so the core needs no Deno types.
 *
 * Claims are written the way createDenoKVDriver stores keys: the one-part key `[key]`, a plain
 * string value, `expireIn` for the TTL.
 */
import type { WorkMessage, WorkQueue } from "../queue.ts";

type DenoKey = readonly (string | number | bigint | boolean | symbol | Uint8Array)[];

interface EnqueueOptions {
  backoffSchedule?: number[];
  keysIfUndelivered?: DenoKey[];
}

export interface DenoKvQueueAtomicLike {
  check(...checks: { key: DenoKey; versionstamp: string | null }[]): DenoKvQueueAtomicLike;
  set(key: DenoKey, value: unknown, options?: { expireIn?: number }): DenoKvQueueAtomicLike;
  enqueue(value: unknown, options?: EnqueueOptions): DenoKvQueueAtomicLike;
  commit(): Promise<{ ok: boolean }>;
}

/** The part of `Deno.Kv` the queue uses. */
export interface DenoKvQueueLike {
  atomic(): DenoKvQueueAtomicLike;
  enqueue(value: unknown, options?: EnqueueOptions): Promise<{ ok: boolean }>;
  get(key: DenoKey): Promise<{ value: unknown; versionstamp: string | null }>;
}

export interface DenoKvWorkQueueOptions {
  /** Redelivery delays after a failed delivery (ms). */
  backoffMs?: number[];
  /** Undeliverable messages are kept under [prefix, kind, tenant, uuid]. */
  deadLetterPrefix?: string;
  /** Claims per group commit (default 32). */
  maxGroup?: number;
  now?: () => number;
}

interface Pending {
  claim: { key: string; value: string; ttlSeconds: number };
  message: WorkMessage;
  resolve(claimed: boolean): void;
  reject(error: unknown): void;
}

const DEFAULT_BACKOFF_MS = [5_000, 30_000, 60_000, 120_000, 300_000];

/** One queue value for the work messages of a group commit. */
interface QueuedGroup {
  group: WorkMessage[];
}

/** The work messages in one value delivered by `listenQueue`: a group's, or the value itself. */
export function queuedMessages(value: unknown): unknown[] {
  const group = (value as Partial<QueuedGroup> | null)?.group;
  return Array.isArray(group) ? group : [value];
}

export function createDenoKvWorkQueue(kv: DenoKvQueueLike, options: DenoKvWorkQueueOptions = {}): WorkQueue {
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const prefix = options.deadLetterPrefix ?? "dvp-dead-letter";
  const maxGroup = Math.max(1, options.maxGroup ?? 32);
  const now = options.now ?? Date.now;
  const enqueueOptions = (message: WorkMessage): EnqueueOptions => ({
    backoffSchedule: backoff,
    keysIfUndelivered: [[prefix, message.kind, message.tenantId, crypto.randomUUID()]],
  });
  const claim = (op: DenoKvQueueAtomicLike, p: Pending, versionstamp: string | null) =>
    op.check({ key: [p.claim.key], versionstamp })
      .set([p.claim.key], p.claim.value, { expireIn: p.claim.ttlSeconds * 1000 });
  const add = (op: DenoKvQueueAtomicLike, p: Pending, versionstamp: string | null) =>
    claim(op, p, versionstamp).enqueue(p.message, enqueueOptions(p.message));

  /** One claim on its own; a leftover the driver already treats as expired ({v, exp} past exp) is taken over. */
  const single = async (p: Pending): Promise<boolean> => {
    if ((await add(kv.atomic(), p, null).commit()).ok) return true;
    const current = await kv.get([p.claim.key]);
    const value = current.value as { exp?: number } | string | null;
    const expired = value !== null && typeof value === "object" && typeof value.exp === "number" &&
      value.exp <= now();
    return expired ? (await add(kv.atomic(), p, current.versionstamp).commit()).ok : false;
  };

  let waiting: Pending[] = [];
  let committing = false;

  const flush = async (): Promise<void> => {
    committing = true;
    while (waiting.length) {
      const group: Pending[] = [];
      const keys = new Set<string>();
      const rest: Pending[] = [];
      for (const p of waiting) {
        // The same key twice in one transaction would pass both absence checks: keep one per group.
        if (group.length < maxGroup && !keys.has(p.claim.key)) {
          group.push(p);
          keys.add(p.claim.key);
        } else rest.push(p);
      }
      waiting = rest;
      try {
        let op = kv.atomic();
        for (const p of group) op = claim(op, p, null);
        const value: QueuedGroup = { group: group.map((p) => p.message) };
        op = op.enqueue(value, enqueueOptions(group[0]!.message));
        if ((await op.commit()).ok) {
          for (const p of group) p.resolve(true);
          continue;
        }
        // Some key exists (a duplicate): settle each on its own.
        await Promise.all(group.map((p) => single(p).then(p.resolve, p.reject)));
      } catch (error) {
        for (const p of group) p.reject(error);
      }
    }
    committing = false;
  };

  return {
    async send(message) {
      const result = await kv.enqueue(message, enqueueOptions(message));
      if (!result.ok) throw new Error("Deno KV refused to enqueue the message");
    },
    claimAndSend(claim, message) {
      return new Promise<boolean>((resolve, reject) => {
        waiting.push({ claim, message, resolve, reject });
        if (!committing) void flush();
      });
    },
  };
}
