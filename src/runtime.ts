/**
 * The composition root: from an env-like record (Workers bindings' strings, Deno's env vars)
 * and the runtime's storage and queue, build the kernel, scheduler, event processor, admin auth
 * and HTTP app once, and expose the three entry points every runtime has: fetch, tick, consume.
 * Adapters translate their runtime's calls into these and hold no logic of their own.
 */
import { parseMasterKeys } from "./crypto/master-keys.ts";
import { ConfigurationError, errorMessage } from "./errors.ts";
import { createEventProcessor, type EventProcessorOptions, type KernelEventProcessor } from "./events/processor.ts";
import { RetryLaterError } from "./events/stored-event.ts";
import { type AdminAuth, createAdminAuth } from "./http/auth.ts";
import { type AppOptions, createApp } from "./http/app.ts";
import type { HttpDeps } from "./http/deps.ts";
import { createKernel, type Kernel } from "./kernel.ts";
import type { LogLevel, LogSink } from "./logger.ts";
import type { Plugin } from "./plugin.ts";
import type { WorkMessage, WorkQueue } from "./queue.ts";
import { createScheduler } from "./scheduler/index.ts";
import type { Scheduler, SchedulerOptions, TickReport } from "./scheduler/types.ts";
import type { KVDriver } from "./store/driver.ts";
import { adminApi } from "./http/admin.ts";
import { adminUi } from "./http/ui/index.tsx";
import type { Hono } from "hono";

/** The settings read from the environment, validated. */
export interface RuntimeSettings {
  masterKeys: string;
  adminJwtSecret?: string;
  adminJwksUrl?: string;
  adminJwtIssuer?: string;
  adminJwtAudience?: string;
  allowInsecureUrls: boolean;
  logLevel: LogLevel;
  webhookBodyLimitBytes: number;
  webhookToleranceSeconds: number;
}

export interface RuntimeConfig {
  /**
   * DVP_* variables (other keys are ignored; bindings that are not strings are skipped). Any
   * object: the host's own typed env, e.g. the `Env` interface `wrangler types` generates.
   */
  env: object;
  driver: KVDriver;
  /** The work queue when the runtime has one (Cloudflare DVP_QUEUE, Deno KV queue). */
  queue?: WorkQueue;
  /**
   * Whether the tick sweeps every tenant's unfinished inbox events (default true). Off where each
   * tenant's authority re-drives its own (Cloudflare: the tenant object's alarm).
   */
  sweepInbox?: boolean;
  /** Scheduler options beyond the queue (Cloudflare: no due index, the Cron tick as safety net). */
  scheduler?: Omit<SchedulerOptions, "queue">;
  /** Event pipeline options beyond the queue (attempts, retry backoff, retention). */
  events?: Omit<EventProcessorOptions, "queue">;
  /** The plugins, or a function of the settings (e.g. to pass allowInsecureUrls on). */
  plugins?: Plugin[] | ((settings: RuntimeSettings) => Plugin[]);
  fetch?: typeof fetch;
  now?: () => number;
  logSink?: LogSink;
  /** Leave out the admin API or the dashboard (embedding). */
  app?: AppOptions;
  /** Where the host app mounts `runtime.app` (e.g. "/cms"): the dashboard's links and redirects start with it. */
  basePath?: string;
}

export type ConsumeOutcome = { ack: true } | { ack: false; retryDelaySeconds?: number; error: string };

export interface TickOutcome {
  scheduler: TickReport | null;
  swept: number;
  errors: string[];
}

export interface Runtime {
  readonly settings: RuntimeSettings;
  readonly kernel: Kernel;
  readonly scheduler: Scheduler;
  readonly events: KernelEventProcessor;
  readonly auth: AdminAuth;
  readonly app: Hono;
  readonly deps: HttpDeps;
  /** Answer one request; `waitUntil` keeps background work (dispatch) alive after the response. */
  fetch(request: Request, waitUntil?: (work: Promise<unknown>) => void): Promise<Response>;
  /** The edge's clock: scheduler tick and inbox sweep (every minute). */
  tick(now?: Date): Promise<TickOutcome>;
  /** Queue deliveries: one outcome per message, ack or retry. */
  consume(messages: readonly unknown[]): Promise<ConsumeOutcome[]>;
  /** The same, each message's outcome as soon as it is known (a slow plugin holds back no other message's ack). */
  consumeEach(messages: readonly unknown[]): Promise<ConsumeOutcome>[];
  /**
   * Messages the queue stopped redelivering (a dead-letter queue's, Deno KV's undelivered keys):
   * the message's (event, plugin) pair gets a final "failed" record unless it has a final one
   * (an earlier one-per-event message: each plugin without one); ack unless that write fails.
   */
  deadLetters(messages: readonly unknown[]): Promise<ConsumeOutcome[]>;
}

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const MAX_BODY_LIMIT = 100 * 1024 * 1024;

