/**
 * Ahrefs API v3 Site Explorer (`GET https://api.ahrefs.com/v3/site-explorer/…`,
 * `Authorization: Bearer <key>`): domain-rating, backlinks-stats, metrics and
 * organic-keywords. Failures are classified so the task can stop early: a rejected token or
 * exhausted API units will fail every following call too.
 */
import type { HttpClient, HttpResult } from "@dvp/kernel/client";
import type { Pacer } from "./pacer.ts";

/** Ahrefs' rate-limit window: a 429 without Retry-After waits this long before the next request. */
export const RATE_WINDOW_MS = 60_000;
/** Whole-window waits for one call before its 429 ends the run. */
const RATE_LIMIT_WAITS = 3;

export const AHREFS_API_BASE = "https://api.ahrefs.com/v3";

export type AhrefsErrorKind = "auth" | "units" | "rate_limited" | "target" | "unavailable" | "deadline";

export class AhrefsError extends Error {
  constructor(readonly kind: AhrefsErrorKind, readonly status: number, message: string) {
    super(message);
    this.name = "AhrefsError";
  }
}

export interface OrganicKeyword {
  keyword: string;
  volume: number | null;
  best_position: number | null;
  best_position_url: string | null;
  sum_traffic: number | null;
  keyword_difficulty: number | null;
}

export interface TargetQuery {
  target: string;
  date: string;
  mode: string;
  country?: string;
  signal?: AbortSignal;
}

export class AhrefsClient {
  /** API calls made (each costs units); reported in the task result. */
  calls = 0;
  constructor(
    private readonly http: HttpClient,
    private readonly token: string,
    private readonly baseUrl: string = AHREFS_API_BASE,
    /** Spaces the requests to the plan's limit and waits out 429s (none: requests go out unpaced). */
    private readonly pacer?: Pacer,
  ) {}

  async domainRating(q: TargetQuery): Promise<{ domain_rating: number | null; ahrefs_rank: number | null }> {
    const data = await this.#get<{ domain_rating?: { domain_rating?: number; ahrefs_rank?: number } }>(
      "domain-rating",
      { target: q.target, date: q.date },
      q,
    );
    return {
      domain_rating: data.domain_rating?.domain_rating ?? null,
      ahrefs_rank: data.domain_rating?.ahrefs_rank ?? null,
    };
  }

  async backlinksStats(q: TargetQuery): Promise<{ live: number | null; live_refdomains: number | null }> {
    const data = await this.#get<{ metrics?: { live?: number; live_refdomains?: number } }>(
      "backlinks-stats",
      { target: q.target, date: q.date, mode: q.mode },
      q,
    );
    return { live: data.metrics?.live ?? null, live_refdomains: data.metrics?.live_refdomains ?? null };
  }

  async metrics(q: TargetQuery): Promise<Record<string, number | null>> {
    const data = await this.#get<{ metrics?: Record<string, number | null> }>(
      "metrics",
      { target: q.target, date: q.date, mode: q.mode, country: q.country },
      q,
    );
    const m = data.metrics ?? {};
    return {
      org_keywords: m.org_keywords ?? null,
      org_keywords_1_3: m.org_keywords_1_3 ?? null,
      org_traffic: m.org_traffic ?? null,
      org_cost: m.org_cost ?? null,
    };
  }

  async organicKeywords(q: TargetQuery, limit: number): Promise<OrganicKeyword[]> {
    const data = await this.#get<{ keywords?: OrganicKeyword[] }>("organic-keywords", {
      target: q.target,
      date: q.date,
      mode: q.mode,
      country: q.country,
      select: "keyword,volume,best_position,best_position_url,sum_traffic,keyword_difficulty",
      order_by: "sum_traffic:desc",
      limit,
    }, q);
    return data.keywords ?? [];
  }

  async #get<T>(endpoint: string, query: Record<string, string | number | undefined>, q: TargetQuery): Promise<T> {
    for (let waits = 0;; waits++) {
      await this.pacer?.slot(q.signal);
      this.calls++;
      const result = await this.http.request<T>({
        url: `${this.baseUrl.replace(/\/+$/, "")}/site-explorer/${endpoint}`,
        query,
        headers: { authorization: `Bearer ${this.token}`, accept: "application/json" },
        signal: q.signal,
      });
      if (result.success) return result.data ?? ({} as T);
      // Still limited after the HTTP client's short backoff (Ahrefs sends no Retry-After): the
      // window is spent, so nothing is sent until a whole one has passed, if the run has time.
      if (
        result.status === 429 && waits < RATE_LIMIT_WAITS && this.pacer?.pause(result.retryAfterMs ?? RATE_WINDOW_MS)
      ) continue;
      throw failure(endpoint, q, result);
    }
  }
}

function failure(endpoint: string, q: TargetQuery, result: Extract<HttpResult, { success: false }>): AhrefsError {
  const detail = `Ahrefs ${endpoint} for ${q.target}: ${result.error}`;
  const body = result.body ?? "";
  if (result.status === 401) return new AhrefsError("auth", 401, `${detail} (API token rejected)`);
  if ((result.status === 402 || result.status === 403) && /unit|limit|quota|credit|plan|subscription/i.test(body)) {
    return new AhrefsError("units", result.status, `${detail} (API units exhausted or not in plan)`);
  }
  if (result.status === 429) {
    const wait = result.retryAfterMs ? `; retry after ${Math.ceil(result.retryAfterMs / 1000)} s` : "";
    return new AhrefsError("rate_limited", 429, `${detail} (rate limited${wait})`);
  }
  if (result.status >= 400 && result.status < 500) return new AhrefsError("target", result.status, detail);
  return new AhrefsError("unavailable", result.status, detail);
}
