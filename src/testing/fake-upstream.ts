/**
 * A recording fetch with routes: plugins call `this.fetch`, which the test kernel points here,
 * so a test registers what "api.example.com" answers and then reads what the plugin sent. No
 * socket is opened. A request no route matches fails like an unreachable host (a TypeError),
 * and is still recorded, so the test can see what was attempted.
 */
export type RouteHandler = (request: Request, call: RecordedRequest) => Response | Promise<Response>;

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Headers;
  /** The body as text ("" when none). */
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** Whether a route answered it. */
  matched: boolean;
}

export interface RouteOptions {
  /** Answer only this many requests, then fall through to earlier routes (e.g. a 429 once). */
  times?: number;
}

/** `"POST"`, `"*"` for any method. URL: exact (query ignored unless the pattern has one), `…*` prefix, or a RegExp. */
export type UrlPattern = string | RegExp;

export interface FakeUpstream {
  /** Hand this to the kernel (`createKernel({ fetch })`); the test kernel does so itself. */
  readonly fetch: typeof fetch;
  /** Every request, in order. */
  readonly requests: RecordedRequest[];
  /** Register an answer. Later routes win over earlier ones, so a test can override a default. */
  on(method: string, url: UrlPattern, answer: RouteHandler | Response, options?: RouteOptions): FakeUpstream;
  /** Same as `on(…, { times: 1 })`. */
  once(method: string, url: UrlPattern, answer: RouteHandler | Response): FakeUpstream;
  /** Requests whose method and URL match. */
  requestsTo(method: string, url: UrlPattern): RecordedRequest[];
  /** Requests no route answered. */
  unmatched(): RecordedRequest[];
  /** Forget routes and requests. */
  reset(): void;
}

interface Route {
  method: string;
  url: UrlPattern;
  answer: RouteHandler;
  remaining: number;
}

export function createFakeUpstream(): FakeUpstream {
  let routes: Route[] = [];
  const requests: RecordedRequest[] = [];

  const fakeFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const body = request.body ? await request.clone().text() : "";
    const call: RecordedRequest = {
      method: request.method,
      url: request.url,
      headers: new Headers(request.headers),
      body,
      json: parseJson(body),
      matched: false,
    };
    requests.push(call);
    if (request.signal?.aborted) throw request.signal.reason ?? new DOMException("aborted", "AbortError");
    for (let i = routes.length - 1; i >= 0; i--) {
      const route = routes[i]!;
      if (route.remaining <= 0 || !matches(route.method, route.url, call.method, call.url)) continue;
      route.remaining--;
      call.matched = true;
      return await route.answer(request, call);
    }
    throw new TypeError(
      `fake upstream: no route for ${call.method} ${call.url} (register one with upstream.on("${call.method}", "${call.url}", …))`,
    );
  };

  const upstream: FakeUpstream = {
    fetch: fakeFetch as typeof fetch,
    requests,
    on(method, url, answer, options = {}) {
      const handler = typeof answer === "function" ? answer : replay(answer);
      routes.push({ method: method.toUpperCase(), url, answer: handler, remaining: options.times ?? Infinity });
      return upstream;
    },
    once(method, url, answer) {
      return upstream.on(method, url, answer, { times: 1 });
    },
    requestsTo: (method, url) => requests.filter((r) => matches(method.toUpperCase(), url, r.method, r.url)),
    unmatched: () => requests.filter((r) => !r.matched),
    reset() {
      routes = [];
      requests.length = 0;
    },
  };
  return upstream;
}

/**
 * A fresh copy of `response` per request, from its body read once. Not `response.clone()`: clones
 * share a tee'd stream, and cancelling one (`res.body?.cancel()`, as plugins do with a body they do
 * not need) waits until every other clone is read or cancelled, so the plugin would hang.
 */
function replay(response: Response): RouteHandler {
  let body: Promise<ArrayBuffer | null> | undefined;
  return async () => {
    if (response.type === "error") return Response.error();
    body ??= response.body ? response.arrayBuffer() : Promise.resolve(null);
    const bytes = await body;
    return new Response(bytes === null ? null : bytes.slice(0), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** A JSON response (or an empty one when `json` is undefined), e.g. `respondWith(429, { error: "slow down" }, { "retry-after": "2" })`. */
export function respondWith(status: number, json?: unknown, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  const nullBody = status === 204 || status === 205 || status === 304;
  if (json !== undefined && !nullBody && !h.has("content-type")) h.set("content-type", "application/json");
  return new Response(json === undefined || nullBody ? null : JSON.stringify(json), { status, headers: h });
}

function matches(routeMethod: string, pattern: UrlPattern, method: string, url: string): boolean {
  if (routeMethod !== "*" && routeMethod !== method) return false;
  if (pattern instanceof RegExp) return pattern.test(url);
  if (pattern.endsWith("*")) return url.startsWith(pattern.slice(0, -1));
  const target = pattern.includes("?") ? url : url.split("?")[0]!;
  return normalise(target) === normalise(pattern);
}

/** `https://a.example` and `https://a.example/` are the same URL. */
function normalise(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
