/**
 * Admin authentication: a Bearer JWT verified with jose. HS256 with the UTF-8 bytes of
 * `DVP_ADMIN_JWT_SECRET` (as hono/jwt does), and/or asymmetric keys from `DVP_ADMIN_JWKS_URL`.
 * Algorithms are pinned per key kind (an HS256 token is only ever checked against the shared
 * secret, an RS/PS/ES/EdDSA token only against the JWKS, so a token MACed with a public key
 * cannot pass), `exp` is required, `iss`/`aud`/`nbf` are checked with a clock tolerance of 30 to
 * 60 s. The `tenants` claim scopes access: a list of tenant ids, or "*" for the platform.
 */
import {
  createRemoteJWKSet,
  customFetch,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  SignJWT,
} from "jose";
import { ConfigurationError, KernelError } from "../errors.ts";
import { canonicalBase64Url } from "../crypto/base64.ts";
import { isUuid } from "../context.ts";

export interface AdminPrincipal {
  subject: string;
  /** Tenant ids this token may act on (lowercase), or "*" for every tenant. */
  tenants: "*" | string[];
}

export interface AdminAuthConfig {
  /** DVP_ADMIN_JWT_SECRET: HS256 key (at least 32 bytes). */
  secret?: string;
  /** DVP_ADMIN_JWKS_URL: keys for RS256/PS256/ES256/EdDSA tokens. Needs issuer and audience. */
  jwksUrl?: string;
  /** DVP_ADMIN_JWT_ISSUER: default "dvp-kernel" with a shared secret; required with a JWKS. */
  issuer?: string;
  /** DVP_ADMIN_JWT_AUDIENCE: default "dvp-kernel-admin" with a shared secret; required with a JWKS. */
  audience?: string;
  /** Allowed clock skew in seconds, 30 to 60 (default 60). */
  clockToleranceSeconds?: number;
  /** The clock (ms); tests pass a fake one. */
  now?: () => number;
  /** fetch for the JWKS (tests serve keys locally; passed to jose as `customFetch`). */
  fetch?: typeof fetch;
  /** Give up on a JWKS request after this long (ms, default 5,000). */
  jwksTimeoutMs?: number;
  /** DVP_ALLOW_INSECURE_URLS: accept an http: JWKS URL (local development and tests only). */
  allowInsecureUrls?: boolean;
}

export interface AdminAuth {
  /**
   * The principal, or an AuthError saying why the token is refused (→ 401), or an
   * AuthUnavailableError when the JWKS cannot be fetched (→ 503, the token may be fine).
   */
  verify(token: string): Promise<AdminPrincipal>;
}

/** The token is missing, malformed, forged, expired or otherwise unacceptable. */
export class AuthError extends KernelError {
  declare readonly code: "ERR_AUTH";
  constructor(message: string) {
    super("ERR_AUTH", message);
    this.name = "AuthError";
  }
}

/** The keys to check the token with could not be obtained (JWKS down, slow or malformed). */
export class AuthUnavailableError extends KernelError {
  declare readonly code: "ERR_AUTH_UNAVAILABLE";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_AUTH_UNAVAILABLE", message, options);
    this.name = "AuthUnavailableError";
  }
}

export const DEFAULT_ISSUER = "dvp-kernel";
export const DEFAULT_AUDIENCE = "dvp-kernel-admin";
/** Longer tokens are refused before any parsing: admin JWTs are a few hundred bytes. */
export const MAX_TOKEN_LENGTH = 8192;

const HMAC_ALGS = ["HS256"];
/** JWKS errors that are the token's fault (no key for its kid/alg); anything else is the JWKS's. */
const KEY_SELECTION_ERRORS = new Set([
  "ERR_JWKS_NO_MATCHING_KEY",
  "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
  "ERR_JOSE_NOT_SUPPORTED",
  "ERR_JWK_INVALID",
]);
const ASYMMETRIC_ALGS = ["RS256", "PS256", "ES256", "EdDSA", "Ed25519"];

