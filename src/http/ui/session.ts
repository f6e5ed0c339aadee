/**
 * Dashboard sessions and CSRF defence.
 *
 * The session cookie holds the admin JWT itself (`__Host-` prefixed: Secure, Path=/, no Domain;
 * HttpOnly; SameSite=Strict), with a Max-Age that ends no later than the token's `exp`. Every
 * request verifies it again with the same AdminAuth as the API, so expiry, revocation of the key
 * and scoping behave exactly as they do there. The only server-side state is the list of
 * signed-out tokens (revocations.ts).
 *
 * CSRF: every form post must pass (1) an Origin check (the Origin header, or failing that
 * Sec-Fetch-Site, must say same-origin) and (2) a token. Signed in, the token is
 * SHA-256("dvp-admin-csrf" ‖ session token): bound to the session, unguessable without the
 * HttpOnly cookie, and revealing nothing about it. Before sign-in (the sign-in form itself,
 * against login CSRF) it is a double-submit of a random `__Host-` cookie.
 */
import { decodeJwt } from "jose";
import { bytesToBase64Url as base64UrlEncode } from "../../crypto/base64.ts";

export const SESSION_COOKIE = "__Host-dvp_admin";
export const LOGIN_CSRF_COOKIE = "__Host-dvp_login";
/** Sessions last at most this long, even for tokens that live longer. */
export const MAX_SESSION_SECONDS = 12 * 3600;

export function cookieHeader(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Max-Age=${
    Math.max(0, Math.floor(maxAgeSeconds))
  }; Path=/; HttpOnly; Secure; SameSite=Strict`;
}

export function clearCookieHeader(name: string): string {
  return `${name}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict`;
}

/** A cookie's value from a Cookie header, or undefined. */
export function readCookie(header: string | undefined | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Seconds the session for `token` may last: until the token's exp, capped; 0 when it has none or it passed. */
export function sessionSeconds(token: string, nowMs: number): number {
  let exp: unknown;
  try {
    exp = decodeJwt(token).exp;
  } catch {
    return 0;
  }
  if (typeof exp !== "number") return 0;
  return Math.max(0, Math.min(MAX_SESSION_SECONDS, Math.floor(exp - nowMs / 1000)));
}

/** Whether the token's own `exp` has passed (false for one that cannot be read: it is not expired, it is invalid). */
export function tokenExpired(token: string, nowMs: number): boolean {
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === "number" && exp * 1000 <= nowMs;
  } catch {
    return false;
  }
}

/** A JWT is three base64url parts; anything else is refused before it reaches the verifier or a cookie. */
export function looksLikeJwt(token: string): boolean {
  return token.length <= 4096 && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

export async function csrfTokenFor(sessionToken: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`dvp-admin-csrf\0${sessionToken}`));
  return base64UrlEncode(new Uint8Array(digest));
}

export function randomToken(): string {
  return base64UrlEncode(crypto.getRandomValues(new Uint8Array(32)));
}

/** Constant-time comparison of two strings (length is not secret here: tokens have a fixed length). */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Whether a state-changing request comes from a page of this origin.
 *
 * - Sec-Fetch-Site, when the browser sends it, must be "same-origin" (pages cannot forge it).
 * - Origin, when present and not "null", must be this origin: the request URL's, or, behind a
 *   TLS-terminating proxy where the URL is the internal one, the host the browser addressed
 *   (Host or X-Forwarded-Host; a cross-site form cannot choose those, and a cross-site script
 *   that sets X-Forwarded-Host needs a CORS preflight the dashboard never grants).
 * - Browsers send `Origin: null` in some cases (e.g. a page with `Referrer-Policy: no-referrer`,
 *   a sandboxed frame); then Sec-Fetch-Site alone decides. With neither header the request is
 *   refused: the dashboard is for browsers, scripts use the API.
 */
export function sameOrigin(request: Request): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin") return false;
  const origin = request.headers.get("origin");
  if (origin === null || origin === "null") return site === "same-origin";
  const url = new URL(request.url);
  if (origin === url.origin) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const addressed = request.headers.get("x-forwarded-host")?.split(",")[0]?.trim() || request.headers.get("host");
  return addressed !== null && addressed !== "" && host === addressed;
}
