/**
 * createTestKernel(): a real kernel (real registry, validation, encryption, dispatch and
 * scheduler) over the memory driver, with the outside world replaced by things a test controls:
 * a fake clock, captured logs and a fake upstream behind `fetch`. Tenants come seeded with
 * config, secrets and enabled plugins, so a test starts at the interesting part.
 */
import type { HookContext, HookContextInit, TenantPlan } from "../context.ts";
import { createEventProcessor } from "../events/processor.ts";
import type { AcceptResult, ContentEventType } from "../events/types.ts";
import type { Content, FilterHookName, Metadata, TaskResult } from "../hooks.ts";
import { createKernel, type DispatchResult, type Kernel } from "../kernel.ts";
import type { LogLevel } from "../logger.ts";
import type { Plugin } from "../plugin.ts";
import { createScheduler } from "../scheduler/index.ts";
import type { HealthCheckRecord, Scheduler, SchedulerOptions, TickOptions, TickReport } from "../scheduler/types.ts";
import type { ExecutionRecord, HistoryQuery } from "../store/history.ts";
import type { PluginStorage } from "../store/plugin-storage.ts";
import { createFakeClock, type FakeClock } from "./clock.ts";
import {
  taskContext,
  type TaskContextOverrides,
  TEST_TENANT_ID,
  TEST_TENANT_SLUG,
  type TestTaskContext,
} from "./contexts.ts";
import { type CapturedLogs, captureLogs } from "./logs.ts";
import { createFakeUpstream, type FakeUpstream } from "./fake-upstream.ts";

export interface TestPluginSeed {
  /** Stored through the real validation (defaults applied); invalid config fails the setup. */
  config?: Record<string, unknown>;
  /** Stored encrypted, as in production. */
  secrets?: Record<string, string>;
  /** Default true: listing a plugin under a tenant means "enabled for it". */
  enabled?: boolean;
}

export interface TestTenantSeed {
  /** Default TEST_TENANT_ID for the first tenant, a fresh UUID for the others. */
  id?: string;
  slug?: string;
  plan?: TenantPlan;
  /** Default: one is generated (see `webhookSecrets`). */
  webhookSecret?: string;
  /** Per plugin name: config, secrets, enabled. */
  plugins?: Record<string, TestPluginSeed>;
}

export interface TestKernelOptions {
  plugins: Plugin[];
  /** Default: one tenant (TEST_TENANT_ID, "test-tenant", plan "pro") with no plugin enabled. */
  tenants?: TestTenantSeed[];
  /** A fake clock, or where a new one starts (default 2026-01-01T00:00:00Z). */
  clock?: FakeClock | Date | string | number;
  /** Default "debug": tests see everything; nothing is printed. */
  logLevel?: LogLevel;
  /** Default 10,000 ms, as in production. Lower it to test a hanging hook quickly. */
  hookTimeoutMs?: number;
  upstream?: FakeUpstream;
  scheduler?: SchedulerOptions;
  /** Accept http and loopback URLs in config (a real server of the test's own on 127.0.0.1), as DVP_ALLOW_INSECURE_URLS does. */
  allowInsecureUrls?: boolean;
}

/** A content event as a CMS webhook carries it (`t.deliver`). */
export interface TestEvent {
  /** Default "content.published". */
  type?: ContentEventType;
  contentId: string;
  content?: Content;
  metadata?: Metadata;
  /** The webhook-id, the deduplication key (default a fresh one). */
  id?: string;
}

export interface DeliveryResult {
  /** The webhook-id. */
  id: string;
  /** "duplicate" when this webhook-id was accepted before: nothing runs again. */
  status: AcceptResult;
  /**
   * The event's history records so far, newest first: one final record per plugin, or "retrying"
   * ones (found among the tenant's newest 500 hook records).
   */
  records: ExecutionRecord[];
}

