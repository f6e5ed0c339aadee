import type { PluginNames } from "../names.ts";

export function clientTemplate(n: PluginNames): string {
  return `/**
 * The client for the service at \`api_endpoint\`, on the kernel's shared HTTP client: per-call
 * timeouts, retries with backoff on network errors, 429 and 5xx (honouring Retry-After), no
 * retry on other 4xx, the URL guard against private addresses, and structured results instead of
 * exceptions, so the plugin decides what a failure means.
 */
import { createHttpClient, type HttpClient, type HttpClientOptions, type HttpResult } from "../../src/entries/client.ts";
import type { Logger } from "../../src/index.ts";

export interface ${n.clientClass}Options {
  baseUrl: string;
  token: string;
  tenantId: string;
  /** The plugin's \`this.fetch\` (the kernel's), which tests replace with a fake upstream. */
  fetch: typeof fetch;
  logger: Logger;
  /** Per attempt; with \`retries\`, the caller keeps all attempts within its own time limit. */
  timeoutMs: number;
  retries: number;
  /** Passed through to the shared client (e.g. \`allowInsecureUrls\` in local development, \`sleep\` in tests). */
  http?: Partial<HttpClientOptions>;
}

export class ${n.clientClass} {
  readonly #http: HttpClient;
  readonly #baseUrl: string;
  readonly #token: string;

  constructor(options: ${n.clientClass}Options) {
    this.#baseUrl = options.baseUrl.replace(/\\/+$/, "");
    this.#token = options.token;
    this.#http = createHttpClient({
      ...options.http,
      fetch: options.fetch,
      logger: options.logger,
      logContext: { tenant_id: options.tenantId },
      timeoutMs: options.timeoutMs,
      retries: options.retries,
    });
  }

  get<T = unknown>(path: string, signal?: AbortSignal): Promise<HttpResult<T>> {
    return this.#http.request<T>({ url: this.#baseUrl + path, headers: this.#headers(), signal });
  }

  post<T = unknown>(path: string, json: unknown, signal?: AbortSignal): Promise<HttpResult<T>> {
    return this.#http.request<T>({ url: this.#baseUrl + path, method: "POST", json, headers: this.#headers(), signal });
  }

  #headers(): HeadersInit {
    return { authorization: \`Bearer \${this.#token}\`, accept: "application/json" };
  }
}
`;
}
