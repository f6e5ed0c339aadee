/**
 * Netlify build hooks: `POST https://api.netlify.com/build_hooks/<id>` with optional
 * `trigger_branch` and `trigger_title` query parameters; the body reaches the build as
 * INCOMING_HOOK_BODY. Netlify answers 200 with an empty body.
 */
import type { HttpClient } from "@dvp/kernel/client";

export interface NetlifyTrigger {
  branch?: string;
  title?: string;
  /** JSON the build sees as INCOMING_HOOK_BODY. */
  payload?: unknown;
  signal?: AbortSignal;
}

export class NetlifyBuildHookClient {
  constructor(private readonly http: HttpClient) {}

  async trigger(hookUrl: string, options: NetlifyTrigger = {}): Promise<void> {
    const result = await this.http.request({
      url: hookUrl,
      method: "POST",
      query: { trigger_branch: options.branch, trigger_title: options.title },
      json: options.payload ?? {},
      responseType: "none",
      secretUrl: true,
      signal: options.signal,
      retries: 2,
    });
    if (!result.success) throw new Error(`Netlify build hook failed: ${result.error}`);
  }
}
