/**
 * Running hooks. Action hooks run side by side and are isolated: a throw, a rejection or a
 * timeout is caught, logged and reported per plugin, and never reaches the caller or the other
 * plugins. Filter hooks run one after another in priority order, each receiving the previous
 * output; the first failure stops the chain and names the plugin.
 */
import { abortHookContext, contextForCall, deepFreeze, type HookContext } from "./context.ts";
import { errorMessage, FilterRejectedError, PluginError } from "./errors.ts";
import type { ActionHookArgs, ActionHookName, Content, FilterHookName, Metadata } from "./hooks.ts";
import type { Logger } from "./logger.ts";
import type { RegisteredPlugin } from "./registry.ts";
import { type Deadline, DeadlineExceeded, startDeadline, withinDeadline } from "./timing/deadline.ts";

export type HookOutcomeStatus = "ok" | "failed" | "timed_out";

export interface HookOutcome {
  plugin: string;
  hook: string;
  status: HookOutcomeStatus;
  durationMs: number;
  error?: string;
  /** The plugin threw a PluginError: its verdict, not a transient failure, so it is not retried. */
  permanent?: true;
}

export interface DispatchOptions {
  /** Per-plugin time limit when the plugin sets none (ms). */
  timeoutMs: number;
  logger: Logger;
}

type Callable = Record<string, (...args: unknown[]) => unknown>;

export async function runActionHook<H extends ActionHookName>(
  entries: readonly RegisteredPlugin[],
  hook: H,
  ctx: HookContext,
  args: ActionHookArgs[H],
  options: DispatchOptions,
): Promise<HookOutcome[]> {
  const n = entries.length;
  const outcomes: HookOutcome[] = new Array(n);
  // The plugins of this dispatch share a context of its own (one object: a copy per plugin costs
  // more than a no-op hook), whose signal aborts when the dispatch ends with a plugin timed out.
  // The caller's context is never aborted, so it can serve the next dispatch (a retry, a notification).
  const call = contextForCall(ctx);
  const start = performance.now();
  // Until the first await, every settled hook gets the same duration (measured once at the end):
  // reading the clock per plugin would cost more than a no-op hook itself.
  let slow = false;
  let pending = 0;
  let wake: (() => void) | null = null;
  // Every plugin of the dispatch gets the same objects, so they are deep-frozen: no plugin can
  // change what another sees. Freezing once costs less than a copy per plugin (BENCHMARKS.md).
  const [a0, a1, a2] = args as unknown[];
  deepFreeze(a1);
  deepFreeze(a2);

  const settle = (i: number, error: unknown, timedOut = false) => {
    if (outcomes[i]) return; // already timed out; a late result changes nothing
    const durationMs = slow ? performance.now() - start : -1;
    const plugin = entries[i]!.name;
    outcomes[i] = error === undefined ? { plugin, hook, status: "ok", durationMs } : {
      plugin,
      hook,
      status: timedOut ? "timed_out" : "failed",
      durationMs,
      error: errorMessage(error),
      ...(error instanceof PluginError ? { permanent: true as const } : {}),
    };
    if (--pending === 0 && wake) wake();
  };

  for (let i = 0; i < n; i++) {
    pending++;
    try {
      // Explicit arguments rather than a spread: cheaper, and no hook takes more than three.
      const result = (entries[i]!.plugin as unknown as Callable)[hook]!(call, a0, a1, a2);
      // Inside the try: a returned proxy, a throwing `then` getter or a `then` that throws is
      // this plugin's failure, and must not abort the dispatch of the other plugins.
      if (result !== null && typeof (result as PromiseLike<unknown>)?.then === "function") {
        (result as PromiseLike<unknown>).then(
          () => settle(i, undefined),
          (error) => settle(i, error ?? new Error("rejected with undefined")),
        );
      } else settle(i, undefined);
    } catch (error) {
      settle(i, error ?? new Error("threw undefined"));
    }
  }

  // Hooks that already settled (the common case) resolve within a microtask: only arm a timer
  // for the ones that are still running after that.
  if (pending > 0) await Promise.resolve();
  if (pending > 0) {
    const fast = performance.now() - start;
    for (const outcome of outcomes) if (outcome) outcome.durationMs = fast;
    slow = true;
    await waitOrTimeOut();
  } else {
    const elapsed = performance.now() - start;
    for (let i = 0; i < n; i++) outcomes[i]!.durationMs = elapsed;
  }

  let timedOut: string | undefined;
  for (let i = 0; i < n; i++) {
    const outcome = outcomes[i]!;
    if (outcome.status !== "ok") logFailure(outcome);
    if (outcome.status === "timed_out") timedOut ??= outcome.error;
  }
  // The kernel waits no longer: a plugin that passed ctx.signal to its requests stops them.
  if (timedOut !== undefined) abortHookContext(call, new Error(timedOut));
  return outcomes;

  function logFailure(outcome: HookOutcome): void {
    options.logger.error(
      `${hook} ${outcome.status === "timed_out" ? "timed out" : "failed"} in plugin ${outcome.plugin}`,
      {
        tenant_id: ctx.tenantId,
        plugin: outcome.plugin,
        hook,
        correlation_id: ctx.correlationId ?? undefined,
        error: outcome.error,
        duration_ms: Math.round(outcome.durationMs),
      },
    );
  }

  /**
   * Until every plugin still running has settled or reached its own time limit: one deadline, at
   * the nearest limit of those running, times out the plugins whose limit that is and is armed again.
   */
  function waitOrTimeOut(): Promise<void> {
    let deadline: Deadline | undefined;
    const limitOf = (i: number) => entries[i]!.plugin.hookTimeoutMs ?? options.timeoutMs;
    const arm = () => {
      let nearest = Infinity;
      for (let i = 0; i < n; i++) if (!outcomes[i]) nearest = Math.min(nearest, limitOf(i));
      if (nearest === Infinity) return;
      const armed = startDeadline(nearest - (performance.now() - start));
      armed.signal.addEventListener("abort", () => {
        for (let i = 0; i < n; i++) {
          if (!outcomes[i] && limitOf(i) <= nearest) {
            settle(i, new DeadlineExceeded(`timed out after ${limitOf(i)} ms`, limitOf(i)), true);
          }
        }
        arm();
      }, { once: true });
      deadline = armed;
    };
    return new Promise<void>((resolve) => {
      wake = resolve;
      arm();
    }).finally(() => deadline?.clear());
  }
}

