/**
 * Fake Ahrefs API v3 Site Explorer: Bearer token required (401 otherwise), required query
 * parameters checked per endpoint (`target`, `date` as YYYY-MM-DD, `mode` enum, `select` on
 * list endpoints), an API-unit budget (403 `{"error":"… API units limit reached …"}` when
 * spent), a per-minute rate limit answered as Ahrefs does (429 with no Retry-After) and
 * injectable failures, answered only to requests that are otherwise valid.
 */
import { type FakeServer, sendJson, startFakeServer } from "./server.ts";

export interface FakeAhrefs extends FakeServer {
  unitsLeft: number;
  /** When each request the rate limit let through arrived (fake clock, ms). */
  accepted: number[];
  /** Requests refused by the rate limit. */
  rateLimited: number;
  failNext: { status: number; headers?: Record<string, string>; body?: unknown }[];
}

const MODES = new Set(["exact", "prefix", "domain", "subdomains"]);

export async function startFakeAhrefs(
  options: {
    token: string;
    units: number;
    knownTargets: string[];
    /** Requests allowed in any 60 s (default 60, the API's documented default). */
    perMinute?: number;
    now?: () => number;
  },
): Promise<FakeAhrefs> {
  const failNext: FakeAhrefs["failNext"] = [];
  const fake = { unitsLeft: options.units, rateLimited: 0 };
  const accepted: number[] = [];
  const now = options.now ?? Date.now;
  const perMinute = options.perMinute ?? 60;
  const server = await startFakeServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return sendJson(res, 401, { error: "Unauthorized: invalid API key" });
    }
    const endpoint = /^\/v3\/site-explorer\/([a-z-]+)$/.exec(url.pathname)?.[1];
    if (req.method !== "GET" || !endpoint) return sendJson(res, 404, { error: "Not found" });
    const p = url.searchParams;
    const target = p.get("target");
    if (!target) return sendJson(res, 400, { error: "missing required parameter: target" });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(p.get("date") ?? "")) {
      return sendJson(res, 400, { error: "date must be YYYY-MM-DD" });
    }
    if (p.has("mode") && !MODES.has(p.get("mode")!)) return sendJson(res, 400, { error: "invalid mode" });
    if (!options.knownTargets.includes(target)) return sendJson(res, 400, { error: `invalid target: ${target}` });
    if (endpoint === "organic-keywords" && !p.get("select")) {
      return sendJson(res, 400, { error: "missing required parameter: select" });
    }
    // A sliding 60 s window; Ahrefs' 429 says nothing about when to come back.
    const at = now();
    if (accepted.filter((t) => t > at - 60_000).length >= perMinute) {
      fake.rateLimited++;
      return sendJson(res, 429, { error: "Too many requests" });
    }
    accepted.push(at);
    const failure = failNext.shift();
    if (failure) {
      return sendJson(res, failure.status, failure.body ?? { error: `status ${failure.status}` }, failure.headers);
    }
    const cost = endpoint === "organic-keywords" ? Number(p.get("limit") ?? 1000) : 1;
    if (fake.unitsLeft < cost) {
      return sendJson(res, 403, { error: "Insufficient plan: API units limit reached for this billing period" });
    }
    fake.unitsLeft -= cost;
    const seed = target.length;
    switch (endpoint) {
      case "domain-rating":
        return sendJson(res, 200, { domain_rating: { domain_rating: 40 + seed, ahrefs_rank: 100_000 - seed } });
      case "backlinks-stats":
        return sendJson(res, 200, {
          metrics: {
            live: 1000 * seed,
            all_time: 5000 * seed,
            live_refdomains: 50 * seed,
            all_time_refdomains: 90 * seed,
          },
        });
      case "metrics":
        return sendJson(res, 200, {
          metrics: {
            org_keywords: 300 * seed,
            org_keywords_1_3: 20 * seed,
            org_traffic: 900 * seed,
            org_cost: 1234,
            paid_keywords: 0,
          },
        });
      case "organic-keywords": {
        const select = p.get("select")!;
        const limit = Number(p.get("limit") ?? 1000);
        const columns = select.split(",");
        const keywords = Array.from(
          { length: Math.min(limit, 3) },
          (_, i) =>
            Object.fromEntries(
              columns.map((
                c,
              ) => [c, c === "keyword" ? `kw ${i}` : c === "best_position_url" ? `https://${target}/p${i}` : i + 1]),
            ),
        );
        return sendJson(res, 200, { keywords });
      }
      default:
        return sendJson(res, 404, { error: `unknown endpoint ${endpoint}` });
    }
  });
  // Live properties: Object.assign would copy a getter's value once.
  return Object.defineProperties(Object.assign(server, { failNext, accepted }), {
    unitsLeft: { get: () => fake.unitsLeft, set: (v: number) => void (fake.unitsLeft = v) },
    rateLimited: { get: () => fake.rateLimited },
  }) as FakeAhrefs;
}
