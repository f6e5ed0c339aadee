/**
 * vercel-deployer: triggers a Vercel deployment through the project's deploy hook when content
 * is published, updated or deleted, coalescing bursts (see ../_shared/build-hook.ts).
 */
import type { HookContext } from "@dvp/kernel";
import type { Trigger } from "../_shared/build-hook.ts";
import { BuildHookPlugin } from "../_shared/build-hook-plugin.ts";
import { pluginHttpClient } from "../_shared/http.ts";
import { VercelDeployHookClient } from "./client.ts";
import { CONFIG_SCHEMA, SECRETS_SCHEMA, type VercelConfig } from "./config.ts";

export class VercelDeployerPlugin extends BuildHookPlugin<VercelConfig> {
  readonly name = "vercel-deployer";
  readonly version = "1.0.0";
  override description = "Triggers Vercel deployments through a deploy hook, one build per burst of changes";
  override author = "DVP CMS";
  override kernelVersion = "^1.0.0";
  override CONFIG_SCHEMA = CONFIG_SCHEMA;
  override SECRETS_SCHEMA = SECRETS_SCHEMA;

  protected async trigger(ctx: HookContext, config: VercelConfig, signal?: AbortSignal): Promise<Trigger> {
    const hookUrl = (await this.getSecrets(ctx.tenantId)).require("deploy_hook_url");
    const client = new VercelDeployHookClient(pluginHttpClient(this.fetch, this.logger, ctx.tenantId, this.options));
    return async () => (await client.trigger(hookUrl, { buildCache: config.build_cache, signal }))?.id ?? null;
  }
}
