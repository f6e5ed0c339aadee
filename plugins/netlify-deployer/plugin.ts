/**
 * netlify-deployer: triggers a Netlify build through the site's build hook when content is
 * published, updated or deleted, coalescing bursts (see ../_shared/build-hook.ts).
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
import { NetlifyBuildHookClient } from "./client.ts";
import { CONFIG_SCHEMA, type NetlifyConfig, SECRETS_SCHEMA } from "./config.ts";

export class NetlifyDeployerPlugin extends Plugin<NetlifyConfig> implements ContentLifecycleHooks, ScheduledTaskHooks {
  readonly name = "netlify-deployer";
  readonly version = "1.0.0";
  override description = "Triggers Netlify builds through a build hook, one build per burst of changes";
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
    this.logger.info(outcome.fired ? "build triggered" : "change queued for the next build", {
      tenant_id: ctx.tenantId,
      correlation_id: ctx.correlationId ?? undefined,
      content_id: contentId,
      event: kind,
    });
  }

  #coalescer(ctx: HookContext): BuildCoalescer {
    return new BuildCoalescer(this.storage(ctx.tenantId), () => this.host.now());
  }

  async #trigger(ctx: HookContext, config: NetlifyConfig, signal?: AbortSignal): Promise<Trigger> {
    const hookUrl = (await this.getSecrets(ctx.tenantId)).require("build_hook_url");
    const client = new NetlifyBuildHookClient(pluginHttpClient(this.fetch, this.logger, ctx.tenantId, this.options));
    return async ({ count, contentIds }) => {
      await client.trigger(hookUrl, {
        branch: config.trigger_branch,
        title: config.trigger_title.replaceAll("{count}", String(count)),
        payload: { source: "dvp-cms", tenant: ctx.tenantSlug, changes: count, content_ids: contentIds },
        signal,
      });
      return null;
    };
  }
}
