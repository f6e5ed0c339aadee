/** What every reference plugin's constructor takes, and the HTTP client it builds per tenant. */
import { createHttpClient, type HttpClient, type HttpClientOptions } from "@dvp/kernel/client";
import type { Logger } from "@dvp/kernel";

export interface ReferencePluginOptions {
  /**
   * The deployment's `DVP_ALLOW_INSECURE_URLS=true`: accept http and private/loopback hosts
   * (local development against fakes). Never set it in production.
   */
  allowInsecureUrls?: boolean;
  /** Overrides for the HTTP client, e.g. an instant `sleep` in tests. */
  http?: Partial<Omit<HttpClientOptions, "fetch" | "logger" | "logContext" | "allowInsecureUrls">>;
}

export function pluginHttpClient(
  fetchImpl: typeof fetch,
  logger: Logger,
  tenantId: string,
  options: ReferencePluginOptions,
  defaults: Partial<HttpClientOptions> = {},
): HttpClient {
  return createHttpClient({
    ...defaults,
    ...options.http,
    fetch: fetchImpl,
    logger,
    logContext: { tenant_id: tenantId },
    allowInsecureUrls: options.allowInsecureUrls,
  });
}
