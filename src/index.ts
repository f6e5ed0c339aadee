/**
 * @dvp/kernel: the plugin author's API (the plugin base class, hooks, context, config schemas,
 * errors, logging and storage types). Embedding, storage drivers, the HTTP client and the test
 * harness are the subpaths /runtime, /drivers, /client and /testing. Re-exports only; the list is
 * snapshotted in test/node/exports.test.ts, so a change to it is a decision.
 */
export { Plugin } from "./plugin.ts";
export type { PluginHost } from "./plugin.ts";
export { Secrets } from "./secrets.ts";
export type { HookContext, TaskExecutionContext, TenantPlan } from "./context.ts";
export type {
  ActionHookArgs,
  ActionHookName,
  Content,
  ContentFilterHooks,
  ContentLifecycleHooks,
  DataPanel,
  DataSeries,
  DataSeriesHooks,
  FilterHookName,
  HealthCheckDefinition,
  HealthCheckResult,
  HealthMonitorHooks,
  HealthStatus,
  HealthStatusChange,
  HealthStatusHooks,
  HookName,
  Metadata,
  ScheduledTaskDefinition,
  ScheduledTaskHooks,
  TaskResult,
  TaskSchedule,
} from "./hooks.ts";
export {
  ConfigurationError,
  errorMessage,
  FilterRejectedError,
  KernelError,
  MissingSecretsError,
  PluginConfigError,
  PluginError,
  ValidationError,
} from "./errors.ts";
export type { FieldError, KernelErrorCode } from "./errors.ts";
export type { Logger, LogLevel, LogRecord, LogSink } from "./logger.ts";
export type { JsonSchema } from "./schema/index.ts";
export type { FromSchema } from "json-schema-to-ts";
export type { PluginStorage, PluginStoragePage } from "./store/plugin-storage.ts";
export { KERNEL_VERSION } from "./version.ts";
export { upstreamError } from "./net/upstream-error.ts";
