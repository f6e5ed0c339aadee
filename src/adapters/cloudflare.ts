/**
 * Cloudflare Workers adapter: `export default { fetch, scheduled, queue }` and the tenant's
 * Durable Object class. Storage and queue come from the Cloudflare backend
 * (src/backends/cloudflare/): KV for read-mostly state, one Durable Object per tenant for its
 * coordination state; everything else lives in the runtime.
 */
import { connect } from "cloudflare:sockets";
import { bundledPlugins } from "../../plugins/index.ts";
import { cloudflareBackend, type CloudflareEnv } from "../backends/cloudflare/backend.ts";
import { type PluginFactory, type TenantObjectClass, tenantObjectClass } from "../backends/cloudflare/tenant-object.ts";
import { ConfigurationError } from "../errors.ts";
import { problem } from "../http/problem.ts";
import type { Plugin } from "../plugin.ts";
import { type ConsumeOutcome, createRuntime, type Runtime, type RuntimeSettings } from "../runtime.ts";

export type { CloudflareEnv } from "../backends/cloudflare/backend.ts";
export type { TenantObjectClass } from "../backends/cloudflare/tenant-object.ts";

export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
}

export interface MessageLike {
  readonly body: unknown;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

export interface WorkerOptions {
  /** The plugins (default: the bundled ones, given `connect` from cloudflare:sockets). */
  plugins?: (settings: RuntimeSettings) => Plugin[];
  /**
   * Tenants whose object the Cron safety net asks per tick to re-arm a missing alarm (default 40,
   * within the Free plan's 50 subrequests): every tenant is visited once every tenants ÷
   * tenantsPerTick minutes. Each one asked is a request to a Durable Object.
   */
  tenantsPerTick?: number;
}

export interface CloudflareRuntimeOptions extends WorkerOptions {
  /** Where the host app mounts `runtime.app` (e.g. "/cms"): the dashboard's links start with it. */
  basePath?: string;
}

/**
 * The runtime as createWorker wires it (KV for read-mostly state, each tenant's Durable Object
 * for its coordination state, the optional Queue), for a Worker that mounts `runtime.app` in its
 * own app. That Worker also exports the tenant object: `export class TenantObject extends
 * createTenantObject({ plugins }) {}`.
 */
export function createCloudflareRuntime(env: CloudflareEnv, options: CloudflareRuntimeOptions = {}): Runtime {
  const { driver, queue, rearm } = cloudflareBackend(env);
  return createRuntime({
    env,
    driver,
    ...(queue ? { queue } : {}),
    // No due index: each tenant's object runs its own jobs when its alarm fires; the Cron tick
    // only re-arms the alarms that went missing, a page of tenants at a time.
    scheduler: {
      dueIndex: false,
      safetyNet: {
        rearm,
        ...(options.tenantsPerTick === undefined ? {} : { tenantsPerTick: options.tenantsPerTick }),
      },
    },
    plugins: pluginsOf(options),
    // No inbox sweep: each tenant's object re-drives its own unfinished events (its alarm).
    sweepInbox: false,
    ...(options.basePath === undefined ? {} : { basePath: options.basePath }),
  });
}

/** The Worker's handlers, shaped as Cloudflare's ExportedHandler (structurally, without its types). */
export interface CloudflareWorker {
  fetch(request: Request, env: CloudflareEnv, ctx: ExecutionContextLike): Promise<Response> | Response;
  scheduled(controller: { scheduledTime: number }, env: CloudflareEnv, ctx: ExecutionContextLike): Promise<void>;
  queue(
    batch: { readonly queue?: string; readonly messages: readonly MessageLike[] },
    env: CloudflareEnv,
  ): Promise<void>;
}

/** The Worker's handlers; the default export is `createWorker()`. Tests pass their own plugins. */
export function createWorker(options: WorkerOptions = {}): CloudflareWorker {
  // One runtime per env object (one per isolate in production; tests may pass several).
  const runtimes = new WeakMap<object, Runtime>();
  const plugins = pluginsOf(options);

  const runtimeFor = (env: CloudflareEnv): Runtime => {
    let runtime = runtimes.get(env);
    if (!runtime) {
      runtime = createCloudflareRuntime(env, { ...options, plugins });
      runtimes.set(env, runtime);
    }
    return runtime;
  };

  return {
    fetch(request: Request, env: CloudflareEnv, ctx: ExecutionContextLike): Promise<Response> | Response {
      let runtime: Runtime;
      try {
        runtime = runtimeFor(env);
      } catch (error) {
        if (!(error instanceof ConfigurationError)) throw error;
        console.error(`dvp-kernel cannot start: ${error.message}`);
        return problem(500, "configuration-error", `the worker is misconfigured: ${error.variable} (see logs)`);
      }
      return runtime.fetch(request, (work) => ctx.waitUntil(work));
    },

    async scheduled(controller: { scheduledTime: number }, env: CloudflareEnv, ctx: ExecutionContextLike) {
      const outcome = runtimeFor(env).tick(new Date(controller.scheduledTime));
      ctx.waitUntil(outcome);
      const { errors } = await outcome;
      if (errors.length) throw new Error(`tick failed: ${errors.join("; ")}`);
    },

    async queue(batch: { readonly queue?: string; readonly messages: readonly MessageLike[] }, env: CloudflareEnv) {
      const runtime = runtimeFor(env);
      const bodies = batch.messages.map((m) => m.body);
      const deadLetters = batch.queue !== undefined && batch.queue === (env.DVP_DEAD_LETTER_QUEUE ?? "dvp-events-dlq");
      const settle = (outcome: ConsumeOutcome, i: number) => {
        const message = batch.messages[i]!;
        if (outcome.ack) message.ack();
        else message.retry(outcome.retryDelaySeconds ? { delaySeconds: outcome.retryDelaySeconds } : undefined);
      };
      if (deadLetters) (await runtime.deadLetters(bodies)).forEach(settle);
      // Each message acked or retried as soon as its own (event, plugin) is done: should the invocation end early
      // (a slow plugin past its limit), the finished ones are not delivered again.
      else await Promise.all(runtime.consumeEach(bodies).map((outcome, i) => outcome.then((o) => settle(o, i))));
    },
  };
}

/** The tenant's Durable Object class (wrangler.toml: `DVP_TENANT`), running the same plugins. */
export function createTenantObject(options: WorkerOptions = {}): TenantObjectClass {
  return tenantObjectClass(pluginsOf(options));
}

function pluginsOf(options: WorkerOptions): PluginFactory {
  return options.plugins ??
    ((settings: RuntimeSettings) => bundledPlugins({ connect, allowInsecureUrls: settings.allowInsecureUrls }));
}

const worker: CloudflareWorker = createWorker();
export default worker;
export const TenantObject: TenantObjectClass = createTenantObject();
