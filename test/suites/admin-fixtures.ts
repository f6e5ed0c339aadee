/**
 * What the admin API suite runs against: a kernel with a few plugins, a bare Hono app with the
 * admin router mounted at /v1 (plus a sibling unauthenticated route, as the webhooks are), a fixed
 * clock, tokens, and a recorder of every response body so a test can assert no secret leaked.
 */
import { Hono } from "hono";
import { createKernel, type Kernel } from "../../src/entries/runtime.ts";
import {
  type HookContext,
  KernelError,
  Plugin,
  type ScheduledTaskDefinition,
  type ScheduledTaskHooks,
  type TaskResult,
} from "../../src/index.ts";
import type { KVDriver } from "../../src/entries/drivers.ts";
import { createEventProcessor, type KernelEventProcessor } from "../../src/events/processor.ts";
import { adminApi } from "../../src/http/admin.ts";
import { problem } from "../../src/http/problem.ts";
import { type AdminAuth, createAdminAuth, signAdminToken } from "../../src/http/auth.ts";
import type { HealthCheckView, Scheduler, TaskView } from "../../src/scheduler/types.ts";
import { MyPlugin } from "../fixtures/my-plugin.ts";

export const ADMIN_SECRET = "admin-suite-hs256-secret-0123456789abcdef";
export const TENANT_A = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
export const TENANT_B = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
export const TENANT_NEW = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";
/** 2026-03-01T12:00:00Z: every clock in the suite reads this unless a test moves it. */
export const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);

/** A plugin whose secrets matter: api_key is required, webhook_token optional. */
export class VaultPlugin extends Plugin {
  readonly name = "vault";
  readonly version = "2.1.0";
  override description = "Keeps credentials";
  override author = "DVP";
  override SECRETS_SCHEMA = {
    type: "object",
    properties: { api_key: { type: "string", minLength: 8 }, webhook_token: { type: "string" } },
    required: ["api_key"],
  } as const;
}

/** A plugin with a scheduled task, for the real scheduler once it is wired in. */
export class ReporterPlugin extends Plugin implements ScheduledTaskHooks {
  readonly name = "reporter";
  readonly version = "1.0.0";
  registerScheduledTasks(): ScheduledTaskDefinition[] {
    return [{ taskId: "reporter.daily", name: "Daily report", schedule: { cronExpression: "0 6 * * *" } }];
  }
  executeScheduledTask(_task: ScheduledTaskDefinition, _ctx: HookContext): Promise<TaskResult> {
    return Promise.resolve({ success: true, data: { pages: 3 } });
  }
}

/** A Scheduler with canned answers; `fail` makes every call throw an unexpected error. */
export function fakeScheduler(kernel: Kernel): Scheduler & { fail: boolean; ran: string[] } {
  const task = (lastResult: TaskView["lastResult"]): TaskView => ({
    taskId: "reporter.daily",
    plugin: "reporter",
    name: "Daily report",
    description: "Builds the daily report",
    schedule: { cronExpression: "0 6 * * *", timezone: "Europe/Berlin" },
    scheduleText: "every day at 06:00 (Europe/Berlin)",
    nextRunAt: "2026-03-02T05:00:00.000Z",
    maxRetries: 3,
    timeoutSeconds: 300,
    lastResult,
  });
  const check: HealthCheckView = {
    plugin: "reporter",
    checkType: "http",
    target: "https://example.com",
    latest: {
      plugin: "reporter",
      checkType: "http",
      target: "https://example.com",
      status: "healthy",
      latencyMs: 42,
      checkedAt: "2026-03-01T11:55:00.000Z",
      details: { statusCode: 200 },
    },
    history: [],
    uptime: 1,
    status: "healthy",
  };
  check.history = [check.latest!];
  const self = {
    fail: false,
    ran: [] as string[],
    guard() {
      if (self.fail) throw new Error("scheduler exploded at /internal/path with key sk_live_do_not_show");
    },
    tick: () => Promise.reject(new Error("not used")),
    async runNow(tenantId: string, taskId: string): Promise<TaskResult> {
      self.guard();
      if (taskId !== "reporter.daily") throw new KernelError("ERR_TASK_NOT_FOUND", `task ${taskId} does not exist`);
      self.ran.push(`${tenantId}/${taskId}`);
      return { success: true, data: { pages: 3, someKey: "kept as is" }, durationMs: 12 };
    },
    async tasks(tenantId: string): Promise<TaskView[]> {
      self.guard();
      const [last] = await kernel.history.list(tenantId, { kind: "task", limit: 1 });
      return [task(last ?? null)];
    },
    async health(): Promise<HealthCheckView[]> {
      self.guard();
      return [check];
    },
    runHealthCycle: () => Promise.resolve([]),
    handleMessage: () => Promise.resolve(),
    sync: () => Promise.resolve(),
    runTenant: () =>
      Promise.resolve({ due: 0, ran: 0, failed: 0, skipped: 0, enqueued: 0, deferred: 0, durationMs: 0 }),
    syncIfStale: () => Promise.resolve([]),
  };
  return self;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  json: any;
}

