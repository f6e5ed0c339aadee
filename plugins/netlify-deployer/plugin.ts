/**
 * netlify-deployer: triggers a Netlify build through the site's build hook when content is
 * published, updated or deleted, coalescing bursts (see ../_shared/build-hook.ts).
 */
import type { HookContext } from "@dvp/kernel";
import type { Trigger } from "../_shared/build-hook.ts";
import { BuildHookPlugin } from "../_shared/build-hook-plugin.ts";
import { pluginHttpClient } from "../_shared/http.ts";
import { NetlifyBuildHookClient } from "./client.ts";
import { CONFIG_SCHEMA, type NetlifyConfig, SECRETS_SCHEMA } from "./config.ts";

export class NetlifyDeployerPlugin extends BuildHookPlugin<NetlifyConfig> {
  readonly name = "netlify-deployer";
  readonly version = "1.0.0";
  override description = "Triggers Netlify builds through a build hook, one build per burst of changes";
  override author = "DVP CMS";
  override kernelVersion = "^1.0.0";
  override CONFIG_SCHEMA = CONFIG_SCHEMA;
  override SECRETS_SCHEMA = SECRETS_SCHEMA;

  protected async trigger(ctx: HookContext, config: NetlifyConfig, signal?: AbortSignal): Promise<Trigger> {
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