export interface TestKernel {
  readonly kernel: Kernel;
  readonly scheduler: Scheduler;
  readonly clock: FakeClock;
  readonly logs: CapturedLogs;
  /** Routes and recorded requests of the plugins' `fetch`. */
  readonly upstream: FakeUpstream;
  /** The first tenant's id. */
  readonly tenantId: string;
  readonly tenantIds: string[];
  /** Plaintext `whsec_…` per tenant id, for signing test webhooks. */
  readonly webhookSecrets: Readonly<Record<string, string>>;
  /** The registered plugin instance by name. */
  plugin<P extends Plugin = Plugin>(name: string): P;
  /** A frozen HookContext for a seeded tenant (default the first), stamped with the fake clock. */
  hookContext(overrides?: Partial<HookContextInit>): Promise<HookContext>;
  /** A TaskExecutionContext for the first tenant at the fake clock's time. */
  taskContext(overrides?: TaskContextOverrides): TestTaskContext;
  /** Dispatch `contentPublished` to the tenant's enabled plugins through the kernel's dispatch. */
  publish(tenantId: string, contentId: string, content: Content, metadata?: Metadata): Promise<DispatchResult>;
  update(tenantId: string, contentId: string, content: Content, metadata?: Metadata): Promise<DispatchResult>;
  delete(tenantId: string, contentId: string, content?: Content, metadata?: Metadata): Promise<DispatchResult>;
  /**
   * A content event the way a signed webhook brings it: accepted into the durable event pipeline
   * (deduplicated by `id`), dispatched, recorded per plugin; a failed plugin is retried by a
   * later `tick` once its retry delay (30 s, then doubling) has passed on the clock.
   */
  deliver(tenantId: string, event: TestEvent): Promise<DeliveryResult>;
  /** Run a filter chain; rejects with FilterRejectedError naming the plugin. */
  filter(tenantId: string, hook: FilterHookName, content: Content, metadata?: Metadata): Promise<Content>;
  /**
   * Set the clock to `date` (when given) and run one tick at the clock's time: the scheduler (due
   * tasks and due health cycles), then the sweep that retries delivered events whose plugins are due
   * again (`swept`: how many). `{ only: "tasks" }` runs due tasks alone (no health cycle, no sweep),
   * `{ only: "health" }` due health cycles alone; what is left stays due for a later tick. The date
   * may come as `{ at }` in the options instead: `t.tick({ at: "2026-01-01T06:00:00Z", only: "tasks" })`.
   */
  tick(
    date?: Date | string | number | TestTickOptions,
    options?: TestTickOptions,
  ): Promise<TickReport & { swept: number }>;
  /** Run a task now through the scheduler's recorded path. */
  runTask(tenantId: string, taskId: string): Promise<TaskResult>;
  runHealthCycle(tenantId: string): Promise<HealthCheckRecord[]>;
  history(tenantId: string, query?: HistoryQuery): Promise<ExecutionRecord[]>;
  storage(tenantId: string, plugin: string): PluginStorage;
}

export interface TestTickOptions extends TickOptions {
  /** The clock's new time, as the first argument of `tick` would give it. */
  at?: Date | string | number;
}

