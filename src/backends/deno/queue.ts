/**
 * The work queue over Deno KV's `enqueue`/`listenQueue`, with group commit for accepted
 * webhooks: while one commit is in flight, the claims that arrive wait and then go together in
 * the next commit (the checks and sets of up to maxGroup events and ONE queue message carrying
 * all of their work messages, one per (event, plugin), in one transaction). An idle server commits each claim at once; a
 * busy one pays one KV transaction and one queue delivery per group instead of one per webhook.
 * The consumer unpacks a delivery with `queuedMessages` and settles it with `settleDelivery`: the
 * messages that did not finish go again on their own, so a failing (event, plugin) holds back
 * none of the others in its group. The Kv comes in through a structural type, so the core needs
 * no Deno types.
 *
 * Claims are written the way createDenoKVDriver stores a value with a TTL: the one-part key
 * `[key]`, the value `{ v, exp }` (its text and deadline) and `expireIn`. Deno KV may return a key
 * for a while after its expireIn, so the driver's reads and the takeover in `single` go by `exp`.
 */
import { KernelError } from "../../errors.ts";
import type { WorkMessage, WorkQueue } from "../../queue.ts";
import { isTooLarge } from "./kv.ts";

type DenoKey = readonly (string | number | bigint | boolean | symbol | Uint8Array)[];

interface EnqueueOptions {
  delay?: number;
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
  /** Undeliverable messages are kept under [prefix, kind, tenant, uuid]; groups under [prefix, "group", uuid]. */
  deadLetterPrefix?: string;
  /** Claims per group commit (default 32). */
  maxGroup?: number;
  now?: () => number;
}

interface Pending {
  claim: { key: string; value: string; ttlSeconds: number };
  messages: WorkMessage[];
  resolve(claimed: boolean): void;
  reject(error: unknown): void;
}

const DEFAULT_BACKOFF_MS = [5_000, 30_000, 60_000, 120_000, 300_000];
/** Bytes of claims one group commit carries at most (Deno KV's limit per transaction is 800 KiB). */
const GROUP_MAX_BYTES = 512 * 1024;

/** One queue value for the work messages of a group commit, or of a redelivery (`tries`: how many came before). */
interface QueuedGroup {
  group: WorkMessage[];
  tries?: number;
}

/** The work messages in one value delivered by `listenQueue`: a group's, or the value itself. */
export function queuedMessages(value: unknown): unknown[] {
  const group = (value as Partial<QueuedGroup> | null)?.group;
  return Array.isArray(group) ? group : [value];
}

/**
 * Settles one delivered value without throwing: a throw is Deno KV's way to ask for the value
 * again (all of it, printing "Exception in queue handler" each time). The messages not finished
 * (`unfinished`, as `queuedMessages` gave them) are enqueued again, together, after `delayMs` (the
 * kernel's backoff for a hook that failed) or else the next delay of `backoffMs`; after as many
 * redeliveries as `backoffMs` has delays they are kept under [deadLetterPrefix, "group", uuid], as
 * Deno KV keeps what it could not deliver, for the tick to record. Rejects only when that write
 * fails, and then Deno KV delivers the whole value again (finished messages are no-ops).
 */
export async function settleDelivery(
  kv: Pick<DenoKvQueueLike, "enqueue" | "atomic">,
  value: unknown,
  unfinished: readonly unknown[],
  options: { backoffMs?: number[]; deadLetterPrefix?: string; delayMs?: number } = {},
): Promise<void> {
  if (unfinished.length === 0) return;
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const prefix = options.deadLetterPrefix ?? "dvp-dead-letter";
  const tries = Number((value as Partial<QueuedGroup> | null)?.tries ?? 0) || 0;
  const deadLetter: DenoKey = [prefix, "group", crypto.randomUUID()];
  const again = { group: unfinished, tries: tries + 1 };
  if (tries >= backoff.length) {
    const { ok } = await kv.atomic().set(deadLetter, again).commit();
    if (!ok) throw new Error("Deno KV refused to keep an undeliverable message");
    return;
  }
  const result = await kv.enqueue(again, {
    delay: options.delayMs ?? backoff[tries]!,
    backoffSchedule: backoff,
    keysIfUndelivered: [deadLetter],
  });
  if (!result.ok) throw new Error("Deno KV refused to enqueue a redelivery");
}

