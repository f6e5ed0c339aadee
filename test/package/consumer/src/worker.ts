/** The consumer's Worker: `Env` is the one `wrangler types` generates from wrangler.toml. */
import type { Runtime } from "@dvp/kernel/runtime";
import { createCloudflareRuntime, createTenantObject } from "@dvp/kernel/cloudflare";
import type { Hono } from "hono";
import { EchoPlugin } from "./echo-plugin.ts";
import { createHost } from "./host.ts";

const plugins = () => [new EchoPlugin()];

/** Each tenant's Durable Object (wrangler.toml: DVP_TENANT), running the same plugins. */
export class TenantObject extends createTenantObject({ plugins }) {}

let host: { dvp: Runtime; app: Hono } | undefined;

function hostFor(env: Env): { dvp: Runtime; app: Hono } {
  if (!host) {
    const dvp = createCloudflareRuntime(env, { plugins, basePath: "/cms" });
    host = { dvp, app: createHost(dvp) };
  }
  return host;
}

export default {
  fetch(request, env, ctx): Response | Promise<Response> {
    return hostFor(env).app.fetch(request, env, ctx);
  },
  scheduled(controller, env, ctx): void {
    ctx.waitUntil(hostFor(env).dvp.tick(new Date(controller.scheduledTime)));
  },
} satisfies ExportedHandler<Env>;
