/**
 * @dvp/kernel/runtime: embedding the kernel in your own app: createRuntime (the composition root),
 * the Hono app and its routers, admin auth, the kernel and scheduler, master keys, logging
 * configuration, and webhook signing for senders. Re-exports only.
 */
export { createKernel, generateWebhookSecret, Kernel } from "../kernel.ts";
export type { DispatchResult, KernelOptions, PluginStateListener, TenantInput } from "../kernel.ts";
export { consoleSink, getLogger, LogConfig, redact } from "../logger.ts";
export type { PluginState, TenantRecord } from "../store/tenants.ts";
export type { ExecutionKind, ExecutionRecord, ExecutionStatus, HistoryPage, HistoryQuery } from "../store/history.ts";
export { generateMasterKey, parseMasterKeys } from "../crypto/master-keys.ts";
export type { MasterKeyring } from "../crypto/master-keys.ts";
export { createScheduler, scheduleText } from "../scheduler/index.ts";
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
} from "../scheduler/index.ts";
export { adminApi } from "../http/admin.ts";
export type { AdminEnv } from "../http/admin.ts";
export { adminUi } from "../http/ui/index.tsx";
export type { AdminUiOptions } from "../http/ui/index.tsx";
export {
  adminAuthFromEnv,
  AuthError,
  AuthUnavailableError,
  canAccess,
  createAdminAuth,
  signAdminToken,
} from "../http/auth.ts";
export type { AdminAuth, AdminAuthConfig, AdminPrincipal } from "../http/auth.ts";
export { createRuntime, readSettings } from "../runtime.ts";
export type { ConsumeOutcome, Runtime, RuntimeConfig, RuntimeSettings, TickOutcome } from "../runtime.ts";
export { createApp } from "../http/app.ts";
export type { AppOptions } from "../http/app.ts";
export { signWebhook, verifyWebhook, webhookHeaders, WebhookVerificationError } from "../http/standard-webhooks.ts";
export type { WebhookHeaders, WebhookVerificationCode } from "../http/standard-webhooks.ts";
