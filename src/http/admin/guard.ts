/**
 * Admin request guards, applied per route (never with `use("*")`: the router is mounted at /v1
 * beside the signed webhook routes, which must not ask for a Bearer token).
 * Order: 401 (no or bad token) → 404 (tenant id is not a UUID) → 403 (token not for this tenant).
 * Whether the tenant exists is only looked at after that, so a scoped token learns nothing
 * about other tenants.
 */
import type { Context, MiddlewareHandler } from "hono";
import { isUuid } from "../../context.ts";
import type { Logger } from "../../logger.ts";
import { type AdminAuth, type AdminPrincipal, canAccess, MAX_TOKEN_LENGTH } from "../auth.ts";
import type { SessionRevocations } from "../revocations.ts";
import { refuse, refuseForbidden, refuseUnauthorized } from "../problem.ts";
import { discardBody } from "../body.ts";
import { ADMIN_BODY_LIMIT_BYTES } from "./body.ts";

export type AdminEnv = { Variables: { principal: AdminPrincipal; tenantId: string } };
export type AdminContext = Context<AdminEnv>;

/** The guards a route picks from, built once per router. */
export interface Guards {
  token: MiddlewareHandler<AdminEnv>;
  tenant: MiddlewareHandler<AdminEnv>;
  platform: MiddlewareHandler<AdminEnv>;
}

export function createGuards(auth: AdminAuth, logger: Logger, revocations?: SessionRevocations): Guards {
  return {
    token: drainingRefusals(requireToken(auth, logger, revocations)),
    tenant: drainingRefusals(requireTenantScope()),
    platform: drainingRefusals(requirePlatform()),
  };
}

/** A refusal reads and drops the request's body first (see discardBody), so the sender's connection stays usable. */
function drainingRefusals(guard: MiddlewareHandler<AdminEnv>): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    try {
      return await guard(c, next);
    } catch (refusal) {
      // Thrown by the guard itself: what the route throws is answered inside `next()`.
      if (c.req.raw.body && !c.req.raw.bodyUsed) await discardBody(c.req.raw, ADMIN_BODY_LIMIT_BYTES);
      throw refusal;
    }
  };
}

/** Exactly `Bearer <compact JWS>`; anything else is refused before jose sees it. */
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*) *$/i;

/**
 * A token signed out of the dashboard is refused here too (a stolen session cookie is a Bearer
 * token). Checked after the signature, so a forged token never costs a KV read; a known token
 * costs none on the warm path (see revocations.ts).
 */
export function requireToken(
  auth: AdminAuth,
  logger: Logger,
  revocations?: SessionRevocations,
): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (header === undefined || header.trim() === "") refuseUnauthorized("a Bearer token is required", false);
    if (header.length > MAX_TOKEN_LENGTH + 16) refuseUnauthorized("token is too long", true);
    const match = BEARER.exec(header);
    if (!match) refuseUnauthorized("the Authorization header must be 'Bearer <JWT>'", true);
    // A token refused (AuthError) or unverifiable (AuthUnavailableError) is thrown on: problemFor answers it.
    const principal: AdminPrincipal = await auth.verify(match[1]!);
    if (await revocations?.isRevoked(match[1]!)) refuseUnauthorized("token was signed out", true);
    c.set("principal", principal);
    c.header("cache-control", "no-store");
    await next();
    // An audit line per change: who did what, and how it ended (never bodies: they hold secrets).
    // A refused (4xx) or failed (5xx, which may have changed part of the state) one says so.
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const status = c.res.status;
      logger.info(status < 400 ? "admin change" : status < 500 ? "admin change refused" : "admin change failed", {
        subject: principal.subject,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
      });
    }
  };
}

/** The `:id` route parameter must be a UUID the token may act on. Sets `tenantId` (lowercase). */
export function requireTenantScope(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const id = c.req.param("id") ?? "";
    if (!isUuid(id)) refuse(404, "not-found", "tenant ids are UUIDs; no tenant has this id");
    if (!canAccess(c.get("principal"), id)) refuseForbidden("this token is not for this tenant");
    c.set("tenantId", id.toLowerCase());
    await next();
  };
}

/** Platform operations need a token whose `tenants` claim is "*". */
export function requirePlatform(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    if (c.get("principal").tenants !== "*") refuseForbidden('this operation needs a platform token (tenants: "*")');
    await next();
  };
}