export async function createTestKernel(options: TestKernelOptions): Promise<TestKernel> {
  if (!options || !Array.isArray(options.plugins)) {
    throw new TypeError("createTestKernel({ plugins: [...] }): plugins must be a list of plugin instances");
  }
  const clock = isFakeClock(options.clock) ? options.clock : createFakeClock(options.clock);
  const logs = captureLogs();
  const upstream = options.upstream ?? createFakeUpstream();
  const kernel = createKernel({
    plugins: options.plugins,
    now: clock.now,
    fetch: upstream.fetch,
    log: { level: options.logLevel ?? "debug", sink: logs.sink },
    hookTimeoutMs: options.hookTimeoutMs,
    allowInsecureUrls: options.allowInsecureUrls,
  });
  // Created before the tenants are seeded: it listens for enable/config changes to sync schedules.
  const scheduler = createScheduler(kernel, options.scheduler);
  // The KV inbox mode (no queue): accepted events are dispatched at once and swept by the tick.
  // No jitter: a retry comes exactly 30 s, then 60 s, after a failure, as the guide tells the test's clock.
  const events = createEventProcessor(kernel, { random: () => 0 });

  const seeds = options.tenants ?? [{}];
  const tenantIds: string[] = [];
  const webhookSecrets: Record<string, string> = {};
  for (const [index, seed] of seeds.entries()) {
    const id = (seed.id ?? (index === 0 ? TEST_TENANT_ID : crypto.randomUUID())).toLowerCase();
    const { generatedSecret } = await kernel.putTenant(id, {
      slug: seed.slug ?? (index === 0 ? TEST_TENANT_SLUG : `test-tenant-${index + 1}`),
      plan: seed.plan ?? "pro",
      ...(seed.webhookSecret ? { webhookSecrets: [seed.webhookSecret] } : {}),
    });
    webhookSecrets[id] = seed.webhookSecret ?? generatedSecret!;
    tenantIds.push(id);
    for (const [name, plugin] of Object.entries(seed.plugins ?? {})) {
      if (!kernel.registry.has(name)) {
        throw new Error(`createTestKernel: tenant ${id} seeds plugin "${name}", which is not in plugins`);
      }
      if (plugin.config !== undefined) await kernel.setConfig(id, name, plugin.config);
      if (plugin.secrets !== undefined) await kernel.setSecrets(id, name, plugin.secrets);
      if (plugin.enabled !== false) await kernel.enable(id, name);
    }
  }

  const at = (date: Date | string | number | undefined) => {
    if (date !== undefined) clock.set(date);
    return clock.date();
  };

  return {
    kernel,
    scheduler,
    clock,
    logs,
    upstream,
    tenantId: tenantIds[0]!,
    tenantIds,
    webhookSecrets,
    plugin<P extends Plugin>(name: string) {
      return kernel.registry.require(name).plugin as P;
    },
    async hookContext(overrides = {}) {
      const tenant = await kernel.requireTenant(overrides.tenantId ?? tenantIds[0]!);
      return kernel.context(tenant, { correlationId: crypto.randomUUID(), ...overrides });
    },
    taskContext(overrides = {}) {
      return taskContext({
        tenantId: tenantIds[0]!,
        scheduledTime: clock.date(),
        actualTime: clock.date(),
        ...overrides,
      });
    },
    publish: (tenantId, contentId, content, metadata) =>
      kernel.dispatch(tenantId, "contentPublished", [contentId, content, metadata], {
        correlationId: crypto.randomUUID(),
      }),
    update: (tenantId, contentId, content, metadata) =>
      kernel.dispatch(tenantId, "contentUpdated", [contentId, content, metadata], {
        correlationId: crypto.randomUUID(),
      }),
    delete: (tenantId, contentId, content = {}, metadata) =>
      kernel.dispatch(tenantId, "contentDeleted", [contentId, content, metadata], {
        correlationId: crypto.randomUUID(),
      }),
    async deliver(tenantId, event) {
      const id = event.id ?? `msg_${crypto.randomUUID().replaceAll("-", "")}`;
      const tenant = await kernel.requireTenant(tenantId);
      const status = await events.accept({
        id,
        tenantId: tenant.id,
        type: event.type ?? "content.published",
        timestamp: clock.date().toISOString(),
        contentId: event.contentId,
        content: event.content ?? {},
        ...(event.metadata ? { metadata: event.metadata } : {}),
        correlationId: crypto.randomUUID(),
        receivedAt: clock.date().toISOString(),
      });
      await events.idle();
      const records = await kernel.history.list(tenant.id, { kind: "hook", limit: 500 });
      return { id, status, records: records.filter((r) => r.eventId === id) };
    },
    filter: (tenantId, hook, content, metadata) => kernel.filter(tenantId, hook, content, metadata),
    async tick(date, options = {}) {
      const given = typeof date === "object" && !(date instanceof Date) ? date : { ...options, at: date };
      const now = at(given.at);
      const report = await scheduler.tick(now, given.only ? { only: given.only } : {});
      if (given.only) return { ...report, swept: 0 };
      const { retried } = await events.sweep(now);
      return { ...report, swept: retried };
    },
    runTask: (tenantId, taskId) => scheduler.runNow(tenantId, taskId),
    runHealthCycle: (tenantId) => scheduler.runHealthCycle(tenantId, clock.date()),
    history: (tenantId, query) => kernel.history.list(tenantId, query),
    storage: (tenantId, plugin) => kernel.pluginStorage(plugin, tenantId),
  };
}

function isFakeClock(value: unknown): value is FakeClock {
  return typeof value === "object" && value !== null && !(value instanceof Date) &&
    typeof (value as FakeClock).now === "function" && typeof (value as FakeClock).advance === "function";
}
