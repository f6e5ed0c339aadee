/**
 * Fake Google OAuth token endpoint and Search Console Search Analytics API.
 * - `POST /token`: form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…`;
 *   the assertion is verified with the service account's PUBLIC key using node:crypto (not
 *   jose): RS256, kid, iss = client_email, scope, aud = this token URL, iat/exp (≤ 1 h).
 *   Errors as Google sends them: 400 `{"error":"invalid_grant","error_description":…}`.
 *   Access tokens expire after the `expires_in` they are issued with (`tokenLifetimeSeconds`,
 *   default 3599) on the fake's clock: an expired one is answered 401 like a revoked one.
 * - `POST /webmasters/v3/sites/{siteUrl}/searchAnalytics/query`: Bearer token from /token,
 *   the site must be granted (403 PERMISSION_DENIED otherwise), body shape checked, rows
 *   generated deterministically per date and paged with rowLimit/startRow. Days are Pacific
 *   days, as Search Console's are: a date after the Pacific "today" of the fake's clock has no
 *   data yet.
 * - `failNext` answers only requests that are otherwise valid, so a malformed request is still
 *   caught while a failure is queued.
 */
import { createPublicKey, createVerify, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { type FakeServer, sendJson, startFakeServer } from "./server.ts";

export interface ServiceAccountFixture {
  json: string;
  email: string;
  keyId: string;
  publicKey: KeyObject;
}

/** A fresh RSA key pair wrapped in a service-account JSON whose token_uri is `tokenUri`. */
export function makeServiceAccount(tokenUri: string): ServiceAccountFixture {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const email = "dvp-sync@acme-project.iam.gserviceaccount.com";
  const keyId = randomBytes(20).toString("hex");
  const json = JSON.stringify({
    type: "service_account",
    project_id: "acme-project",
    private_key_id: keyId,
    private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    client_email: email,
    client_id: "123456789012345678901",
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: tokenUri,
  });
  return { json, email, keyId, publicKey: createPublicKey(publicKey.export({ type: "spki", format: "pem" })) };
}

export interface FakeGoogle extends FakeServer {
  tokenUrl: string;
  tokensIssued: number;
  queries: { site: string; body: Record<string, unknown> }[];
  failNext: { status: number; headers?: Record<string, string>; delayMs?: number }[];
  /** Revoke every issued token (the next API call gets 401). */
  revokeTokens(): void;
}

export interface FakeGoogleOptions {
  account: () => ServiceAccountFixture;
  /** Sites the service account may read. */
  sites: string[];
  /** Rows per date for detailed queries. */
  rowsPerDay: number;
  now: () => number;
  /** The access tokens' `expires_in`, enforced (default 3599, as Google). */
  tokenLifetimeSeconds?: number;
}

const b64url = (s: string) => Buffer.from(s, "base64url");
const DIMENSIONS = new Set(["date", "query", "page", "country", "device", "searchAppearance"]);

export async function startFakeGoogle(options: FakeGoogleOptions): Promise<FakeGoogle> {
  /** Access token → when it expires (ms, on the fake's clock). */
  const tokens = new Map<string, number>();
  const lifetime = options.tokenLifetimeSeconds ?? 3599;
  const state = { tokensIssued: 0 };
  const queries: FakeGoogle["queries"] = [];
  const failNext: FakeGoogle["failNext"] = [];
  let tokenUrl = "";
  const server = await startFakeServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/token") {
      const form = new URLSearchParams(req.body.toString());
      if (req.headers["content-type"] !== "application/x-www-form-urlencoded") {
        return sendJson(res, 400, { error: "invalid_request", error_description: "form body required" });
      }
      if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return sendJson(res, 400, { error: "unsupported_grant_type", error_description: "Invalid grant_type" });
      }
      const problem = checkAssertion(form.get("assertion") ?? "", options.account(), tokenUrl, options.now());
      if (problem) return sendJson(res, 400, { error: "invalid_grant", error_description: problem });
      const token = `ya29.${randomBytes(24).toString("base64url")}`;
      tokens.set(token, options.now() + lifetime * 1000);
      state.tokensIssued++;
      return sendJson(res, 200, { access_token: token, expires_in: lifetime, token_type: "Bearer" });
    }
    const match = /^\/webmasters\/v3\/sites\/([^/]+)\/searchAnalytics\/query$/.exec(url.pathname);
    if (!match || req.method !== "POST") return sendJson(res, 404, { error: { code: 404, message: "Not Found" } });
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    if (!token || !((tokens.get(token) ?? 0) > options.now())) {
      return sendJson(res, 401, {
        error: { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" },
      });
    }
    const site = decodeURIComponent(match[1]!);
    if (!options.sites.includes(site)) {
      return sendJson(res, 403, {
        error: {
          code: 403,
          message: `User does not have sufficient permission for site '${site}'.`,
          status: "PERMISSION_DENIED",
        },
      });
    }
    const body = JSON.parse(req.body.toString()) as Record<string, unknown>;
    queries.push({ site, body });
    const bad = checkQuery(body);
    if (bad) return sendJson(res, 400, { error: { code: 400, message: bad, status: "INVALID_ARGUMENT" } });
    const failure = failNext.shift();
    if (failure) {
      if (failure.delayMs) await new Promise((r) => setTimeout(r, failure.delayMs));
      return sendJson(res, failure.status, { error: { code: failure.status, message: "injected" } }, failure.headers);
    }
    const rows = generateRows(body, options.rowsPerDay, pacificDate(options.now()));
    const startRow = Number(body.startRow ?? 0);
    const rowLimit = Number(body.rowLimit ?? 1000);
    const page = rows.slice(startRow, startRow + rowLimit);
    sendJson(
      res,
      200,
      page.length ? { rows: page, responseAggregationType: "byPage" } : { responseAggregationType: "byPage" },
    );
  });
  tokenUrl = `${server.url}/token`;
  const fake = Object.assign(server, {
    tokenUrl,
    queries,
    failNext,
    tokensIssued: 0,
    revokeTokens: () => tokens.clear(),
  });
  // A live count: Object.assign would copy a getter's value once.
  Object.defineProperty(fake, "tokensIssued", { get: () => state.tokensIssued });
  return fake;
}

