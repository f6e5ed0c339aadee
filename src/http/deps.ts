/** What the HTTP routes (webhooks, admin API, dashboard) are built from. */
import type { EventProcessor } from "../events/types.ts";
import type { Kernel } from "../kernel.ts";
import type { Scheduler } from "../scheduler/types.ts";
import type { AdminAuth } from "./auth.ts";

export interface HttpDeps {
  kernel: Kernel;
  scheduler: Scheduler;
  events: EventProcessor;
  auth: AdminAuth;
  /** Largest webhook body accepted, in bytes (default 1 MiB). */
  bodyLimitBytes: number;
  /** Standard Webhooks timestamp tolerance, in seconds (default 300). */
  webhookToleranceSeconds: number;
}