export function createAdminAuth(config: AdminAuthConfig): AdminAuth {
  const now = config.now ?? Date.now;
  const tolerance = config.clockToleranceSeconds ?? 60;
  if (!(tolerance >= 30 && tolerance <= 60)) {
    throw new ConfigurationError("clockToleranceSeconds", "must be between 30 and 60 seconds");
  }
  const secret = config.secret ? hmacKey(config.secret) : undefined;
  const jwks = config.jwksUrl ? remoteKeys(config) : undefined;
  if (!secret && !jwks) {
    throw new ConfigurationError("DVP_ADMIN_JWT_SECRET", "is not set (nor DVP_ADMIN_JWKS_URL)");
  }
  if (jwks && !config.issuer) {
    throw new ConfigurationError("DVP_ADMIN_JWT_ISSUER", "is required with DVP_ADMIN_JWKS_URL");
  }
  if (jwks && !config.audience) {
    throw new ConfigurationError("DVP_ADMIN_JWT_AUDIENCE", "is required with DVP_ADMIN_JWKS_URL");
  }
  const algorithms = [...(secret ? HMAC_ALGS : []), ...(jwks ? ASYMMETRIC_ALGS : [])];
  // Imported once: jose would import raw bytes again on every verification.
  let hmacCryptoKey: Promise<CryptoKey> | undefined;
  // The key follows from the algorithm, never from anything else in the token.
  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (HMAC_ALGS.includes(header.alg)) return hmacCryptoKey ??= importHmac(secret!);
    try {
      return await jwks!(header, token);
    } catch (error) {
      throw KEY_SELECTION_ERRORS.has((error as { code?: string } | null)?.code ?? "") ? error : unavailable(error);
    }
  };
  const options: JWTVerifyOptions = {
    algorithms,
    issuer: config.issuer ?? DEFAULT_ISSUER,
    audience: config.audience ?? DEFAULT_AUDIENCE,
    clockTolerance: tolerance,
    requiredClaims: ["exp", "iss", "aud"],
  };

  return {
    async verify(token) {
      if (typeof token !== "string" || token.length === 0) throw new AuthError("token is missing");
      if (token.length > MAX_TOKEN_LENGTH) throw new AuthError("token is too long");
      // jose ignores the spare low bits of the signature's last character, so one token would
      // have up to 16 spellings; anything keyed on the text (a cache, a log) must see only one.
      if (!canonicalBase64Url(token.slice(token.lastIndexOf(".") + 1))) throw new AuthError("token is malformed");
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, { ...options, currentDate: new Date(now()) }));
      } catch (error) {
        throw classify(error);
      }
      return principalFrom(payload);
    },
  };
}

/** Build the admin auth from the runtime's variables (Workers bindings or Deno env). */
export function adminAuthFromEnv(
  env: Record<string, unknown>,
  extra: Pick<AdminAuthConfig, "fetch" | "now"> = {},
): AdminAuth {
  const text = (name: string) => {
    const value = env[name];
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  };
  return createAdminAuth({
    secret: text("DVP_ADMIN_JWT_SECRET"),
    jwksUrl: text("DVP_ADMIN_JWKS_URL"),
    issuer: text("DVP_ADMIN_JWT_ISSUER"),
    audience: text("DVP_ADMIN_JWT_AUDIENCE"),
    allowInsecureUrls: ["true", "1"].includes(text("DVP_ALLOW_INSECURE_URLS")?.toLowerCase() ?? ""), // as readSettings reads it
    ...extra,
  });
}

export function canAccess(principal: AdminPrincipal, tenantId: string): boolean {
  return principal.tenants === "*" || principal.tenants.includes(tenantId.toLowerCase());
}

