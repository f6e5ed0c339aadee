/**
 * Search Console Search Analytics:
 * `POST https://www.googleapis.com/webmasters/v3/sites/{siteUrl}/searchAnalytics/query`
 * with `startDate`, `endDate`, `dimensions`, `type`, `dataState`, `rowLimit` (≤ 25,000) and
 * `startRow` for paging. A 401 refreshes the access token once.
 */
import { upstreamError } from "@dvp/kernel";
import type { HttpClient } from "@dvp/kernel/client";
import type { GoogleTokenProvider } from "./auth.ts";

export const GOOGLE_API_BASE = "https://www.googleapis.com";

export interface SearchAnalyticsRow {
  keys?: string[];
  clicks: number;
  impressions: number;
  ctr: number;
  position: number;
}

export interface SearchAnalyticsQuery {
  startDate: string;
  endDate: string;
  dimensions: string[];
  type: string;
  dataState: string;
  rowLimit: number;
}

export class SearchConsoleClient {
  constructor(
    private readonly http: HttpClient,
    private readonly tokens: GoogleTokenProvider,
    private readonly baseUrl: string = GOOGLE_API_BASE,
  ) {}

  /** One page of rows. */
  async queryPage(siteUrl: string, query: SearchAnalyticsQuery, startRow: number, signal?: AbortSignal) {
    const url = `${this.baseUrl.replace(/\/+$/, "")}/webmasters/v3/sites/${
      encodeURIComponent(siteUrl)
    }/searchAnalytics/query`;
    const send = async (token: string) =>
      this.http.request<{ rows?: SearchAnalyticsRow[] }>({
        url,
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        json: { ...query, startRow, aggregationType: "auto" },
        signal,
      });
    let result = await send(await this.tokens.accessToken(signal));
    if (!result.success && result.status === 401) result = await send(await this.tokens.refresh(signal));
    if (!result.success) {
      const hint = result.status === 403 ? " (add the service account's client_email as a user of this property)" : "";
      throw upstreamError(`Search Analytics query for ${siteUrl} failed: ${result.error}${hint}`, result);
    }
    return result.data?.rows ?? [];
  }

  /** Every row up to `maxRows`, page by page (`startRow` advances until a short page). */
  async queryAll(siteUrl: string, query: SearchAnalyticsQuery, maxRows: number, signal?: AbortSignal) {
    const rows: SearchAnalyticsRow[] = [];
    for (let startRow = 0; rows.length < maxRows;) {
      const limit = Math.min(query.rowLimit, maxRows - rows.length);
      const page = await this.queryPage(siteUrl, { ...query, rowLimit: limit }, startRow, signal);
      rows.push(...page);
      startRow += page.length;
      if (page.length < limit) break;
    }
    return rows;
  }
}
