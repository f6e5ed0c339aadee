/**
 * vercel-deployer: triggers a Vercel deployment through the project's deploy hook when content
 * is published, updated or deleted, coalescing bursts (see ../_shared/build-hook.ts).
 */
import type {
  Content,
  ContentLifecycleHooks,
  HookContext,
  ScheduledTaskDefinition,
  ScheduledTaskHooks,
  TaskExecutionContext,
  TaskResult,
} from "../../src/index.ts";
import { Plugin } from "../../src/plugin.ts";
import { BuildCoalescer, type ChangeKind, flushTask, type Trigger, wantsBuild } from "../_shared/build-hook.ts";
import { pluginHttpClient, type ReferencePluginOptions } from "../_shared/http.ts";
import { VercelDeployHookClient } from "./client.ts";
import { CONFIG_SCHEMA, SECRETS_SCHEMA, type VercelConfig } from "./config.ts";

export class VercelDeployerPlugin extends Plugin<VercelConfig> implements ContentLifecycleHooks, ScheduledTaskHooks {
  readonly name = "vercel-deployer";
  readonly version = "1.0.0";
  override description = "Triggers Vercel deployments through a deploy hook, one build per burst of changes";
  override author = "DVP CMS";
  override kernelVersion = "^1.0.0";
  override CONFIG_SCHEMA = CONFIG_SCHEMA;
  override SECRETS_SCHEMA = SECRETS_SCHEMA;

  constructor(private readonly options: ReferencePluginOptions = {}) {
    super();
  }

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
    return this.#coalescer(ctx).flush(
      config.coalesce_window_seconds,
      await this.#trigger(ctx, config, execution.signal),
    );
  }

  async #onChange(ctx: HookContext, kind: ChangeKind, contentId: string, content: Content): Promise<void> {
    const config = await this.getConfig(ctx.tenantId);
    if (!wantsBuild(config, kind, content)) return;
    const outcome = await this.#coalescer(ctx).onChange(
      config.coalesce_window_seconds,
      contentId,
      await this.#trigger(ctx, config),
    );
    this.logger.info(outcome.fired ? "deployment triggered" : "change queued for the next build", {
      tenant_id: ctx.tenantId,
      correlation_id: ctx.correlationId ?? undefined,
      content_id: contentId,
      event: kind,
      ...(outcome.buildId ? { job_id: outcome.buildId } : {}),
    });
  }

  #coalescer(ctx: HookContext): BuildCoalescer {
    return new BuildCoalescer(this.storage(ctx.tenantId), () => this.host.now());
  }

  async #trigger(ctx: HookContext, config: VercelConfig, signal?: AbortSignal): Promise<Trigger> {
    const hookUrl = (await this.getSecrets(ctx.tenantId)).require("deploy_hook_url");
    const client = new VercelDeployHookClient(pluginHttpClient(this.fetch, this.logger, ctx.tenantId, this.options));
    return async () => (await client.trigger(hookUrl, { buildCache: config.build_cache, signal }))?.id ?? null;
  }
}
