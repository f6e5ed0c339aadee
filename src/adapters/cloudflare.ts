/**
 * Cloudflare Workers adapter: `export default { fetch, scheduled, queue }`. Bindings come from
 * `env` (DVP_KV, optional DVP_QUEUE, DVP_* strings); everything else lives in the runtime.
 */
import { connect } from "cloudflare:sockets";
import { bundledPlugins } from "../../plugins/index.ts";
import { ConfigurationError } from "../errors.ts";
import { problem } from "../http/problem.ts";
import type { WorkMessage, WorkQueue } from "../queue.ts";
import type { Plugin } from "../plugin.ts";
import { createRuntime, type Runtime, type RuntimeSettings } from "../runtime.ts";
import { createCloudflareKVDriver, type KVNamespaceLike } from "../store/cloudflare-kv.ts";

export interface CloudflareEnv {
  DVP_KV: KVNamespaceLike;
  DVP_QUEUE?: QueueLike;
  [variable: string]: unknown;
}

interface QueueLike {
  send(body: unknown, options?: { contentType?: "json" }): Promise<void>;
  sendBatch(messages: { body: unknown; contentType?: "json" }[]): Promise<void>;
}

interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
}

interface MessageLike {
  readonly body: unknown;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

export interface WorkerOptions {
  /** The plugins (default: the bundled ones, given `connect` from cloudflare:sockets). */
  plugins?: (settings: RuntimeSettings) => Plugin[];
}

/** The Worker's handlers; the default export is `createWorker()`. Tests pass their own plugins. */
export function createWorker(options: WorkerOptions = {}) {
  // One runtime per env object (one per isolate in production; tests may pass several).
  const runtimes = new WeakMap<object, Runtime>();
  const plugins = options.plugins ??
    ((settings: RuntimeSettings) => bundledPlugins({ connect, allowInsecureUrls: settings.allowInsecureUrls }));

  const runtimeFor = (env: CloudflareEnv): Runtime => {
    let runtime = runtimes.get(env);
    if (!runtime) {
      if (!env.DVP_KV) throw new ConfigurationError("DVP_KV", "KV namespace binding is missing (see wrangler.toml)");
      const queue: WorkQueue | undefined = env.DVP_QUEUE && {
        send: (message: WorkMessage) => env.DVP_QUEUE!.send(message, { contentType: "json" }),
        sendBatch: (messages: WorkMessage[]) =>
          env.DVP_QUEUE!.sendBatch(messages.map((body) => ({ body, contentType: "json" as const }))),
      };
      runtime = createRuntime({
        env,
        driver: createCloudflareKVDriver(env.DVP_KV),
        ...(queue ? { queue } : {}),
        plugins,
      });
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
      const outcomes = await (deadLetters ? runtime.deadLetters(bodies) : runtime.consume(bodies));
      outcomes.forEach((outcome, i) => {
        const message = batch.messages[i]!;
        if (outcome.ack) message.ack();
        else message.retry(outcome.retryDelaySeconds ? { delaySeconds: outcome.retryDelaySeconds } : undefined);
      });
    },
  };
}

export default createWorker();