export interface FilterOptions extends DispatchOptions {}

/**
 * Runs `hook` through `entries` in the order given (the registry's priority order).
 * Returns the final content, or throws FilterRejectedError naming the plugin.
 */
export async function runFilterHook(
  entries: readonly RegisteredPlugin[],
  hook: FilterHookName,
  ctx: HookContext,
  content: Content,
  metadata: Metadata | undefined,
  options: FilterOptions,
): Promise<Content> {
  let current = content;
  for (const entry of entries) {
    const { plugin, name } = entry;
    let next: unknown;
    let failure: unknown;
    const call = contextForCall(ctx); // its signal aborts if this filter times out
    try {
      next = await withinDeadline(
        (plugin as unknown as Callable)[hook]!(call, current, metadata),
        plugin.hookTimeoutMs ?? options.timeoutMs,
      );
      if (next === undefined || next === null || typeof next !== "object" || Array.isArray(next)) {
        failure = new Error(
          `returned ${
            next === undefined ? "nothing" : JSON.stringify(next)
          }; filter hooks must return the content object`,
        );
      }
    } catch (error) {
      if (error instanceof PluginError) {
        error.plugin = name;
        throw new FilterRejectedError(name, hook, error.message, { cause: error });
      }
      failure = error ?? new Error("threw undefined");
      if (error instanceof DeadlineExceeded) abortHookContext(call, error);
    }
    if (failure === undefined) {
      current = next as Content;
      continue;
    }
    const message = errorMessage(failure);
    const fields = {
      tenant_id: ctx.tenantId,
      plugin: name,
      hook,
      correlation_id: ctx.correlationId ?? undefined,
      error: message,
    };
    if (plugin.failOpen) {
      options.logger.warn(`${hook} failed in plugin ${name}; skipped (fail-open)`, fields);
      continue;
    }
    options.logger.error(`${hook} failed in plugin ${name}; operation rejected`, fields);
    throw new FilterRejectedError(name, hook, `plugin ${name} failed: ${message}`, { cause: failure });
  }
  return current;
}
