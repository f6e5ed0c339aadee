/** A kernel with one plugin enabled for one tenant, a settable clock, and a task runner. */
import { createKernel, type Kernel } from "../../src/entries/runtime.ts";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import type { LogRecord, Plugin } from "../../src/index.ts";
import type { KVDriver } from "../../src/store/driver.ts";
import type { ScheduledTaskDefinition, TaskResult } from "../../src/hooks.ts";
import type { TaskExecutionContext } from "../../src/context.ts";

export const TENANT = "6f1c2a4e-8d3b-4c1a-9e2f-0a1b2c3d4e5f";

export interface PluginBench {
  kernel: Kernel;
  clock: { now: number };
  logs: LogRecord[];
  lines: string[];
  publish(contentId: string, content: Record<string, unknown>): ReturnType<Kernel["dispatch"]>;
  runTask(taskId?: string, signal?: AbortSignal): Promise<TaskResult>;
}

export async function benchFor(
  plugin: Plugin,
  config: Record<string, unknown>,
  secrets: Record<string, string>,
  start: number | { now: number } = Date.parse("2026-11-20T12:00:00Z"),
  driver?: (clock: { now: number }) => KVDriver,
): Promise<PluginBench> {
  // Pass a clock object to share it with fakes: the kernel reads it on every call.
  const clock = typeof start === "number" ? { now: start } : start;
  const logs: LogRecord[] = [];
  const lines: string[] = [];
  const kernel = createKernel({
    plugins: [plugin],
    now: () => clock.now,
    ...(driver ? { driver: driver(clock) } : {}),
    log: { level: "debug", sink: (r, line) => (logs.push(r), lines.push(line)) },
    hookTimeoutMs: 15_000,
    allowInsecureUrls: true, // fakes listen on 127.0.0.1
  });
  await kernel.putTenant(TENANT, { slug: "acme", plan: "pro" });
  await kernel.setConfig(TENANT, plugin.name, config);
  if (Object.keys(secrets).length) await kernel.setSecrets(TENANT, plugin.name, secrets);
  await kernel.enable(TENANT, plugin.name);
  const tasks = plugin as unknown as {
    registerScheduledTasks(ctx: unknown): ScheduledTaskDefinition[] | Promise<ScheduledTaskDefinition[]>;
    executeScheduledTask(t: ScheduledTaskDefinition, ctx: unknown, e: TaskExecutionContext): Promise<TaskResult>;
  };
  return {
    kernel,
    clock,
    logs,
    lines,
    publish: (contentId, content) => kernel.dispatch(TENANT, "contentPublished", [contentId, content]),
    async runTask(taskId, signal = new AbortController().signal) {
      const ctx = kernel.context(await kernel.requireTenant(TENANT));
      const defs = await tasks.registerScheduledTasks(ctx);
      const task = taskId ? defs.find((d) => d.taskId === taskId) : defs[0];
      if (!task) throw new Error(`no task ${taskId}`);
      const now = new Date(clock.now);
      return tasks.executeScheduledTask(task, ctx, {
        taskId: task.taskId,
        executionId: crypto.randomUUID(),
        scheduledTime: now,
        actualTime: now,
        attempt: 1,
        tenantId: TENANT,
        correlationId: null,
        signal,
      });
    },
  };
}

/** HTTP client overrides for tests: no real waiting between retries. */
export const instantRetries = { sleep: async () => {}, random: () => 0.5 };

/** One call a plugin's storage made to the backend, at the fake clock's instant. */
export interface StorageCall {
  op: "get" | "getMany" | "put" | "putIfAbsent" | "delete" | "deleteIfUnchanged" | "list";
  keys: string[];
  at: number;
}

/**
 * A memory driver that records every call, to count what a run costs on Workers KV: at most
 * 1,000 operations per invocation, about one write per second per key.
 */
export function recordingDriver(
  calls: StorageCall[],
  /** An error for a call to fail with (recorded all the same), like a KV 429. */
  refuse: (call: StorageCall) => Error | undefined = () => undefined,
  /** Offer the memory driver's atomic compare-and-delete, as Deno KV does; without it, as on KV. */
  backend: { compareAndDelete?: boolean } = {},
): (clock: { now: number }) => KVDriver {
  return (clock) => {
    const inner = createMemoryDriver({ now: () => clock.now });
    const note = (op: StorageCall["op"], keys: string[]) => {
      const call = { op, keys, at: clock.now };
      calls.push(call);
      const error = refuse(call);
      if (error) throw error;
    };
    return {
      name: inner.name,
      atomic: inner.atomic,
      get: async (key) => (note("get", [key]), await inner.get(key)),
      getMany: async (keys) => (note("getMany", [...keys]), await inner.getMany(keys)),
      put: async (key, value, options) => (note("put", [key]), await inner.put(key, value, options)),
      putIfAbsent: async (
        key,
        value,
        options,
      ) => (note("putIfAbsent", [key]), await inner.putIfAbsent(key, value, options)),
      delete: async (key) => (note("delete", [key]), await inner.delete(key)),
      list: async (options) => (note("list", [options.prefix]), await inner.list(options)),
      ...(backend.compareAndDelete && {
        deleteIfUnchanged: async (key: string, expected: string) => (
          note("deleteIfUnchanged", [key]), await inner.deleteIfUnchanged!(key, expected)
        ),
      }),
    };
  };
}

/** What `calls` cost on Workers KV: one per get, put, delete and list, one per 100 keys of a getMany. */
export function kvOperations(calls: readonly StorageCall[]): number {
  return calls.reduce(
    (n, c) => n + (c.op === "getMany" ? Math.ceil(new Set(c.keys).size / 100) : c.op === "putIfAbsent" ? 2 : 1),
    0,
  );
}
