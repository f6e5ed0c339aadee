/**
 * The plugin half of vercel-deployer and netlify-deployer: the three content hooks and the
 * flush task, around a BuildCoalescer. A subclass supplies metadata, schemas and `trigger`.
 */
import type {
  Content,
  ContentLifecycleHooks,
  HookContext,
  ScheduledTaskDefinition,
  ScheduledTaskHooks,
  TaskExecutionContext,
  TaskResult,
} from "@dvp/kernel";
import { Plugin } from "@dvp/kernel";
import {
  BuildCoalescer,
  type BuildHookConfig,
  type ChangeKind,
  flushTask,
  type Trigger,
  wantsBuild,
} from "./build-hook.ts";
import type { ReferencePluginOptions } from "./http.ts";

export abstract class BuildHookPlugin<Config extends BuildHookConfig> extends Plugin<Config>
  implements ContentLifecycleHooks, ScheduledTaskHooks {
  constructor(protected readonly options: ReferencePluginOptions = {}) {
    super();
  }

  /** A function that fires one build with the tenant's hook URL; the secret is read here. */
  protected abstract trigger(ctx: HookContext, config: Config, signal?: AbortSignal): Promise<Trigger>;

  contentPublished(ctx: HookContext, contentId: string, content: Content): Promise<void> {
    return this.#onChange(ctx, "published", contentId, content);
  }
  contentUpdated(ctx: HookContext, contentId: string, content: Content): Promise<void> {
    return this.#onChange(ctx, "updated", contentId, content);
  }
  contentDeleted(ctx: HookContext, contentId: string, content: Content): Promise<void> {
    return this.#onChange(ctx, "deleted", contentId, content);
  }

  registerScheduledTasks(): ScheduledTaskDefinition[] {
    return [flushTask(this.name)];
  }

  async executeScheduledTask(
    task: ScheduledTaskDefinition,
    ctx: HookContext,
    execution: TaskExecutionContext,
  ): Promise<TaskResult> {
    if (task.taskId !== flushTask(this.name).taskId) {
      return { success: false, errorMessage: `unknown task ${task.taskId}` };
    }
    const config = await this.getConfig(ctx.tenantId);
    const coalescer = this.#coalescer(ctx);
    if (!(await coalescer.state()).pending) return { success: true, data: { triggered: false, pending: 0 } };
    return coalescer.flush(config.coalesce_window_seconds, await this.trigger(ctx, config, execution.signal));
  }

  async #onChange(ctx: HookContext, kind: ChangeKind, contentId: string, content: Content): Promise<void> {
    const config = await this.getConfig(ctx.tenantId);
    if (!wantsBuild(config, kind, content)) return;
    const outcome = await this.#coalescer(ctx).onChange(
      config.coalesce_window_seconds,
      contentId,
      await this.trigger(ctx, config, ctx.signal), // aborted when the kernel stops waiting for the hook
    );
    this.logger.info(outcome.fired ? "build triggered" : "change queued for the next build", {
      tenant_id: ctx.tenantId,
      correlation_id: ctx.correlationId ?? undefined,
      content_id: contentId,
      event: kind,
      ...(outcome.buildId ? { build_id: outcome.buildId } : {}),
    });
  }

  #coalescer(ctx: HookContext): BuildCoalescer {
    return new BuildCoalescer(this.storage(ctx.tenantId), () => this.host.now());
  }
}
