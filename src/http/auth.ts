/**
 * Admin authentication: a Bearer JWT verified with jose. HS256 with the UTF-8 bytes of
 * `DVP_ADMIN_JWT_SECRET` (as hono/jwt does), or asymmetric keys from `DVP_ADMIN_JWKS_URL`.
 * Algorithms are pinned, `exp` is required, `iss`/`aud`/`nbf` are checked with a small clock
 * tolerance. The `tenants` claim scopes access: a list of tenant ids, or "*" for the platform.
 */
import { createRemoteJWKSet, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { ConfigurationError, KernelError } from "../errors.ts";
import { isUuid } from "../context.ts";

export interface AdminPrincipal {
  subject: string;
  /** Tenant ids this token may act on, or "*" for every tenant. */
  tenants: "*" | string[];
}

export interface AdminAuthConfig {
  /** DVP_ADMIN_JWT_SECRET: HS256 key (at least 32 bytes). */
  secret?: string;
  /** DVP_ADMIN_JWKS_URL: keys for RS256/ES256/EdDSA tokens. */
  jwksUrl?: string;
  /** DVP_ADMIN_JWT_ISSUER and DVP_ADMIN_JWT_AUDIENCE: checked when set. */
  issuer?: string;
  audience?: string;
  /** Allowed clock skew in seconds (default 60). */
  clockToleranceSeconds?: number;
  /** The clock (ms); tests pass a fake one. */
  now?: () => number;
  /** fetch for the JWKS (tests serve keys locally). */
  fetch?: typeof fetch;
}

export interface AdminAuth {
  /** The principal, or an AuthError("ERR_AUTH") saying why the token is refused. */
  verify(token: string): Promise<AdminPrincipal>;
}

export class AuthError extends KernelError {
  constructor(message: string) {
    super("ERR_VALIDATION", message);
    this.name = "AuthError";
  }
}

const HMAC_ALGS = ["HS256"];
const ASYMMETRIC_ALGS = ["RS256", "PS256", "ES256", "EdDSA"];

export function createAdminAuth(config: AdminAuthConfig): AdminAuth {
  const now = config.now ?? Date.now;
  const common = {
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: config.clockToleranceSeconds ?? 60,
    requiredClaims: ["exp"],
  };
  let key: Parameters<typeof jwtVerify>[1];
  let algorithms: string[];
  if (config.secret) {
    if (new TextEncoder().encode(config.secret).length < 32) {
      throw new ConfigurationError("DVP_ADMIN_JWT_SECRET", "must be at least 32 bytes");
    }
    key = new TextEncoder().encode(config.secret);
    algorithms = HMAC_ALGS;
  } else if (config.jwksUrl) {
    let url: URL;
    try {
      url = new URL(config.jwksUrl);
    } catch {
      throw new ConfigurationError("DVP_ADMIN_JWKS_URL", "is not a URL");
    }
    key = createRemoteJWKSet(
      url,
      config.fetch ? { [Symbol.for("jose.customFetch")]: config.fetch } as never : undefined,
    );
    algorithms = ASYMMETRIC_ALGS;
  } else {
    throw new ConfigurationError("DVP_ADMIN_JWT_SECRET", "is not set (nor DVP_ADMIN_JWKS_URL)");
  }
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key as never, {
          ...common,
          algorithms,
          currentDate: new Date(now()),
        }));
      } catch (error) {
        throw new AuthError(describeJoseError(error));
      }
      const tenants = payload.tenants;
      if (tenants !== "*" && !(Array.isArray(tenants) && tenants.every(isUuid))) {
        throw new AuthError('token claim "tenants" must be "*" or a list of tenant UUIDs');
      }
      return {
        subject: typeof payload.sub === "string" ? payload.sub : "unknown",
        tenants: tenants === "*" ? "*" : (tenants as string[]).map((t) => t.toLowerCase()),
      };
    },
  };
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
    now?: number;
  },
): Promise<string> {
  const iat = Math.floor((claims.now ?? Date.now()) / 1000);
  let jwt = new SignJWT({ tenants: claims.tenants })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.subject ?? "admin")
    .setIssuedAt(iat)
    .setExpirationTime(iat + (claims.expiresInSeconds ?? 3600));
  if (claims.issuer) jwt = jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt = jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

function describeJoseError(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return "token expired";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return `token claim check failed: ${(error as Error).message}`;
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return "token algorithm not allowed";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "token signature is invalid";
    case "ERR_JWKS_NO_MATCHING_KEY":
      return "no key matches the token";
    case "ERR_JWS_INVALID":
    case "ERR_JWT_INVALID":
      return "token is malformed";
    default:
      return "token is invalid";
  }
}