/** Reads and validates the DVP_* settings; a missing or malformed one throws ConfigurationError naming it. */
export function readSettings(env: Readonly<Record<string, unknown>>): RuntimeSettings {
  const text = (name: string): string | undefined => {
    const value = env[name];
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  };
  const masterKeys = text("DVP_MASTER_KEYS");
  if (!masterKeys) throw new ConfigurationError("DVP_MASTER_KEYS", "is not set (kid:base64-32-bytes,…)");
  parseMasterKeys(masterKeys); // throws ConfigurationError("DVP_MASTER_KEYS", …) when malformed

  const adminJwtSecret = text("DVP_ADMIN_JWT_SECRET");
  const adminJwksUrl = text("DVP_ADMIN_JWKS_URL");
  if (!adminJwtSecret && !adminJwksUrl) {
    throw new ConfigurationError("DVP_ADMIN_JWT_SECRET", "is not set (nor DVP_ADMIN_JWKS_URL)");
  }
  const level = (text("DVP_LOG_LEVEL") ?? "info").toLowerCase();
  if (!LOG_LEVELS.includes(level as LogLevel)) {
    throw new ConfigurationError("DVP_LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")}`);
  }
  const limitText = text("DVP_WEBHOOK_BODY_LIMIT") ?? "1048576";
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1024 || limit > MAX_BODY_LIMIT) {
    throw new ConfigurationError("DVP_WEBHOOK_BODY_LIMIT", `must be a number of bytes from 1024 to ${MAX_BODY_LIMIT}`);
  }
  const insecure = (text("DVP_ALLOW_INSECURE_URLS") ?? "false").toLowerCase();
  if (!["true", "false", "1", "0"].includes(insecure)) {
    throw new ConfigurationError("DVP_ALLOW_INSECURE_URLS", "must be true or false");
  }
  return {
    masterKeys,
    // Both may be set: HS256 tokens are then checked against the secret, asymmetric ones against the JWKS.
    ...(adminJwtSecret ? { adminJwtSecret } : {}),
    ...(adminJwksUrl ? { adminJwksUrl } : {}),
    ...(text("DVP_ADMIN_JWT_ISSUER") ? { adminJwtIssuer: text("DVP_ADMIN_JWT_ISSUER") } : {}),
    ...(text("DVP_ADMIN_JWT_AUDIENCE") ? { adminJwtAudience: text("DVP_ADMIN_JWT_AUDIENCE") } : {}),
    allowInsecureUrls: insecure === "true" || insecure === "1",
    logLevel: level as LogLevel,
    webhookBodyLimitBytes: limit,
    webhookToleranceSeconds: 300,
  };
}

export function createRuntime(config: RuntimeConfig): Runtime {
  const settings = readSettings(config.env as Readonly<Record<string, unknown>>);
  const plugins = typeof config.plugins === "function" ? config.plugins(settings) : config.plugins ?? [];
  const kernel = createKernel({
    driver: config.driver,
    masterKeys: settings.masterKeys,
    plugins,
    allowInsecureUrls: settings.allowInsecureUrls,
    ...(config.fetch ? { fetch: config.fetch } : {}),
    ...(config.now ? { now: config.now } : {}),
    log: { level: settings.logLevel, ...(config.logSink ? { sink: config.logSink } : {}) },
  });
  const auth = createAdminAuth({
    secret: settings.adminJwtSecret,
    jwksUrl: settings.adminJwksUrl,
    issuer: settings.adminJwtIssuer,
    audience: settings.adminJwtAudience,
    allowInsecureUrls: settings.allowInsecureUrls,
    now: kernel.now,
    ...(config.fetch ? { fetch: config.fetch } : {}),
  });
  const scheduler = createScheduler(kernel, { ...config.scheduler, ...(config.queue ? { queue: config.queue } : {}) });
  const events = createEventProcessor(kernel, { ...config.events, ...(config.queue ? { queue: config.queue } : {}) });
  const deps: HttpDeps = {
    kernel,
    scheduler,
    events,
    auth,
    bodyLimitBytes: settings.webhookBodyLimitBytes,
    webhookToleranceSeconds: settings.webhookToleranceSeconds,
  };
  const app = createApp(deps, {
    admin: adminApi,
    ui: adminUi,
    ...(config.basePath === undefined ? {} : { basePath: config.basePath }),
    ...config.app,
  });
  const logger = kernel.logger;

  return {
    settings,
    kernel,
    scheduler,
    events,
    auth,
    app,
    deps,
    fetch(request, waitUntil) {
      const executionCtx = {
        waitUntil: waitUntil ?? ((work: Promise<unknown>) => void work.catch(() => {})),
        passThroughOnException() {},
        props: {},
      };
      return Promise.resolve(app.fetch(request, {}, executionCtx));
    },
    async tick(now = new Date(kernel.now())) {
      const sweep = config.sweepInbox === false ? Promise.resolve({ retried: 0 }) : events.sweep(now);
      const [ticked, swept] = await Promise.allSettled([scheduler.tick(now), sweep]);
      const errors: string[] = [];
      for (const result of [ticked, swept]) {
        if (result.status === "rejected") {
          errors.push(errorMessage(result.reason));
          logger.error("tick step failed", { error: errorMessage(result.reason) });
        }
      }
      return {
        scheduler: ticked.status === "fulfilled" ? ticked.value : null,
        swept: swept.status === "fulfilled" ? swept.value.retried : 0,
        errors,
      };
    },
    consume(messages) {
      return Promise.all(this.consumeEach(messages));
    },
    consumeEach(messages) {
      // The event messages of one delivery go together, so that their events are read in one step.
      const eventAt: number[] = [];
      messages.forEach((m, i) => isWorkMessage(m) && m.kind === "event" && eventAt.push(i));
      const eventRuns = events.handleMessages(eventAt.map((i) => messages[i] as WorkMessage));
      const runs = new Array<Promise<void> | undefined>(messages.length);
      eventAt.forEach((at, j) => (runs[at] = eventRuns[j]));
      return messages.map(async (message, i): Promise<ConsumeOutcome> => {
        if (!isWorkMessage(message)) {
          // Retrying a message nobody can read would only fill the dead-letter queue later.
          logger.error("dropped a queue message of unknown shape", { message: JSON.stringify(message).slice(0, 200) });
          return { ack: true };
        }
        try {
          await (runs[i] ?? scheduler.handleMessage(message));
          return { ack: true };
        } catch (error) {
          if (!(error instanceof RetryLaterError)) {
            logger.error("queue message failed; it will be retried", {
              kind: message.kind,
              error: errorMessage(error),
            });
          }
          return {
            ack: false,
            error: errorMessage(error),
            ...(error instanceof RetryLaterError ? { retryDelaySeconds: error.delaySeconds } : {}),
          };
        }
      });
    },
    deadLetters(messages) {
      return Promise.all(messages.map(async (message): Promise<ConsumeOutcome> => {
        if (!isWorkMessage(message) || message.kind !== "event") {
          // Scheduled work is not lost with its message: the fan-out parked the job (its index entry, or
          // on Cloudflare its state's next look) for the queue's lease (5 minutes), after which it comes
          // due again and a tick or the tenant's alarm takes it.
          logger.warn("a dead-lettered queue message that is not an event was dropped", {
            message: JSON.stringify(message).slice(0, 200),
          });
          return { ack: true };
        }
        try {
          // One pair's message: that pair alone; a message of the earlier one-per-event shape: all.
          const { plugin } = message;
          const { finalized } = await events.abandon(message.tenantId, message.eventId, DEAD_LETTER_REASON, plugin);
          const fields = { tenant_id: message.tenantId, event_id: message.eventId, ...(plugin ? { plugin } : {}) };
          if (finalized.length) {
            logger.error("the queue gave up on an event; its unfinished plugins are recorded as failed", {
              ...fields,
              plugins: finalized.join(", "),
            });
          } else logger.warn("the queue gave up on an event that had nothing left to run", fields);
          return { ack: true };
        } catch (error) {
          return { ack: false, error: errorMessage(error) };
        }
      }));
    },
  };
}

/** What the history says of an event whose queue gave up on it. */
export const DEAD_LETTER_REASON =
  "gave up: the queue stopped redelivering the event (dead-lettered); replay it to run it again";

function isWorkMessage(value: unknown): value is WorkMessage {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Record<string, unknown>;
  if (typeof m.tenantId !== "string") return false;
  if (m.kind === "event") {
    return typeof m.eventId === "string" && (m.plugin === undefined || typeof m.plugin === "string");
  }
  if (m.kind === "task") return typeof m.taskId === "string" && typeof m.slot === "string";
  if (m.kind === "health") return typeof m.plugin === "string" && typeof m.slot === "string";
  return false;
}