/** Sign an HS256 admin token (the dev server prints one; tests use it). */
export function signAdminToken(
  secret: string,
  claims: {
    tenants: "*" | string[];
    subject?: string;
    issuer?: string;
    audience?: string;
    expiresInSeconds?: number;
    /** Milliseconds since the epoch (default now). */
    now?: number;
  },
): Promise<string> {
  const iat = Math.floor((claims.now ?? Date.now()) / 1000);
  return new SignJWT({ tenants: claims.tenants })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.subject ?? "admin")
    .setIssuer(claims.issuer ?? DEFAULT_ISSUER)
    .setAudience(claims.audience ?? DEFAULT_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (claims.expiresInSeconds ?? 3600))
    .sign(new TextEncoder().encode(secret));
}

function hmacKey(secret: string): Uint8Array {
  const bytes = new TextEncoder().encode(secret);
  if (bytes.length < 32) throw new ConfigurationError("DVP_ADMIN_JWT_SECRET", "must be at least 32 bytes");
  return bytes;
}

function importHmac(bytes: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", bytes as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
}

function remoteKeys(config: AdminAuthConfig): JWTVerifyGetKey {
  let url: URL;
  try {
    url = new URL(config.jwksUrl!);
  } catch {
    throw new ConfigurationError("DVP_ADMIN_JWKS_URL", "is not a URL");
  }
  // Over plain http anyone on the path could swap the keys and mint platform tokens.
  if (url.protocol !== "https:" && !(url.protocol === "http:" && config.allowInsecureUrls)) {
    throw new ConfigurationError(
      "DVP_ADMIN_JWKS_URL",
      "must be an https URL (http only with DVP_ALLOW_INSECURE_URLS=true, for local development)",
    );
  }
  const fetchImpl = config.fetch;
  return createRemoteJWKSet(url, {
    timeoutDuration: config.jwksTimeoutMs ?? 5000,
    ...(fetchImpl ? { [customFetch]: (input: string, init: RequestInit) => fetchImpl(input, init) } : {}),
  });
}

function principalFrom(payload: JWTPayload): AdminPrincipal {
  const tenants = payload.tenants;
  if (tenants !== "*" && !(Array.isArray(tenants) && tenants.every(isUuid))) {
    throw new AuthError('token claim "tenants" must be "*" or a list of tenant UUIDs');
  }
  return {
    subject: typeof payload.sub === "string" ? payload.sub : "unknown",
    tenants: tenants === "*" ? "*" : (tenants as string[]).map((t) => t.toLowerCase()),
  };
}

/** jose's error → why the token was refused, in words safe to show the caller. */
function classify(error: unknown): Error {
  const code = (error as { code?: string } | null)?.code;
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return new AuthError("token expired");
    case "ERR_JWT_CLAIM_VALIDATION_FAILED": {
      const claim = (error as { claim?: string }).claim;
      const reason = (error as { reason?: string }).reason;
      if (claim === "nbf") return new AuthError("token is not yet valid");
      if (reason === "missing") return new AuthError(`token claim "${claim}" is required`);
      return new AuthError(`token claim "${claim}" is not accepted`);
    }
    case "ERR_JOSE_ALG_NOT_ALLOWED":
    case "ERR_JOSE_NOT_SUPPORTED":
      return new AuthError("token algorithm is not allowed");
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return new AuthError("token signature is invalid");
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return new AuthError("no key matches the token");
    case "ERR_JWS_INVALID":
    case "ERR_JWT_INVALID":
    case "ERR_JWK_INVALID":
      return new AuthError("token is malformed");
    default:
      if (error instanceof AuthUnavailableError) return error;
      return new AuthError("token is invalid");
  }
}

function unavailable(error: unknown): AuthUnavailableError {
  const timedOut = (error as { code?: string } | null)?.code === "ERR_JWKS_TIMEOUT";
  return new AuthUnavailableError(
    timedOut ? "the JWKS did not answer in time" : "the JWKS could not be loaded",
    { cause: error },
  );
}
