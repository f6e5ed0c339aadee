/** A kernel with one plugin enabled for one tenant, a settable clock, and a task runner. */
import { createKernel, type Kernel, type LogRecord, type Plugin } from "../../src/index.ts";
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
): Promise<PluginBench> {
  // Pass a clock object to share it with fakes: the kernel reads it on every call.
  const clock = typeof start === "number" ? { now: start } : start;
  const logs: LogRecord[] = [];
  const lines: string[] = [];
  const kernel = createKernel({
    plugins: [plugin],
    now: () => clock.now,
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
