/**
 * Deno adapter: `Deno.serve` (PORT, default 8000), `Deno.openKv` (DVP_KV_PATH; on Deno Deploy the
 * app's own KV, opened with no path; elsewhere a local file), `Deno.cron` for the tick, and the KV
 * queue (`kv.enqueue`/`listenQueue`) as the work queue, with undeliverable messages kept under
 * ["dvp-dead-letter", …]. Deno Deploy has no KV queue: there (and wherever DVP_KV_QUEUE=false) the
 * runtime runs without one: an inbox marker beside each accepted event, the dispatch in the
 * background, and the tick's sweep re-driving what did not finish. Translation only.
 */
import { bundledPlugins } from "../../plugins/index.ts";
import { ConfigurationError } from "../errors.ts";
import type { LogSink } from "../logger.ts";
import type { TcpConnect } from "../net/tcp.ts";
import type { Plugin } from "../plugin.ts";
import { createDenoKvWorkQueue, queuedMessages, settleDelivery } from "../backends/deno/queue.ts";
import { createRuntime, type Runtime, type RuntimeSettings } from "../runtime.ts";
import { createDenoKVDriver } from "../backends/deno/kv.ts";

export interface DenoStartOptions {
  /** Variables (default Deno.env). */
  env?: Record<string, string>;
  /** Listen here instead of PORT (0: any free port). */
  port?: number;
  hostname?: string;
  /** An open Kv instead of DVP_KV_PATH (or Deno Deploy's KV). */
  kv?: Deno.Kv;
  /**
   * Register the tick (default Deno.cron); tests pass their own to call the handler. An entry that
   * Deno Deploy runs passes `registerDenoTick()`, called at its top level (see there).
   */
  cron?: CronRegistrar;
  /** The plugins (default: the bundled ones, given a `Deno.connect` TcpConnect). */
  plugins?: (settings: RuntimeSettings) => Plugin[];
  /** Outbound fetch for plugins (default the global fetch). */
  fetch?: typeof fetch;
  /** The clock, ms since the epoch (tests). */
  now?: () => number;
  /** Where log records go (default the console); tests capture them. */
  logSink?: LogSink;
  /**
   * Delays (ms) before the KV queue delivers again what did not finish and gave no delay of its own
   * (default 5 s, 30 s, 1, 2, 5 min); after the last, it goes to the dead letters.
   */
  queueBackoffMs?: number[];
  /** A failed hook's first retry delay in seconds, doubled per attempt, with jitter (default 30). */
  retryBaseSeconds?: number;
  /**
   * Deliver events and tasks through the KV queue (default: DVP_KV_QUEUE, else true except on Deno
   * Deploy, which has no KV queue). Without it, the inbox and the tick's sweep deliver them.
   */
  kvQueue?: boolean;
  onListen?: (address: { hostname: string; port: number }) => void;
}

