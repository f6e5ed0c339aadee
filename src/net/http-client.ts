/**
 * The resilient HTTP client every plugin's API client is built on (the seed's "Building an API
 * Client", done right): per-attempt timeouts via AbortSignal (combined with the caller's
 * signal), retries with exponential backoff and jitter on network errors, 408, 429 and 5xx,
 * `Retry-After` honoured on 429/503 up to a cap, no retry on other 4xx, structured results, and
 * redirects followed by hand so each target passes the URL guard again.
 *
 * Logs carry the caller's fields (tenant_id, and plugin via a plugin's logger), the method, the
 * URL's origin and path (origin only for `secretUrl`), status and attempt — never headers,
 * bodies or query strings.
 *
 * Trace context: a request whose signal is a hook's `ctx.signal` carries a W3C `traceparent`
 * (the hook's trace, a new span id per attempt), and each attempt is recorded as a span of that
 * hook, attributed to the plugin the client's logger names (docs/observability.md).
 */
import type { Logger } from "../logger.ts";
import { collectorOf } from "../trace/collector.ts";
import { backoffDelay } from "../timing/backoff.ts";
import { startDeadline } from "../timing/deadline.ts";
import { isRetryableStatus, parseRetryAfter } from "./retry.ts";
import { checkUrl, describeUrl } from "./url-guard.ts";

export interface HttpClientOptions {
  /** The fetch to use: a plugin passes `this.fetch` (the kernel's). */
  fetch: typeof fetch;
  logger?: Logger;
  /** Fields for every log record, e.g. `{ tenant_id }`. */
  logContext?: Record<string, unknown>;
  /** Per-attempt time limit, including reading the body (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First backoff step (default 500 ms), doubled per retry up to `maxDelayMs` (default 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The longest `Retry-After` waited for (default 60 s); a longer one ends the call with `retryAfterMs`. */
  retryAfterCapMs?: number;
  /** Redirects followed per attempt (default 5). */
  maxRedirects?: number;
  /** Skip the URL guard: the deployment's `DVP_ALLOW_INSECURE_URLS=true` (local development, tests). */
  allowInsecureUrls?: boolean;
  /** Injectable for tests: waits `ms`, rejecting when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Clock for `Retry-After` dates (default Date.now). */
  now?: () => number;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

export interface HttpRequest {
  url: string | URL;
  method?: string;
  /** Appended to the URL's query (undefined values are skipped). */
  query?: Record<string, string | number | boolean | undefined>;
  headers?: HeadersInit;
  body?: string | Uint8Array<ArrayBuffer> | URLSearchParams;
  /** Sent as JSON with `content-type: application/json`. */
  json?: unknown;
  /** How a successful body is read (default "json"; an empty body gives null). */
  responseType?: "json" | "text" | "none";
  signal?: AbortSignal;
  timeoutMs?: number;
  retries?: number;
  /** Turns each attempt into a signed Request (e.g. SigV4); called again for every attempt. */
  sign?: (url: URL, init: RequestInit) => Request | Promise<Request>;
  /** The URL itself is a credential (deploy hooks): logs and errors show its origin only. */
  secretUrl?: boolean;
  /** Follow redirects (default true); when false a 3xx is returned as a failure. */
  followRedirects?: boolean;
}

export type HttpErrorCode =
  | "http_error"
  | "timeout"
  | "network"
  | "aborted"
  | "unsafe_url"
  | "too_many_redirects"
  | "invalid_body";

export type HttpResult<T = unknown> =
  | { success: true; status: number; data: T; headers: Headers; url: string; attempts: number }
  | {
    success: false;
    /** The HTTP status, or 0 when no response arrived. */
    status: number;
    error: string;
    code: HttpErrorCode;
    attempts: number;
    headers?: Headers;
    /** The start of the error response body (for service-specific error codes). */
    body?: string;
    /** Set when the server asked to wait longer than the cap. */
    retryAfterMs?: number;
  };

export interface HttpClient {
  request<T = unknown>(request: HttpRequest): Promise<HttpResult<T>>;
}

/** What a client uses for the settings its options leave out (`plugin check` budgets with them too). */
export const HTTP_CLIENT_DEFAULTS = Object.freeze({
  timeoutMs: 30_000,
  retries: 3,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
});

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const BODY_SNIPPET = 2000;

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const cap = options.retryAfterCapMs ?? 60_000;

