/**
 * The guide's timeout rule, checked in a plugin's source: a content or filter hook has
 * `hookTimeoutMs` (10 s unless the plugin sets its own) for everything it does, so a shared HTTP
 * client it uses must fit all its attempts and the backoff between them within it; past it the
 * kernel records the hook as timed out while the client would still be retrying.
 *
 * It reads `createHttpClient({ … })` calls, a hook's options chosen per use and one request's
 * overrides (see SITES) whose `timeoutMs` and `retries` are numbers in the source, left at the
 * client's defaults, or a config property times a number (taken at its schema default). A value it cannot evaluate (a variable, a spread that may set it) it leaves alone: the
 * check names what it can be sure of. `// dvp-check-ignore: client-budget` on one of the two lines
 * before a call leaves that call alone (a client only tasks use, whose limit is their timeoutSeconds).
 */
import { ACTION_HOOKS, detectHooks, FILTER_HOOKS, type HookName } from "../hooks.ts";
import { DEFAULT_HOOK_TIMEOUT_MS } from "../kernel.ts";
import { HTTP_CLIENT_DEFAULTS } from "../net/http-client.ts";
import type { Plugin } from "../plugin.ts";
import { backoffDelay } from "../timing/backoff.ts";
import type { LintProblem } from "./lint-plugin.ts";

const IGNORE = "dvp-check-ignore: client-budget";

