/** What the scheduler's parts share: the kernel, the job store and the resolved options. */
import type { Kernel } from "../kernel.ts";
import type { WorkQueue } from "../queue.ts";
import type { JobStore } from "./state.ts";

export interface ResolvedOptions {
  queue: WorkQueue | undefined;
  maxInlinePerTick: number;
  maxEnqueuePerTick: number;
  concurrency: number;
  healthIntervalSeconds: number;
  healthTimeoutSeconds: number;
  healthHistoryLimit: number;
  retryBaseMs: number;
  random: () => number;
  /** Added to a run's time limit before its lease counts as abandoned. */
  leaseGraceMs: number;
  /** How long a fanned-out job's index entry waits before a tick offers it again. */
  queueLeaseMinutes: number;
  maxInlinePerAlarm: number;
}

export interface SchedulerDeps {
  kernel: Kernel;
  store: JobStore;
  options: ResolvedOptions;
}
