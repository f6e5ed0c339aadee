/**
 * What the event pipeline's steps share (the processor, the dispatch, the re-drive): the kernel,
 * the queue, the ledger and the processor's settings, and when an unfinished event's marker
 * comes due.
 */
import type { Kernel } from "../kernel.ts";
import type { WorkQueue } from "../queue.ts";
import type { RegisteredPlugin } from "../registry.ts";
import type { BackoffPolicy } from "../timing/backoff.ts";
import type { EventLedger } from "./ledger.ts";

export interface EventDeps {
  kernel: Kernel;
  queue: WorkQueue | undefined;
  ledger: EventLedger;
  /** How long events, their done-keys and markers are kept (the deduplication window). */
  ttlSeconds: number;
  /** Attempts per (event, plugin) before the final "failed" record. */
  maxAttempts: number;
  retry: BackoffPolicy;
  /**
   * Whether inbox markers track unfinished events: without a queue, and with a queue beside the
   * store (its send is not one commit with the claim). A queue that claims and sends in one
   * commit (Deno KV) keeps what it cannot deliver itself, so its events have no marker.
   */
  markers: boolean;
  /** Time after arrival before the sweep may pick an inbox event up. */
  sweepDelayMs: number;
  /** With a queue beside the store: time before the re-drive sends a pair again, doubled per re-drive. */
  redriveMs: number;
}

/** Re-drives through the queue before an unfinished pair is recorded as failed (15 min doubling: the last after ~16 h). */
export const MAX_REDRIVES = 5;

/** Time a dispatch is given to write its records after its slowest plugin's limit, before the sweep may take over. */
const RECORDING_MARGIN_MS = 30_000;

/** When the sweep may take over an inbox event whose dispatch to these plugins starts now. */
export function inboxDue(deps: EventDeps, plugins: readonly RegisteredPlugin[]): number {
  let longest = 0;
  for (const p of plugins) longest = Math.max(longest, p.plugin.hookTimeoutMs ?? deps.kernel.hookTimeoutMs);
  return deps.kernel.now() + Math.max(deps.sweepDelayMs, longest + RECORDING_MARGIN_MS);
}

/** When a new marker for an event dispatched to `plugins` comes due: the queue's re-drive, or the sweep. */
export function markerDue(deps: EventDeps, plugins: readonly RegisteredPlugin[]): number {
  return deps.queue ? redriveDue(deps, plugins, 0) : inboxDue(deps, plugins);
}

/**
 * With a queue, when the re-drive may send a pair again: after the queue's own retries (the
 * re-drive delay, doubled per re-drive so far) and never before the slowest plugin's time limit.
 */
export function redriveDue(deps: EventDeps, plugins: readonly RegisteredPlugin[], drives: number): number {
  const wait = deps.redriveMs * 2 ** Math.min(drives, MAX_REDRIVES);
  return Math.max(inboxDue(deps, plugins), deps.kernel.now() + wait);
}
