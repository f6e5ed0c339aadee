/** The scheduler: cron and interval tasks and health cycles, driven by the edge's tick. */
import type { Kernel } from "../kernel.ts";
import { KernelScheduler } from "./scheduler.ts";
import type { SchedulerOptions } from "./types.ts";

const current = new WeakMap<Kernel, KernelScheduler>();

/**
 * The scheduler of `kernel`. It keeps each tenant's jobs in step with the plugins' state by
 * listening to enable, disable and config changes. Create one per kernel; creating another
 * replaces the first as the listener (one sync per change, with the newest options).
 */
export function createScheduler(kernel: Kernel, options: SchedulerOptions = {}): KernelScheduler {
  const scheduler = new KernelScheduler(kernel, options);
  if (!current.has(kernel)) {
    kernel.onPluginStateChange((tenantId, plugin) => current.get(kernel)!.sync(tenantId, plugin));
  }
  current.set(kernel, scheduler);
  return scheduler;
}

export { KernelScheduler } from "./scheduler.ts";
export { scheduleText } from "./schedule-text.ts";
export { isTimeZone, MIN_INTERVAL_SECONDS, SlotClock } from "./schedule.ts";
export type { NormalizedSchedule } from "./schedule.ts";
export type {
  HealthCheckRecord,
  HealthCheckView,
  RearmReport,
  SafetyNet,
  SafetyNetReport,
  Scheduler,
  SchedulerOptions,
  TaskView,
  TickReport,
} from "./types.ts";