function checkAssertion(jwt: string, account: ServiceAccountFixture, tokenUrl: string, now: number): string | null {
  const parts = jwt.split(".");
  if (parts.length !== 3) return "Invalid JWT: not three parts";
  const header = JSON.parse(b64url(parts[0]!).toString()) as Record<string, unknown>;
  const claims = JSON.parse(b64url(parts[1]!).toString()) as Record<string, unknown>;
  if (header.alg !== "RS256") return "Invalid JWT: alg must be RS256";
  if (header.kid !== undefined && header.kid !== account.keyId) return "Invalid JWT Signature.";
  const verifier = createVerify("RSA-SHA256");
  verifier.update(`${parts[0]}.${parts[1]}`);
  if (!verifier.verify(account.publicKey, b64url(parts[2]!))) return "Invalid JWT Signature.";
  if (claims.iss !== account.email) return "Invalid issuer";
  if (claims.scope !== "https://www.googleapis.com/auth/webmasters.readonly") return "Invalid scope";
  if (claims.aud !== tokenUrl) return "Invalid JWT: audience must be the token URI";
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  const nowSeconds = Math.floor(now / 1000);
  if (!Number.isInteger(iat) || !Number.isInteger(exp)) return "Invalid JWT: iat and exp required";
  if (exp - iat > 3600) return "Invalid JWT: Token must be a short-lived token (60 minutes)";
  if (iat > nowSeconds + 300 || exp < nowSeconds) {
    return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe";
  }
  return null;
}

function checkQuery(body: Record<string, unknown>): string | null {
  const date = /^\d{4}-\d{2}-\d{2}$/;
  if (typeof body.startDate !== "string" || !date.test(body.startDate)) return "startDate is required (YYYY-MM-DD)";
  if (typeof body.endDate !== "string" || !date.test(body.endDate)) return "endDate is required (YYYY-MM-DD)";
  if (body.startDate > body.endDate) return "startDate must not be after endDate";
  const dims = body.dimensions;
  if (!Array.isArray(dims) || dims.some((d) => !DIMENSIONS.has(d as string))) return "invalid dimensions";
  if (dims.includes("searchAppearance") && dims.length > 1) {
    return "searchAppearance cannot be combined with other dimensions";
  }
  const rowLimit = Number(body.rowLimit);
  if (!Number.isInteger(rowLimit) || rowLimit < 1 || rowLimit > 25000) return "rowLimit must be within 1-25000";
  if (body.startRow !== undefined && (!Number.isInteger(body.startRow) || (body.startRow as number) < 0)) {
    return "startRow must be a non-negative integer";
  }
  if (!["web", "image", "video", "news", "discover", "googleNews"].includes(body.type as string)) return "invalid type";
  return null;
}

/** The calendar date in Search Console's time zone (America/Los_Angeles). */
export function pacificDate(now: number): string {
  // en-CA formats as YYYY-MM-DD.
  return new Date(now).toLocaleDateString("en-CA", { timeZone: "America/Los_Angeles" });
}

/** Per date, `rowsPerDay` query/page rows; totals (dimension date alone) exceed the rows' sum (anonymized queries). */
function generateRows(body: Record<string, unknown>, rowsPerDay: number, today: string) {
  const dims = body.dimensions as string[];
  const out: { keys: string[]; clicks: number; impressions: number; ctr: number; position: number }[] = [];
  for (
    let t = Date.parse(`${body.startDate}T00:00:00Z`);
    t <= Date.parse(`${body.endDate}T00:00:00Z`);
    t += 86_400_000
  ) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day > today) break; // that Pacific day has not begun: no data
    const dayNo = new Date(t).getUTCDate();
    if (dims.length === 1 && dims[0] === "date") {
      out.push({ keys: [day], clicks: 100 + dayNo, impressions: 1000 + dayNo * 10, ctr: 0.1, position: 7.5 });
      continue;
    }
    for (let i = 0; i < rowsPerDay; i++) {
      const keys = dims.map((
        d,
      ) => (d === "date" ? day : d === "query" ? `query ${i}` : d === "page" ? `https://acme.com/p${i}` : `${d}-${i}`));
      out.push({ keys, clicks: i + 1, impressions: (i + 1) * 10, ctr: 0.1, position: 3 + i });
    }
  }
  return out;
}