  async function attempt<T>(
    req: HttpRequest,
    attemptNo: number,
    traceparent?: string,
  ): Promise<HttpResult<T> & { retryAfter?: number }> {
    if (req.signal?.aborted) {
      return { success: false, code: "aborted", status: 0, error: "aborted by the caller", attempts: attemptNo };
    }
    const timeoutMs = req.timeoutMs ?? options.timeoutMs ?? HTTP_CLIENT_DEFAULTS.timeoutMs;
    // Combined with the caller's signal: a caller abort ends the attempt too, and is not a timeout.
    const deadline = startDeadline(timeoutMs, req.signal ? { signal: req.signal } : {});
    const fail = (code: HttpErrorCode, status: number, error: string, extra: object = {}) =>
      ({ success: false, code, status, error, attempts: attemptNo, ...extra }) as const;
    try {
      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        return fail("unsafe_url", 0, "refusing URL: not a valid absolute URL");
      }
      for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
      let method = (req.method ?? (req.body !== undefined || req.json !== undefined ? "POST" : "GET")).toUpperCase();
      let body: BodyInit | undefined = req.json !== undefined ? JSON.stringify(req.json) : req.body;
      const headers = new Headers(req.headers);
      if (req.json !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
      if (traceparent && !headers.has("traceparent")) headers.set("traceparent", traceparent);
      const origin = url.origin;
      for (let hop = 0;; hop++) {
        const check = checkUrl(url, { allowInsecure: options.allowInsecureUrls });
        if (!check.ok) return fail("unsafe_url", 0, `refusing ${hop ? "redirect to " : ""}URL: ${check.reason}`);
        const sameOrigin = url.origin === origin;
        if (!sameOrigin) {
          // As browsers do: credentials never follow a redirect to another origin.
          headers.delete("authorization");
          headers.delete("cookie");
        }
        const init: RequestInit = { method, headers, body, redirect: "manual", signal: deadline.signal };
        const request = req.sign && sameOrigin ? await req.sign(url, init) : new Request(url, init);
        const response = await options.fetch(
          request,
          req.sign && sameOrigin ? { signal: deadline.signal, redirect: "manual" } : undefined,
        );
        if (REDIRECTS.has(response.status) && req.followRedirects !== false) {
          const location = response.headers.get("location");
          await response.body?.cancel();
          if (!location) return fail("http_error", response.status, `HTTP ${response.status} without a Location`);
          if (hop >= (options.maxRedirects ?? 5)) {
            return fail("too_many_redirects", response.status, `more than ${options.maxRedirects ?? 5} redirects`);
          }
          try {
            url = new URL(location, url);
          } catch {
            return fail("http_error", response.status, `HTTP ${response.status} with an invalid Location`);
          }
          if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
            method = "GET";
            body = undefined;
            headers.delete("content-type");
          }
          continue;
        }
        if (response.status >= 200 && response.status < 300) {
          const type = req.responseType ?? "json";
          if (type === "none") {
            await response.body?.cancel();
            return ok(response, null as T, url, attemptNo);
          }
          const text = await response.text();
          if (type === "text") return ok(response, text as T, url, attemptNo);
          try {
            return ok(response, (text.trim() === "" ? null : JSON.parse(text)) as T, url, attemptNo);
          } catch {
            return fail("invalid_body", response.status, `HTTP ${response.status}: response is not JSON`, {
              body: text.slice(0, BODY_SNIPPET),
            });
          }
        }
        const text = (await response.text().catch(() => "")).slice(0, BODY_SNIPPET);
        const retryAfter = response.status === 429 || response.status === 503
          ? parseRetryAfter(response.headers.get("retry-after"), now())
          : null;
        return fail("http_error", response.status, `HTTP ${response.status}${summarize(text)}`, {
          headers: response.headers,
          body: text,
          ...(retryAfter !== null ? { retryAfter } : {}),
        });
      }
    } catch (error) {
      if (deadline.expired) return fail("timeout", 0, `timed out after ${timeoutMs} ms`);
      if (req.signal?.aborted) return fail("aborted", 0, "aborted by the caller");
      return fail("network", 0, `network error: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      deadline.clear();
    }
  }

  return {
    async request<T>(req: HttpRequest): Promise<HttpResult<T>> {
      const retries = req.retries ?? options.retries ?? HTTP_CLIENT_DEFAULTS.retries;
      const where = describeUrl(req.url, { hidePath: req.secretUrl });
      const method = req.method ?? (req.body !== undefined || req.json !== undefined ? "POST" : "GET");
      const log = { ...options.logContext, method: method.toUpperCase(), url: where };
      const trace = collectorOf(req.signal);
      for (let attemptNo = 1;; attemptNo++) {
        const call = trace?.startCall(pluginOf(options.logger), `${log.method} ${where}`);
        const result = await attempt<T>(req, attemptNo, call?.traceparent);
        if (result.success) {
          call?.end(result.status);
          return result;
        }
        const { retryAfter, ...failure } = result;
        if (req.secretUrl) failure.error = hideUrl(failure.error, req.url, where);
        call?.end(failure.status, failure.error);
        const retryable = failure.code === "network" || failure.code === "timeout" ||
          (failure.code === "http_error" && isRetryableStatus(failure.status));
        if (!retryable || attemptNo > retries) {
          options.logger?.warn("request failed", {
            ...log,
            status: failure.status,
            attempts: attemptNo,
            error: failure.error,
          });
          return failure;
        }
        if (retryAfter !== undefined && retryAfter > cap) {
          options.logger?.warn("server asked to retry later than the cap", {
            ...log,
            status: failure.status,
            retry_after_ms: retryAfter,
          });
          return { ...failure, retryAfterMs: retryAfter };
        }
        const delay = retryAfter ?? backoffDelay(attemptNo, {
          baseDelayMs: options.baseDelayMs ?? HTTP_CLIENT_DEFAULTS.baseDelayMs,
          maxDelayMs: options.maxDelayMs ?? HTTP_CLIENT_DEFAULTS.maxDelayMs,
          random: options.random,
        });
        options.logger?.warn("request failed, retrying", {
          ...log,
          status: failure.status,
          attempt: attemptNo,
          delay_ms: delay,
          error: failure.error,
        });
        try {
          await sleep(delay, req.signal);
        } catch {
          return { ...failure, code: "aborted", error: "aborted by the caller while waiting to retry" };
        }
      }
    },
  };
}

/** The plugin a client belongs to, by its logger (a plugin's is `dvp.plugin.<name>`); "" if none. */
function pluginOf(logger: Logger | undefined): string {
  return logger?.name.startsWith("dvp.plugin.") ? logger.name.slice("dvp.plugin.".length) : "";
}

function ok<T>(response: Response, data: T, url: URL, attempts: number): HttpResult<T> {
  return { success: true, status: response.status, data, headers: response.headers, url: url.href, attempts };
}

/** A short reason from an error body: a JSON `error`/`message` field or the first line of text. */
function summarize(text: string): string {
  if (!text) return "";
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const error = parsed.error;
    const message = typeof error === "object" && error !== null
      ? (error as Record<string, unknown>).message ?? (error as Record<string, unknown>).code
      : parsed.error_description ?? error ?? parsed.message;
    if (typeof message === "string") return `: ${message.slice(0, 200)}`;
  } catch {
    // not JSON
  }
  const xml = /<Message>([^<]{1,200})<\/Message>/.exec(text);
  if (xml) return `: ${xml[1]}`;
  return `: ${text.split("\n")[0]!.slice(0, 200)}`;
}

/** Removes a secret URL (with or without its query, or just its path) from a message. */
function hideUrl(message: string, secret: string | URL, replacement: string): string {
  let out = message.replaceAll(String(secret), replacement);
  try {
    const url = new URL(secret);
    for (const part of [url.href, `${url.origin}${url.pathname}`, url.pathname]) {
      if (part.length > 1) out = out.replaceAll(part, replacement);
    }
  } catch {
    // not a URL: nothing more to hide
  }
  return out;
}
