/**
 * The tenant's execution history: hook outcomes, task runs, health checks. One key per record
 * (so each key has one writer), ordered newest first by an inverted timestamp, bounded by a
 * retention TTL. A store that keeps history as an indexed table (the tenant's Durable Object)
 * answers a filtered list in one query (`queryHistory`); elsewhere (memory, Deno KV) the list
 * scans the tenant's keys newest first: kind and plugin are in the key, status is read from the
 * value.
 */
import { type HistoryFilter, type HistoryRow, type KeyWrite, type KVDriver, listAll } from "./driver.ts";
import { invertedTime, parseHistoryKey } from "./history-keys.ts";
import { keys } from "./keys.ts";
import { codePointCompare } from "./sorted-keys.ts";
import type { TraceSpan } from "../trace/span.ts";

export type ExecutionKind = "hook" | "task" | "health";
export type ExecutionStatus = "succeeded" | "failed" | "timed_out" | "skipped" | "retrying";

export const EXECUTION_KINDS: readonly ExecutionKind[] = ["hook", "task", "health"];
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  "succeeded",
  "failed",
  "timed_out",
  "skipped",
  "retrying",
];

export interface ExecutionRecord {
  id: string;
  tenantId: string;
  kind: ExecutionKind;
  plugin: string;
  /** Hook name, task id, or `checkType:target`. */
  name: string;
  status: ExecutionStatus;
  /** When the record was written (ISO 8601). */
  at: string;
  /** Whether this is the last record for its event/slot (no retry follows). */
  final: boolean;
  durationMs?: number;
  attempt?: number;
  error?: string;
  reason?: string;
  data?: Record<string, unknown>;
  eventId?: string;
  scheduledTime?: string;
  correlationId?: string | null;
  /** Timings of the work behind the record (accept, hook, outbound calls), oldest first. */
  spans?: TraceSpan[];
}

export type NewExecutionRecord = Omit<ExecutionRecord, "id" | "at"> & { id?: string; at?: string };

export interface HistoryQuery {
  limit?: number;
  kind?: ExecutionKind;
  plugin?: string;
  status?: ExecutionStatus;
  /** Only records older than those listed so far: a previous page's `next`. */
  before?: string;
}

export interface HistoryPage {
  /** Newest first. */
  records: ExecutionRecord[];
  /** Pass as `before` for the next (older) page; null when this page was not full (no older record matches). */
  next: string | null;
}

/** A record with its key and stored text, chosen before it is written (so a retry can write the same). */
export interface PreparedRecord {
  key: string;
  json: string;
  record: ExecutionRecord;
}

/** Longest error or reason text a record keeps. */
export const MAX_RECORD_TEXT = 2_000;

