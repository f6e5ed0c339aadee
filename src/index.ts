/** @dvp/kernel: the public API of the core. Re-exports only. */
export { createKernel, generateWebhookSecret, Kernel } from "./kernel.ts";
export type { DispatchResult, KernelOptions, PluginStateListener, TenantInput } from "./kernel.ts";
export { Plugin } from "./plugin.ts";
export type { PluginHost } from "./plugin.ts";
export { Secrets } from "./secrets.ts";
export { createHookContext, deepFreeze, isUuid, TENANT_PLANS, UUID_PATTERN } from "./context.ts";
export type { HookContext, HookContextInit, TaskExecutionContext, TenantPlan } from "./context.ts";
export { ACTION_HOOKS, detectHooks, FILTER_HOOKS } from "./hooks.ts";
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
export { PluginRegistry } from "./registry.ts";
export type { RegisteredPlugin } from "./registry.ts";
export { runActionHook, runFilterHook } from "./dispatch.ts";
export type { HookOutcome, HookOutcomeStatus } from "./dispatch.ts";
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
export { consoleSink, getLogger, LogConfig, redact } from "./logger.ts";
export type { Logger, LogLevel, LogRecord, LogSink } from "./logger.ts";
export { applyDefaults, checkSchema, validate } from "./schema/index.ts";
export type { JsonSchema } from "./schema/index.ts";
export type { FromSchema } from "json-schema-to-ts";
export { compareVersions, parseVersion, satisfies } from "./semver.ts";
export { createMemoryDriver } from "./store/memory.ts";
export type { MemoryDriver } from "./store/memory.ts";
export { listAll } from "./store/driver.ts";
export { cloudflareTtl, createCloudflareKVDriver } from "./store/cloudflare-kv.ts";
export type { KVNamespaceLike } from "./store/cloudflare-kv.ts";
export { createDenoKVDriver } from "./store/deno-kv.ts";
export type { DenoKVDriverOptions, DenoKvLike } from "./store/deno-kv.ts";
export type { KVDriver, ListOptions, ListPage, PutOptions } from "./store/driver.ts";
export type { PluginStorage, PluginStoragePage } from "./store/plugin-storage.ts";
export type { PluginState, TenantRecord } from "./store/tenants.ts";
export type { ExecutionKind, ExecutionRecord, ExecutionStatus, HistoryQuery } from "./store/history.ts";
export { generateMasterKey, parseMasterKeys } from "./crypto/master-keys.ts";
export type { MasterKeyring } from "./crypto/master-keys.ts";
export { SecretBox } from "./crypto/secret-box.ts";
export { KERNEL_VERSION } from "./version.ts";
export { createHttpClient, defaultSleep } from "./net/http-client.ts";
export { upstreamError } from "./net/upstream-error.ts";
export type { HttpClient, HttpClientOptions, HttpErrorCode, HttpRequest, HttpResult } from "./net/http-client.ts";
export { assertSafeUrl, checkUrl, describeUrl, hostProblem, UnsafeUrlError } from "./net/url-guard.ts";
export type { UrlCheck, UrlGuardOptions } from "./net/url-guard.ts";
export type { TcpConnect, TcpSocket } from "./net/tcp.ts";
export { createScheduler, KernelScheduler, scheduleText } from "./scheduler/index.ts";
export type {
  HealthCheckRecord,
  HealthCheckView,
  Scheduler,
  SchedulerOptions,
  TaskView,
  TickReport,
} from "./scheduler/index.ts";
export { adminApi } from "./http/admin.ts";
export { adminUi } from "./http/ui/index.tsx";
export type { AdminUiOptions } from "./http/ui/index.tsx";
export type { AdminEnv } from "./http/admin.ts";
export {
  adminAuthFromEnv,
  AuthError,
  AuthUnavailableError,
  canAccess,
  createAdminAuth,
  signAdminToken,
} from "./http/auth.ts";
export type { AdminAuth, AdminAuthConfig, AdminPrincipal } from "./http/auth.ts";
export { certificateCovers, DerError, parseCertificate } from "./net/der.ts";
export type { CertificateInfo } from "./net/der.ts";
export { clientHello, fetchPeerCertificate, TlsProbeError } from "./net/tls-certificate.ts";
export type { PeerCertificate, TlsProbeErrorKind, TlsProbeOptions } from "./net/tls-certificate.ts";
export { createRuntime, readSettings } from "./runtime.ts";
export type { ConsumeOutcome, Runtime, RuntimeConfig, RuntimeSettings, TickOutcome } from "./runtime.ts";
export { createApp } from "./http/app.ts";
export type { AppOptions } from "./http/app.ts";
export type { HttpDeps } from "./http/deps.ts";
