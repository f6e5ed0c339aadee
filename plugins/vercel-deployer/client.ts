/** Vercel Deploy Hooks: `POST <hook URL>` → `{"job":{"id","state","createdAt"}}` (201). */
import type { HttpClient } from "@dvp/kernel/client";

export interface VercelJob {
  id: string;
  state: string;
  createdAt?: number;
}

export class VercelDeployHookClient {
  constructor(private readonly http: HttpClient) {}

  /** Starts a deployment; throws with the status and Vercel's message when it is refused. */
  async trigger(hookUrl: string, options: { buildCache: boolean; signal?: AbortSignal }): Promise<VercelJob | null> {
    const result = await this.http.request<{ job?: VercelJob }>({
      url: hookUrl,
      method: "POST",
      query: options.buildCache ? undefined : { buildCache: "false" },
      secretUrl: true,
      signal: options.signal,
      // A retried POST could start a second build; two quick retries are worth that risk, more are not.
      retries: 2,
    });
    if (!result.success) throw new Error(`Vercel deploy hook failed: ${result.error}`);
    return result.data?.job ?? null;
  }
}
