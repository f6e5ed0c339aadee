/**
 * The kernel's Worker and tenant object with one plugin whose task runs every minute, plus one
 * bench route: `POST /__bench/alarms/<tenant>?n=N` has the tenant's object run its alarm N times
 * in a row (scripts/bench-cloudflare.ts measures the time and the workerd process's CPU). Each
 * alarm finds exactly one due slot: the alarm runs at the time it was armed for, the job's next
 * minute, and re-arms for the minute after, as a real alarm does minute after minute.
 */
/// <reference path="../../../src/backends/cloudflare/workers-module.d.ts" />
import { createTenantObject, createWorker } from "../../../src/adapters/cloudflare.ts";
import type { CloudflareEnv, TenantStubLike } from "../../../src/backends/cloudflare/backend.ts";
import { Plugin, type ScheduledTaskDefinition, type TaskResult } from "../../../src/index.ts";

class MinutelyPlugin extends Plugin {
  readonly name = "minutely";
  readonly version = "1.0.0";
  registerScheduledTasks(): ScheduledTaskDefinition[] {
    return [{ taskId: "minutely.sync", name: "Sync", schedule: { cronExpression: "* * * * *" } }];
  }
  executeScheduledTask(): TaskResult {
    return { success: true };
  }
}

const plugins = () => [new MinutelyPlugin()];
const worker = createWorker({ plugins });

export class TenantObject extends createTenantObject({ plugins }) {
  /** N alarms in a row; how many ran a task (read from the history rows they wrote). */
  async benchAlarms(n: number): Promise<number> {
    const count = () =>
      Number(
        this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM history WHERE kind = 'task'").toArray()[0]!.n,
      );
    const before = count();
    for (let i = 0; i < n; i++) await this.alarm();
    return count() - before;
  }
}

interface BenchEnv extends CloudflareEnv {
  DVP_TENANT: {
    idFromName(name: string): unknown;
    get(id: unknown): TenantStubLike & { benchAlarms(n: number): Promise<number> };
  };
}

export default {
  async fetch(request: Request, env: BenchEnv, ctx: { waitUntil(p: Promise<unknown>): void }): Promise<Response> {
    const url = new URL(request.url);
    const bench = /^\/__bench\/alarms\/([^/]+)$/.exec(url.pathname);
    if (!bench) return worker.fetch(request, env, ctx);
    const stub = env.DVP_TENANT.get(env.DVP_TENANT.idFromName(bench[1]!));
    const ran = await stub.benchAlarms(Number(url.searchParams.get("n") ?? 1));
    return Response.json({ ran });
  },
};