export interface ClientSettings {
  timeoutMs?: number;
  retries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface ClientBudget {
  /** 1-based line of the `createHttpClient(` call. */
  line: number;
  timeoutMs: number;
  retries: number;
  /** The longest one request can take: every attempt's timeout and the longest backoff waits. */
  budgetMs: number;
  /** Where a value came from when it is not a number in the source, e.g. "config timeout_seconds (default 30)". */
  from?: string;
  /** Set when the settings are not a `createHttpClient` call's: a hook's options, or one request's. */
  call?: Exclude<ClientCall, "createHttpClient">;
}

/** Every attempt's time limit plus the backoff before each retry at its longest (jitter at its top: the step itself). */
export function clientBudgetMs(settings: ClientSettings): number {
  const { timeoutMs, retries, baseDelayMs, maxDelayMs } = { ...HTTP_CLIENT_DEFAULTS, ...settings };
  let waits = 0;
  for (let retry = 1; retry <= retries; retry++) {
    waits += backoffDelay(retry, { baseDelayMs, maxDelayMs, jitter: [1, 1] });
  }
  return (retries + 1) * timeoutMs + waits;
}

/**
 * Where client settings are written, as object literals:
 * - `createHttpClient({ … })`, the client's own (unset values are the client's defaults);
 * - a hook's options chosen per use, `use === "hook" ? { timeoutMs, retries } : …` (as in the
 *   scaffold's `client(tenantId, use)`, which hands them on through variables);
 * - one request's overrides, `.request({ …, timeoutMs, retries })`.
 * The last two are judged only when they set `timeoutMs`; without `retries` they are taken at one
 * attempt, the least they can take, so what is named is certain.
 */
const SITES: { call: ClientCall; pattern: RegExp }[] = [
  { call: "createHttpClient", pattern: /createHttpClient\s*\(\s*\{/g },
  { call: "hook", pattern: /(?:\b[\w$.]+\s*===?\s*(["'`])hook\1|(["'`])hook\2\s*===?\s*[\w$.]+)\s*\?\s*\{/g },
  { call: "request", pattern: /\.request\s*(?:<[^<>()]*>)?\s*\(\s*\{/g },
];

export type ClientCall = "createHttpClient" | "hook" | "request";

/** The budgets of the client settings in `source` that can be evaluated (see SITES). */
export function findClientBudgets(source: string, configSchema: object | undefined): ClientBudget[] {
  const properties = ((configSchema as { properties?: Record<string, { default?: unknown }> })?.properties) ?? {};
  const budgets: ClientBudget[] = [];
  for (const { call, pattern } of SITES) {
    for (const match of source.matchAll(pattern)) {
      const open = match.index! + match[0].length - 1;
      const body = objectLiteral(source, open);
      if (body === null) continue;
      const settings: ClientSettings = {};
      const sources: string[] = [];
      let known = true;
      for (const key of ["timeoutMs", "retries", "baseDelayMs", "maxDelayMs"] as const) {
        const expr = new RegExp(`(?:^|[\\s,{])${key}\\s*:\\s*([^,\\n}]+)`).exec(body)?.[1];
        if (expr === undefined) continue;
        const value = evaluate(expr.trim(), properties);
        if (value === null) {
          known = false;
          break;
        }
        settings[key] = value.value;
        if (value.from) sources.push(value.from);
      }
      // A spread may set what the literal leaves out: only judge the two that decide the budget when set here.
      if (!known || (body.includes("...") && (settings.timeoutMs === undefined || settings.retries === undefined))) {
        continue;
      }
      if (call !== "createHttpClient") {
        if (settings.timeoutMs === undefined) continue;
        settings.retries ??= 0;
      }
      const full = { ...HTTP_CLIENT_DEFAULTS, ...settings };
      budgets.push({
        line: source.slice(0, call === "createHttpClient" ? match.index : open).split("\n").length,
        timeoutMs: full.timeoutMs,
        retries: full.retries,
        budgetMs: clientBudgetMs(full),
        ...(sources.length ? { from: sources.join(", ") } : {}),
        ...(call === "createHttpClient" ? {} : { call }),
      });
    }
  }
  return budgets.sort((a, b) => a.line - b.line);
}

/** The hook-limit problems of a plugin's source files (paths as they should be printed). */
export function lintClientBudget(plugin: Plugin, files: { path: string; text: string }[]): LintProblem[] {
  const limited: readonly HookName[] = [...ACTION_HOOKS, ...FILTER_HOOKS];
  if (!detectHooks(plugin).hooks.some((hook) => limited.includes(hook))) return [];
  const limit = plugin.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
  const problems: LintProblem[] = [];
  for (const file of files) {
    const lines = file.text.split("\n");
    for (const budget of findClientBudgets(file.text, plugin.CONFIG_SCHEMA)) {
      if (budget.budgetMs <= limit) continue;
      if (lines.slice(Math.max(0, budget.line - 3), budget.line - 1).some((l) => l.includes(IGNORE))) continue;
      const from = budget.from ? `, timeoutMs from ${budget.from}` : "";
      problems.push({
        area: "timeouts",
        message: `${file.path}:${budget.line}: ${WHAT[budget.call ?? "createHttpClient"]} can take ${
          seconds(budget.budgetMs)
        } (${budget.retries + 1} attempt${budget.retries ? "s" : ""} of ${
          seconds(budget.timeoutMs)
        }, retries: ${budget.retries}, and their backoff${from}), over the ${
          seconds(limit)
        } a hook gets (hookTimeoutMs): lower timeoutMs or retries, e.g. ${suggestion(limit)}`,
      });
    }
  }
  return problems;
}

const WHAT: Record<ClientCall, string> = {
  createHttpClient: "createHttpClient",
  hook: "the client options for hooks",
  request: "request({ timeoutMs, retries })",
};

/** Three attempts that fit `limit` with their backoff, in whole half-seconds (or one attempt when it is short). */
function suggestion(limit: number): string {
  const timeoutMs = Math.floor((limit - 1_500) / 3 / 500) * 500;
  if (timeoutMs < 500) return `timeoutMs: ${limit}, retries: 0`;
  return `timeoutMs: ${timeoutMs.toLocaleString("en-US").replace(/,/g, "_")}, retries: 2 (${
    seconds(clientBudgetMs({ timeoutMs, retries: 2 }))
  })`;
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

/** The text between the brace at `open` and its match, or null when it does not close. */
function objectLiteral(source: string, open: number): string | null {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < source.length; i++) {
    const c = source[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return source.slice(open + 1, i);
  }
  return null;
}

/** A number, a product of numbers, or `something.prop * n` with `prop` a config property with a numeric default. */
function evaluate(
  expr: string,
  properties: Record<string, { default?: unknown }>,
): { value: number; from?: string } | null {
  let value = 1;
  let from: string | undefined;
  for (const raw of expr.split("*")) {
    const factor = raw.trim().replace(/^\((.*)\)$/, "$1").trim();
    if (/^\d[\d_]*(?:\.\d+)?$/.test(factor)) {
      value *= Number(factor.replace(/_/g, ""));
      continue;
    }
    const prop = /^[A-Za-z_$][\w$]*\.([A-Za-z_$][\w$]*)(?:\s*\?\?\s*\d[\d_]*)?$/.exec(factor)?.[1];
    const fallback = prop === undefined ? undefined : properties[prop]?.default;
    if (typeof fallback !== "number" || from) return null;
    value *= fallback;
    from = `config ${prop} (default ${fallback})`;
  }
  return Number.isFinite(value) ? { value, ...(from ? { from } : {}) } : null;
}