function clip(text: string): string {
  if (text.length <= MAX_RECORD_TEXT) return text;
  // Not between the two halves of a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(text[MAX_RECORD_TEXT - 1]!) ? MAX_RECORD_TEXT - 1 : MAX_RECORD_TEXT;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

export class ExecutionHistory {
  readonly #driver: KVDriver;
  readonly #now: () => number;
  readonly #retentionSeconds: number;
  readonly #scrub: (text: string, tenantId: string) => string;

  constructor(
    driver: KVDriver,
    options: {
      now?: () => number;
      retentionDays?: number;
      /** Applied to every string of a record before it is stored: the kernel cuts the tenant's secret values out. */
      scrub?: (text: string, tenantId: string) => string;
    } = {},
  ) {
    this.#driver = driver;
    this.#now = options.now ?? Date.now;
    this.#retentionSeconds = (options.retentionDays ?? 30) * 86_400;
    this.#scrub = options.scrub ?? ((text) => text);
  }

  async record(input: NewExecutionRecord): Promise<ExecutionRecord> {
    const prepared = this.prepare(input);
    await this.write(prepared);
    return prepared.record;
  }

  /** The record, its key and its stored (scrubbed) text, without writing anything. */
  prepare(input: NewExecutionRecord): PreparedRecord {
    const time = this.#now();
    const record: ExecutionRecord = {
      ...input,
      id: input.id ?? crypto.randomUUID(),
      at: input.at ?? new Date(time).toISOString(),
    };
    // An error may quote a whole upstream response: keep records small enough for every store
    // (Deno KV takes 64 KiB per value, and the event pipeline keeps a copy of final records).
    // Scrubbed before clipped: a cut through a secret would leave its first part unrecognised.
    const scrub = (text: string) => this.#scrub(text, record.tenantId);
    if (record.error !== undefined) record.error = clip(scrub(record.error));
    if (record.reason !== undefined) record.reason = clip(scrub(record.reason));
    const suffix = `${record.kind}:${record.plugin}:${record.id}`;
    // A plugin's error message may quote its own secret: history is stored and shown, so scrub it.
    const json = JSON.stringify(record, (_key, value) => typeof value === "string" ? scrub(value) : value);
    return { key: keys.history(record.tenantId, invertedTime(time), suffix), json, record };
  }

  /** Writes a prepared record; writing the same one again changes nothing. */
  async write(prepared: Pick<PreparedRecord, "key" | "json">): Promise<void> {
    const { key, value, ttlSeconds } = this.keyWrite(prepared);
    await this.#driver.put(key, value, { ttlSeconds });
  }

  /** A prepared record as one key write, for a caller that commits it with others (the ledger). */
  keyWrite(prepared: Pick<PreparedRecord, "key" | "json">): KeyWrite & { ttlSeconds: number } {
    return { key: prepared.key, value: prepared.json, ttlSeconds: this.#retentionSeconds };
  }

  /** Newest first; at most `limit` (1 to 500, default 50) records of the given kind, plugin and status. */
  async list(tenantId: string, query: HistoryQuery = {}): Promise<ExecutionRecord[]> {
    return (await this.page(tenantId, query)).records;
  }

  /** One page of `list`, with the cursor of the next (older) one. */
  async page(tenantId: string, query: HistoryQuery = {}): Promise<HistoryPage> {
    const prefix = keys.historyPrefix(tenantId);
    const filter: HistoryFilter = { limit: Math.min(Math.max(query.limit ?? 50, 1), 500) };
    if (query.kind) filter.kind = query.kind;
    if (query.plugin) filter.plugin = query.plugin;
    if (query.status) filter.status = query.status;
    if (query.before !== undefined) filter.after = prefix + query.before;
    const rows = (await this.#driver.queryHistory?.(prefix, filter)) ?? (await this.#scan(prefix, filter));
    const last = rows.length === filter.limit ? rows[rows.length - 1] : undefined;
    return {
      records: rows.map((row) => JSON.parse(row.value) as ExecutionRecord),
      next: last ? last.key.slice(prefix.length) : null,
    };
  }

  /**
   * The key scan: the tenant's keys newest first, kind and plugin matched on the key, the values
   * read in batches (one when no status filters: the first `limit` matching keys are the answer).
   */
  async #scan(prefix: string, filter: HistoryFilter): Promise<HistoryRow[]> {
    const out: HistoryRow[] = [];
    let batch: string[] = [];
    const flush = async () => {
      const values = await this.#driver.getMany(batch);
      values.forEach((value, i) => {
        if (value === null || out.length >= filter.limit) return;
        if (filter.status && (JSON.parse(value) as ExecutionRecord).status !== filter.status) return;
        out.push({ key: batch[i]!, value });
      });
      batch = [];
    };
    for await (const key of listAll(this.#driver, prefix)) {
      // Every newer key is listed to get past them: the scan's price for a cursor.
      if (filter.after !== undefined && codePointCompare(key, filter.after) <= 0) continue;
      const parts = parseHistoryKey(key);
      if (filter.kind && parts?.kind !== filter.kind) continue;
      if (filter.plugin && parts?.plugin !== filter.plugin) continue;
      batch.push(key);
      const need = filter.limit - out.length;
      if (batch.length >= (filter.status ? Math.max(need, 100) : need)) await flush();
      if (out.length >= filter.limit) return out;
    }
    if (batch.length) await flush();
    return out;
  }
}
