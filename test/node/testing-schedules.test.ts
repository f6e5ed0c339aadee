/** lintSchedules and sampleConfig: schedules checked before any tenant enables the plugin. */
import { describe, expect, it } from "vitest";
import {
  type HealthCheckDefinition,
  type HealthCheckResult,
  type HealthMonitorHooks,
  type HookContext,
  Plugin,
  type ScheduledTaskDefinition,
  type ScheduledTaskHooks,
  type TaskResult,
} from "../../src/index.ts";
import { createTestKernel, lintSchedules } from "../../src/testing/index.ts";
import { sampleConfig } from "../../src/testing/sample-config.ts";

class Tasks extends Plugin implements ScheduledTaskHooks, HealthMonitorHooks {
  readonly name = "tasks-plugin";
  readonly version = "1.0.0";
  override CONFIG_SCHEMA = {
    type: "object",
    properties: {
      domains: { type: "array", title: "Domains", items: { type: "string", format: "hostname" }, minItems: 1 },
      cron: { type: "string", title: "Cron", default: "0 6 * * *" },
    },
    required: ["domains"],
  } as const;
  constructor(private readonly defs: unknown[], private readonly checks: unknown = null) {
    super();
  }
  async registerScheduledTasks(ctx: HookContext): Promise<ScheduledTaskDefinition[]> {
    const config = await this.getConfig(ctx.tenantId) as { cron: string };
    return this.defs.map((d) => ({ schedule: { cronExpression: config.cron }, ...(d as object) })) as never;
  }
  executeScheduledTask(): Promise<TaskResult> {
    return Promise.resolve({ success: true });
  }
  async registerHealthChecks(ctx: HookContext): Promise<HealthCheckDefinition[]> {
    if (this.checks !== null) return this.checks as never;
    const config = await this.getConfig(ctx.tenantId) as { domains: string[] };
    return config.domains.map((target) => ({ checkType: "uptime", target }));
  }
  executeHealthCheck(): Promise<HealthCheckResult> {
    return Promise.resolve({ status: "healthy" });
  }
}

describe("lintSchedules", () => {
  it("passes well-formed tasks and checks, asked with a config made up from the schema", async () => {
    expect(await lintSchedules(new Tasks([{ taskId: "tasks-plugin.daily", name: "Daily" }]))).toEqual([]);
  });

  it("reports a task id without the plugin's namespace, a bad cron and malformed checks", async () => {
    expect(await lintSchedules(new Tasks([{ taskId: "daily", name: "Daily" }]))).toEqual([{
      area: "hooks",
      message: expect.stringContaining(
        'registerScheduledTasks: plugin tasks-plugin: task daily: taskId must be namespaced "tasks-plugin.<task>"',
      ),
    }]);
    const badCron = await lintSchedules(
      new Tasks([{ taskId: "tasks-plugin.x", name: "X", schedule: { cronExpression: "every day" } }]),
    );
    expect(badCron).toHaveLength(1);
    expect(badCron[0]!.message).toMatch(/^registerScheduledTasks: .*tasks-plugin\.x/);
    const badChecks = await lintSchedules(new Tasks([], [{ checkType: "", target: "a" }]));
    expect(badChecks.map((p) => p.message)).toEqual([expect.stringMatching(/^registerHealthChecks: /)]);
  });

  it("leaves a live plugin attached to its kernel", async () => {
    const t = await createTestKernel({
      plugins: [new Tasks([{ taskId: "tasks-plugin.daily", name: "Daily" }])],
      tenants: [{ plugins: { "tasks-plugin": { config: { domains: ["a.example"] } } } }],
    });
    expect(await lintSchedules(t.plugin("tasks-plugin"))).toEqual([]);
    expect((await t.scheduler.tasks(t.tenantId)).map((task) => task.taskId)).toEqual(["tasks-plugin.daily"]);
    expect(await t.plugin("tasks-plugin").getConfig(t.tenantId)).toEqual({ domains: ["a.example"], cron: "0 6 * * *" });
  });

  it("skips plugins without schedules", async () => {
    class Plain extends Plugin {
      readonly name = "plain";
      readonly version = "1.0.0";
    }
    expect(await lintSchedules(new Plain())).toEqual([]);
  });
});

describe("sampleConfig", () => {
  it("fills required fields from the schema, or gives up", () => {
    expect(sampleConfig({
      type: "object",
      properties: {
        site: { type: "string", format: "uri" },
        host: { type: "string", format: "hostname" },
        mode: { type: "string", enum: ["fast", "slow"] },
        size: { type: "integer", minimum: 5 },
        on: { type: "boolean" },
        tags: { type: "array", items: { type: "string" }, minItems: 2 },
        nested: { type: "object", properties: { a: { type: "number" } }, required: ["a"] },
        optional: { type: "string" },
      },
      required: ["site", "host", "mode", "size", "on", "tags", "nested"],
    })).toEqual({
      site: "https://example.com",
      host: "example.com",
      mode: "fast",
      size: 5,
      on: false,
      tags: ["example", "example"],
      nested: { a: 1 },
    });
    expect(
      sampleConfig({ type: "object", properties: { id: { type: "string", pattern: "^[0-9]+$" } }, required: ["id"] }),
    )
      .toBeNull();
  });
});