export interface DenoKernel {
  runtime: Runtime;
  server: Deno.HttpServer<Deno.NetAddr>;
  kv: Deno.Kv;
  /** The URL the server listens on. */
  url: string;
  /** Resolves when the work requests and deliveries left running (dispatches, queue deliveries) has settled. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const DEAD_LETTER = "dvp-dead-letter";
const TICK_NAME = "dvp-tick";
const TICK_SCHEDULE = "* * * * *";
const LOCAL_KV_PATH = ".dvp/kv.sqlite3";

type CronRegistrar = (name: string, schedule: string, handler: () => Promise<void>) => unknown;

/** Whether this process runs on Deno Deploy (which sets DENO_DEPLOY and DENO_DEPLOYMENT_ID). */
export function onDenoDeploy(env: Record<string, string | undefined>): boolean {
  return env.DENO_DEPLOY === "true" || Boolean(env.DENO_DEPLOYMENT_ID);
}

/**
 * Whether the KV queue carries the work: DVP_KV_QUEUE (true/false) when set, else not on Deno
 * Deploy, whose current platform has no `enqueue`/`listenQueue` (only Deploy Classic had them).
 */
export function usesKvQueue(env: Record<string, string | undefined>): boolean {
  const value = env.DVP_KV_QUEUE?.trim().toLowerCase();
  if (!value) return !onDenoDeploy(env);
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new ConfigurationError("DVP_KV_QUEUE", "must be true or false");
}

/**
 * Registers the tick with Deno.cron now, for startDeno to take over later. Deno Deploy finds crons
 * by evaluating the main module's top-level code, before the server starts: a cron registered after
 * `await Deno.openKv()` is never scheduled there. Call this at the top level of the entry, before
 * any await, and pass the result as `startDeno({ cron })`; a tick that fires while the kernel is
 * still starting waits for it.
 */
export function registerDenoTick(cron: CronRegistrar = Deno.cron): CronRegistrar {
  let ready!: (handler: () => Promise<void>) => void;
  const handler = new Promise<() => Promise<void>>((resolve) => (ready = resolve));
  cron(TICK_NAME, TICK_SCHEDULE, async () => (await handler)());
  return (_name, _schedule, run) => ready(run);
}

/**
 * Whether this Deno keeps an HTTP/1.1 connection open after a request with a body. 2.8.3–2.9.5
 * answer `Connection: close` to any body over ~500 bytes, read or not (denoland/deno#36657), so
 * every webhook costs its sender a new connection.
 */
export function keepsAliveAfterBodies(version: string): boolean {
  const [major, minor, patch] = version.split(/[.+-]/).map(Number);
  return !(major === 2 && ((minor === 8 && patch! >= 3) || (minor === 9 && patch! <= 5)));
}

const denoConnect: TcpConnect = async ({ hostname, port }) => {
  const conn = await Deno.connect({ hostname, port });
  return {
    readable: conn.readable,
    writable: conn.writable,
    close: () => Promise.resolve().then(() => conn.close()).catch(() => {}),
  };
};

export async function startDeno(options: DenoStartOptions = {}): Promise<DenoKernel> {
  const env = options.env ?? Deno.env.toObject();
  const withQueue = options.kvQueue ?? usesKvQueue(env);
  const kv = options.kv ?? await openKv(env);
  // Redelivery delays: the queue's own schedule unless a caller (a test) sets one.
  const backoff = options.queueBackoffMs ? { backoffMs: options.queueBackoffMs } : {};
  const queue = withQueue ? createDenoKvWorkQueue(kv, { ...backoff, deadLetterPrefix: DEAD_LETTER }) : undefined;
  let runtime: Runtime;
  try {
    runtime = createRuntime({
      env,
      driver: createDenoKVDriver(kv),
      ...(queue ? { queue } : {}),
      plugins: options.plugins ??
        ((settings) => bundledPlugins({ connect: denoConnect, allowInsecureUrls: settings.allowInsecureUrls })),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.logSink ? { logSink: options.logSink } : {}),
      ...(options.retryBaseSeconds === undefined ? {} : { events: { retryBaseSeconds: options.retryBaseSeconds } }),
    });
  } catch (error) {
    if (!options.kv) kv.close();
    throw error;
  }
  // Work that outlives its request or delivery (queue deliveries, background dispatches): close() waits for it.
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const settled = work.catch(() => {}).finally(() => inFlight.delete(settled));
    inFlight.add(settled);
  };
  if (withQueue) {
    kv.listenQueue(async (message: unknown) => {
      const messages = queuedMessages(message);
      const work = runtime.consume(messages);
      track(work);
      const outcomes = await work;
      // Only what did not finish goes again, not the whole group: after the kernel's backoff (the
      // longest its failed hooks ask for), or the queue's next delay where none asked.
      const unfinished = messages.filter((_, i) => !outcomes[i]?.ack);
      const asked = outcomes.flatMap((o) => !o.ack && o.retryDelaySeconds !== undefined ? [o.retryDelaySeconds] : []);
      await settleDelivery(kv, message, unfinished, {
        ...backoff,
        deadLetterPrefix: DEAD_LETTER,
        ...(asked.length ? { delayMs: Math.max(...asked) * 1000 } : {}),
      });
    });
  }
  const idle = async () => {
    await runtime.events.idle();
    while (inFlight.size) await Promise.allSettled([...inFlight]);
  };
  const cron = options.cron ?? Deno.cron;
  cron(TICK_NAME, TICK_SCHEDULE, async () => {
    await runtime.tick();
    if (withQueue) await recordDeadLetters(kv, runtime);
  });

  const requested = options.port ?? Number(env.PORT || 8000);
  let listening!: (address: Deno.NetAddr) => void;
  const listened = new Promise<Deno.NetAddr>((resolve) => (listening = resolve));
  const server = Deno.serve({
    port: requested,
    hostname: options.hostname ?? env.HOSTNAME ?? "0.0.0.0",
    onListen: (address) => listening(address as Deno.NetAddr),
  }, (request) => runtime.fetch(request, track));
  const address = await listened;
  if (!keepsAliveAfterBodies(Deno.version.deno)) {
    runtime.kernel.logger.warn(
      `Deno ${Deno.version.deno} closes the connection after every request body over ~500 bytes ` +
        "(denoland/deno#36657): each webhook costs its sender a new connection. Use Deno 2.9.6 or later.",
    );
  }
  const host = address.hostname === "0.0.0.0" ? "127.0.0.1" : address.hostname;
  options.onListen?.({ hostname: host, port: address.port });
  return {
    runtime,
    server,
    kv,
    url: `http://${host}:${address.port}`,
    idle,
    async close() {
      await server.shutdown();
      await idle(); // deliveries and dispatches in progress finish first
      if (!options.kv) kv.close();
    },
  };
}

/** DVP_KV_PATH when set; on Deno Deploy the app's KV (opened with no path); else a local file. */
function openKv(env: Record<string, string>): Promise<Deno.Kv> {
  if (env.DVP_KV_PATH) return Deno.openKv(env.DVP_KV_PATH);
  return onDenoDeploy(env) ? Deno.openKv() : Deno.openKv(LOCAL_KV_PATH);
}

/** Values Deno KV stopped redelivering (kept under [DEAD_LETTER, …]): recorded, then removed. */
async function recordDeadLetters(kv: Deno.Kv, runtime: Runtime): Promise<void> {
  try {
    for await (const entry of kv.list({ prefix: [DEAD_LETTER] }, { limit: 100 })) {
      const outcomes = await runtime.deadLetters(queuedMessages(entry.value));
      if (outcomes.every((o) => o.ack)) await kv.delete(entry.key); // else the next tick tries again
    }
  } catch (error) {
    runtime.kernel.logger.error("could not record dead-lettered messages; the next tick tries again", {
      error: (error as Error)?.message ?? String(error),
    });
  }
}
