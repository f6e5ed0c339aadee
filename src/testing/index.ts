/**
 * @dvp/kernel/testing: the plugin author's test harness. A real kernel over memory storage with
 * a fake clock, captured logs and a fake upstream, plus context factories and the checklist
 * checks that `dvp check` runs.
 */
export { createFakeClock, DEFAULT_START } from "./clock.ts";
export type { FakeClock } from "./clock.ts";
export { captureLogs } from "./logs.ts";
export type { CapturedLogs, LogQuery } from "./logs.ts";
export { createFakeUpstream, respondWith } from "./fake-upstream.ts";
export type { FakeUpstream, RecordedRequest, RouteHandler, RouteOptions, UrlPattern } from "./fake-upstream.ts";
export { hookContext, taskContext, TEST_TENANT_ID, TEST_TENANT_SLUG } from "./contexts.ts";
export type { TaskContextOverrides, TestTaskContext } from "./contexts.ts";
export { createTestKernel } from "./test-kernel.ts";
export type {
  DeliveryResult,
  TestEvent,
  TestKernel,
  TestKernelOptions,
  TestPluginSeed,
  TestTenantSeed,
  TestTickOptions,
} from "./test-kernel.ts";
export { lintPlugin, looksSecret } from "./lint-plugin.ts";
export type { LintArea, LintProblem } from "./lint-plugin.ts";
export { lintSchedules } from "./lint-schedules.ts";
export { validateConfig, validateSecrets } from "./validate-config.ts";
export type { ConfigCheck } from "./validate-config.ts";