export function createDenoKvWorkQueue(kv: DenoKvQueueLike, options: DenoKvWorkQueueOptions = {}): WorkQueue {
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const prefix = options.deadLetterPrefix ?? "dvp-dead-letter";
  const maxGroup = Math.max(1, options.maxGroup ?? 32);
  const now = options.now ?? Date.now;
  // Undelivered values are kept by kind and tenant; a group may span tenants, so it is kept as one.
  const enqueueOptions = (message: WorkMessage | QueuedGroup): EnqueueOptions => ({
    backoffSchedule: backoff,
    keysIfUndelivered: [
      "group" in message
        ? [prefix, "group", crypto.randomUUID()]
        : [prefix, message.kind, message.tenantId, crypto.randomUUID()],
    ],
  });
  const claim = (op: DenoKvQueueAtomicLike, p: Pending, versionstamp: string | null) => {
    const ms = Math.ceil(p.claim.ttlSeconds * 1000);
    return op.check({ key: [p.claim.key], versionstamp })
      .set([p.claim.key], { v: p.claim.value, exp: now() + ms }, { expireIn: ms });
  };
  /** The messages as one queue value: the message itself when alone, a group otherwise; none for none. */
  const enqueueAll = (op: DenoKvQueueAtomicLike, messages: WorkMessage[]) => {
    if (messages.length === 0) return op;
    const value: WorkMessage | QueuedGroup = messages.length === 1 ? messages[0]! : { group: messages };
    return op.enqueue(value, enqueueOptions(value));
  };
  const add = (op: DenoKvQueueAtomicLike, p: Pending, versionstamp: string | null) =>
    enqueueAll(claim(op, p, versionstamp), p.messages);

  /** One claim on its own; a leftover the driver already treats as expired ({v, exp} past exp) is taken over. */
  const single = async (p: Pending): Promise<boolean> => {
    const commit = (op: DenoKvQueueAtomicLike) =>
      op.commit().catch((error) => {
        if (!isTooLarge(error)) throw error;
        throw new KernelError("ERR_TOO_LARGE", `the event is larger than Deno KV keeps (64 KiB per value)`, {
          cause: error,
        });
      });
    if ((await commit(add(kv.atomic(), p, null))).ok) return true;
    const current = await kv.get([p.claim.key]);
    const value = current.value as { exp?: number } | string | null;
    const expired = value !== null && typeof value === "object" && typeof value.exp === "number" &&
      value.exp <= now();
    return expired ? (await commit(add(kv.atomic(), p, current.versionstamp))).ok : false;
  };

  let waiting: Pending[] = [];
  let committing = false;

  const flush = async (): Promise<void> => {
    committing = true;
    while (waiting.length) {
      const group: Pending[] = [];
      const keys = new Set<string>();
      const rest: Pending[] = [];
      let bytes = 0;
      for (const p of waiting) {
        // The same key twice in one transaction would pass both absence checks: keep one per group.
        // Deno KV refuses a transaction over 800 KiB: a group stops short of GROUP_MAX_BYTES.
        const size = 2 * (p.claim.key.length + p.claim.value.length); // V8 stores a string in 1 or 2 bytes per unit
        const fits = group.length === 0 || (group.length < maxGroup && bytes + size <= GROUP_MAX_BYTES);
        if (fits && !keys.has(p.claim.key)) {
          group.push(p);
          keys.add(p.claim.key);
          bytes += size;
        } else rest.push(p);
      }
      waiting = rest;
      let committed: boolean;
      try {
        let op = kv.atomic();
        for (const p of group) op = claim(op, p, null);
        op = enqueueAll(op, group.flatMap((p) => p.messages));
        committed = (await op.commit()).ok;
      } catch {
        // One member the store refuses (too large, say) must not fail the others: settle each alone.
        committed = false;
      }
      if (committed) { for (const p of group) p.resolve(true); }
      // Some key exists (a duplicate), or the commit failed: settle each on its own.
      else await Promise.all(group.map((p) => single(p).then(p.resolve, p.reject)));
    }
    committing = false;
  };

  return {
    async send(message) {
      const result = await kv.enqueue(message, enqueueOptions(message));
      if (!result.ok) throw new Error("Deno KV refused to enqueue the message");
    },
    claimAndSend(claim, messages) {
      return new Promise<boolean>((resolve, reject) => {
        waiting.push({ claim, messages, resolve, reject });
        if (!committing) void flush();
      });
    },
  };
}