export interface AdminFixture {
  /** The kernel's and the verifier's clock (ms); move it to order history records. */
  clock: { ms: number };
  kernel: Kernel;
  scheduler: ReturnType<typeof fakeScheduler>;
  /** The real event pipeline over the kernel's store (KV inbox; one attempt per plugin, so a failure is final). */
  events: KernelEventProcessor;
  app: Hono;
  auth: AdminAuth;
  /** Every log line the kernel wrote (info and up). */
  lines: string[];
  /** Every response body so far. */
  transcript: string[];
  platform: string;
  /** Scoped to TENANT_A only. */
  scopedA: string;
  call(
    method: string,
    path: string,
    init?: { token?: string | null; body?: unknown; headers?: HeadersInit },
  ): Promise<Answer>;
}

export async function adminFixture(
  options: { driver?: KVDriver; auth?: AdminAuth; scheduler?: (kernel: Kernel) => Scheduler } = {},
): Promise<AdminFixture> {
  const clock = { ms: NOW };
  const lines: string[] = [];
  const kernel = createKernel({
    plugins: [new MyPlugin(), new VaultPlugin(), new ReporterPlugin()],
    now: () => clock.ms,
    log: { level: "info", sink: (_record, line) => void lines.push(line) },
    ...(options.driver
      ? { driver: options.driver, masterKeys: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" }
      : {}),
  });
  await kernel.putTenant(TENANT_A, { slug: "acme", plan: "pro" });
  await kernel.putTenant(TENANT_B, { slug: "globex", plan: "free" });
  const scheduler = fakeScheduler(kernel);
  const events = createEventProcessor(kernel, { maxAttempts: 1 });
  const auth = options.auth ?? createAdminAuth({ secret: ADMIN_SECRET, now: () => clock.ms });
  const app = new Hono();
  // A sibling route under /v1 that must stay reachable without a Bearer token (as webhooks are).
  app.post("/v1/tenants/:id/filters/content.before_create", (c) => c.json({ sibling: true }));
  // As the real app does: unmatched paths (e.g. `%2e%2e` normalized away) are problem+json too.
  app.notFound(() => problem(404, "not-found", "no such route"));
  app.route("/v1", adminApi({ kernel, scheduler: options.scheduler?.(kernel) ?? scheduler, events, auth }));
  const transcript: string[] = [];
  const platform = await signAdminToken(ADMIN_SECRET, { tenants: "*", now: NOW });
  const scopedA = await signAdminToken(ADMIN_SECRET, { tenants: [TENANT_A], subject: "acme-admin", now: NOW });
  return {
    lines,
    clock,
    kernel,
    scheduler,
    events,
    app,
    auth,
    transcript,
    platform,
    scopedA,
    async call(method, path, init = {}) {
      const headers = new Headers(init.headers);
      const token = init.token === undefined ? platform : init.token;
      if (token !== null && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
      let body: BodyInit | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === "string" || init.body instanceof Uint8Array
          ? init.body as BodyInit
          : JSON.stringify(init.body);
        if (!headers.has("content-type")) headers.set("content-type", "application/json");
      }
      const response = await app.request(`http://admin.test${path}`, { method, headers, body });
      const text = await response.text();
      transcript.push(text);
      let json: unknown = undefined;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch { /* not JSON: the test looks at text */ }
      return { status: response.status, headers: response.headers, text, json };
    },
  };
}

/** base64url of a string or bytes, for hand-built (hostile) tokens. */
export function b64url(input: string | Uint8Array): string {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** An HS256 JWT over exactly these header and payload objects (no defaults added). */
export async function rawHs256(secret: Uint8Array | string, header: object, payload: object): Promise<string> {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const keyBytes = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  const key = await crypto.subtle.importKey("raw", keyBytes as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input)));
  return `${input}.${b64url(mac)}`;
}
