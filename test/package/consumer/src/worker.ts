/** The consumer's Worker: `Env` is the one `wrangler types` generates from wrangler.toml. */
import { createCloudflareKVDriver } from "@dvp/kernel";
import { createTenantObject } from "@dvp/kernel/cloudflare";
import { EchoPlugin } from "./echo-plugin.ts";
import { createHost } from "./host.ts";

/** The kernel's per-tenant Durable Object (wrangler.toml: DVP_TENANT), with this project's plugins. */
export class TenantObject extends createTenantObject({ plugins: () => [new EchoPlugin()] }) {}

let host: ReturnType<typeof createHost> | undefined;

function hostFor(env: Env): ReturnType<typeof createHost> {
  host ??= createHost(env, createCloudflareKVDriver(env.DVP_KV));
  return host;
}

export default {
  fetch(request, env, ctx): Response | Promise<Response> {
    return hostFor(env).app.fetch(request, env, ctx);
  },
  scheduled(_controller, env, ctx): void {
    ctx.waitUntil(hostFor(env).dvp.tick());
  },
} satisfies ExportedHandler<Env>;
